"""The local files an edge function's entrypoint imports, followed from file to file (its static import graph).

This is what the Supabase CLI uploads on `functions deploy`: the entrypoint and what it imports, not the whole
folder, so a change to a shared module redeploys only the functions that import it. Followed: `import ... from`,
`export ... from`, `import "..."`, `import type`, and `import("...")` with a literal string; comments and other
strings are skipped. `npm:`, `node:`, `jsr:` and URL imports are left to Supabase's bundler. Refused, naming the
importing file: an import that leaves `functions/`, a missing file, a relative path without its extension
(Deno needs it), a bare name that no import map maps.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from providers.supabase.errors import SupabaseError

SOURCE_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs")
EXTERNAL_PREFIXES = ("npm:", "node:", "jsr:", "http:", "https:", "data:")

_TOKENS = re.compile(
    r"""
      (?P<comment>//[^\n]*|/\*.*?\*/)
    | \b(?:import|export)\b[^'"`;(){}]*?(?:\{[^{}]*\}[^'"`;(){}]*?)?\bfrom\s*(?P<q1>['"])(?P<from>[^'"\n]*)(?P=q1)
    | \bimport\s*(?P<q2>['"])(?P<bare>[^'"\n]*)(?P=q2)
    | \bimport\s*\(\s*(?P<q3>['"])(?P<dynamic>[^'"\n]*)(?P=q3)\s*[,)]
    | (?P<string>'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`)
    """,
    re.DOTALL | re.VERBOSE,
)


def specifiers(source: str) -> list[str]:
    """The module specifiers a TypeScript/JavaScript source imports statically, in order."""
    found = []
    for match in _TOKENS.finditer(source):
        specifier = match["from"] or match["bare"] or match["dynamic"]
        if specifier is not None and not match["comment"] and not match["string"]:
            found.append(specifier.strip())
    return found


@dataclass(frozen=True)
class ImportMap:
    """An import map's `imports` (Deno semantics: exact keys, and prefix keys ending in `/`)."""

    path: str  # relative to functions/
    imports: Mapping[str, str]

    @classmethod
    def load(cls, root: Path, relative: str) -> ImportMap:
        file = root / relative
        try:
            raw = json.loads(file.read_text())
        except FileNotFoundError:
            raise SupabaseError(f"functions/{relative}: the import map does not exist; fix import_map") from None
        except json.JSONDecodeError as exc:
            raise SupabaseError(f"functions/{relative} is not valid JSON ({exc.msg}, line {exc.lineno})") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("imports", {}), dict) or raw.get("scopes"):
            raise SupabaseError(
                f'functions/{relative}: an import map here is {{"imports": {{...}}}} (scopes are not supported)'
            )
        return cls(path=relative, imports={str(k): str(v) for k, v in raw.get("imports", {}).items()})

    def resolve(self, specifier: str) -> str | None:
        """The mapped specifier, relative paths made relative to functions/; None when no key matches."""
        if specifier in self.imports:
            target, rest = self.imports[specifier], ""
        else:
            prefixes = [key for key in self.imports if key.endswith("/") and specifier.startswith(key)]
            if not prefixes:
                return None
            key = max(prefixes, key=len)
            target, rest = self.imports[key], specifier[len(key) :]
        if target.startswith(("./", "../")):
            return "./" + posixpath.normpath(posixpath.join(posixpath.dirname(self.path), target + rest))
        return target + rest


def module_graph(root: Path, entrypoint: str, import_map: ImportMap | None = None) -> list[str]:
    """Every local file reachable from `entrypoint` (paths relative to `root`, i.e. functions/), sorted."""
    seen: set[str] = set()
    pending = [entrypoint]
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        seen.add(current)
        if not current.endswith(SOURCE_SUFFIXES):
            continue  # JSON and other assets are uploaded, not scanned
        source = (root / current).read_text(encoding="utf-8")
        for specifier in specifiers(source):
            target = _resolve(root, current, specifier, import_map)
            if target is not None and target not in seen:
                pending.append(target)
    return sorted(seen)


def _resolve(root: Path, importer: str, specifier: str, import_map: ImportMap | None) -> str | None:
    where = f'functions/{importer}: import "{specifier}"'
    mapped = import_map.resolve(specifier) if import_map else None
    if mapped is not None:
        if not mapped.startswith("./"):
            return None  # mapped onto npm:, jsr: or a URL
        relative = mapped[2:]
    elif specifier.startswith(EXTERNAL_PREFIXES):
        return None
    elif specifier.startswith(("./", "../")):
        relative = posixpath.normpath(posixpath.join(posixpath.dirname(importer), specifier))
    elif specifier.startswith("/"):
        raise SupabaseError(f"{where} is an absolute path; import files by a path relative to the importing file")
    else:
        raise SupabaseError(
            f"{where}: a bare name only an import map can resolve; import `npm:<package>@<exact version>`, or "
            "set import_map in the function's function.json"
        )
    if relative == ".." or relative.startswith("../"):
        raise SupabaseError(
            f"{where} leaves functions/: a deploy uploads only files under functions/; move the module into "
            "functions/_shared/ and import it from there"
        )
    if not posixpath.splitext(relative)[1]:
        raise SupabaseError(f"{where} has no file extension, which Deno requires; write the file's full name")
    if not (root / relative).is_file():
        raise SupabaseError(f"{where}: functions/{relative} does not exist; fix the path")
    return relative
