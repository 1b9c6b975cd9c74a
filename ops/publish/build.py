"""A Vite build folder read as the objects it becomes: key, bytes' digests, Content-Type and Cache-Control.

The headers match what the frontend's CloudFront distribution serves (components/frontend.py): `/assets/*`
is cached a year at the edge whatever the object says, so everything there must be content-hashed and is
marked immutable; every other path (index.html, the favicon, the SPA routes' fallback) is revalidated.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ASSETS_PREFIX = "assets/"
ASSETS_CACHE_CONTROL = "public, max-age=31536000, immutable"
HTML_CACHE_CONTROL = "no-cache, no-store, must-revalidate"
INDEX = "index.html"
# Where release records live in the bucket; a build may not ship a folder of that name.
RELEASES_PREFIX = "_releases/"
_CHUNK = 1024 * 1024

# Explicit, not the `mimetypes` module: that reads the build machine's /etc/mime.types, so two machines could
# publish one build with different headers. Text types carry their charset (Vite writes UTF-8).
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json; charset=utf-8",
    ".map": "application/json; charset=utf-8",
    ".webmanifest": "application/manifest+json; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".svg": "image/svg+xml; charset=utf-8",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
    ".ttf": "font/ttf",
    ".otf": "font/otf",
    ".wasm": "application/wasm",
    ".pdf": "application/pdf",
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".mp3": "audio/mpeg",
}
FALLBACK_CONTENT_TYPE = "application/octet-stream"


class BuildError(ValueError):
    """The build folder cannot be published as it is; names the file and the fix."""


@dataclass(frozen=True)
class BuildFile:
    key: str
    path: Path
    size: int
    md5: str
    sha256: str
    content_type: str
    cache_control: str

    @property
    def is_asset(self) -> bool:
        return self.key.startswith(ASSETS_PREFIX)

    def record(self) -> dict[str, object]:
        return {
            "sha256": self.sha256,
            "md5": self.md5,
            "size": self.size,
            "content_type": self.content_type,
            "cache_control": self.cache_control,
        }


def content_type(key: str) -> str:
    return CONTENT_TYPES.get(PurePosixPath(key).suffix.lower(), FALLBACK_CONTENT_TYPE)


def cache_control(key: str) -> str:
    return ASSETS_CACHE_CONTROL if key.startswith(ASSETS_PREFIX) else HTML_CACHE_CONTROL


def scan_build(dist: Path) -> list[BuildFile]:
    """Every file of the build, index.html last (it names the assets, so it goes up after them)."""
    if not dist.is_dir():
        raise BuildError(f"{dist} is not a folder; pass the frontend's build output (Vite writes dist/)")
    if not (dist / INDEX).is_file():
        raise BuildError(f"{dist} has no {INDEX}; is it the build output (`pnpm run build` writes dist/)?")
    root = dist.resolve()
    files: list[BuildFile] = []
    for path in sorted(p for p in dist.rglob("*") if p.is_file() or p.is_symlink()):
        key = path.relative_to(dist).as_posix()
        resolved = path.resolve()
        if not resolved.is_relative_to(root) or not resolved.is_file():
            raise BuildError(f"{key} is a link that leaves {dist} (or leads nowhere); copy the file in instead")
        if key.startswith(RELEASES_PREFIX):
            raise BuildError(f"{key}: {RELEASES_PREFIX} is where the bucket keeps its release records; rename it")
        files.append(_read(key, resolved))
    files.sort(key=lambda f: (f.key == INDEX, not f.is_asset, f.key))
    return files


def _read(key: str, path: Path) -> BuildFile:
    md5, sha256, size = hashlib.md5(usedforsecurity=False), hashlib.sha256(), 0
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            md5.update(chunk)
            sha256.update(chunk)
            size += len(chunk)
    return BuildFile(
        key=key,
        path=path,
        size=size,
        md5=md5.hexdigest(),
        sha256=sha256.hexdigest(),
        content_type=content_type(key),
        cache_control=cache_control(key),
    )
