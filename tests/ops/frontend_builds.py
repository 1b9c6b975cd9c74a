"""A folder laid out like `vite build` output (guide 000 section 6.1), for the publish and site checks."""

from __future__ import annotations

from pathlib import Path

INDEX = (
    '<!doctype html><html><head><script type="module" src="/assets/{js}"></script>'
    '<link rel="stylesheet" href="/assets/{css}"></head><body><div id="root"></div></body></html>'
)


def vite_build(folder: Path, js: str, css: str, js_body: str = "console.log('app')") -> Path:
    """index.html naming one script and one stylesheet under assets/, and a file outside it."""
    (folder / "assets").mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(INDEX.format(js=js, css=css))
    (folder / "assets" / js).write_text(js_body)
    (folder / "assets" / css).write_text("body{margin:0}")
    (folder / "vite.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return folder
