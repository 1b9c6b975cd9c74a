"""What gets deployed for one edge function, and the hash that decides whether it must be deployed again.

`functions/<name>/` is a function (except `_shared` and dot-folders). Its `function.json` holds its deploy
settings, `{"entrypoint": "index.ts", "verify_jwt": true}`, optionally `"import_map"` (a path relative to
functions/) and `"static_files"` (glob patterns relative to the function's folder, for files the code reads
at run time); the stack config may override verify_jwt.
A deploy uploads what the Supabase CLI uploads: the entrypoint and every local file it imports, followed
through the static import graph (import_graph.py), plus the import map and the static files, each named by
its path relative to `functions/`, so `import ... from "../_shared/cors.ts"` resolves on Supabase's side.
An optional `"schedule": "<cron expression>"` makes it a scheduled function (pg_cron calls it through pg_net;
providers/supabase/function_schedule.py).

The program computes the hash at preview time and passes it as an input: the diff compares it, so
`pulumi preview` already shows which functions will be redeployed (only those whose graph holds a changed
file), and nothing else is.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from providers.supabase.cron import cron_problem
from providers.supabase.errors import SupabaseError
from providers.supabase.import_graph import ImportMap, module_graph
from stackconfig.paths import PROJECT_ROOT

SHARED_DIR = "_shared"
SETTINGS_FILE = "function.json"
SLUG_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class FunctionManifest:
    """What a function's function.json declares (every key optional)."""

    entrypoint: str = "index.ts"
    verify_jwt: bool = True
    import_map: str | None = None
    static_files: tuple[str, ...] = ()  # glob patterns, relative to the function's folder
    # A cron expression ("*/5 * * * *"): the program runs the function on it (the scheduling is the program's).
    schedule: str | None = None


def resolve_dir(functions_dir: str | Path) -> Path:
    path = Path(functions_dir)
    return path if path.is_absolute() else PROJECT_ROOT / path


def discover_functions(functions_dir: str | Path) -> list[str]:
    root = resolve_dir(functions_dir)
    if not root.is_dir():
        return []
    names = []
    for entry in sorted(root.iterdir()):
        if not entry.is_dir() or entry.name == SHARED_DIR or entry.name.startswith("."):
            continue
        if not SLUG_PATTERN.match(entry.name):
            raise SupabaseError(
                f"functions/{entry.name}: a function folder name must start with a letter and hold only "
                "letters, digits, - and _ (it becomes the function's URL); rename the folder"
            )
        names.append(entry.name)
    return names


def read_manifest(functions_dir: str | Path, name: str) -> FunctionManifest:
    """functions/<name>/function.json, checked. Read once per process: a preview asks for it from the bundle, the
    deploy settings and the schedules; an edited file (another mtime or size) is read again."""
    path = resolve_dir(functions_dir) / name / SETTINGS_FILE
    try:
        stat = path.stat()
    except FileNotFoundError:
        return _checked_entrypoint(functions_dir, name, FunctionManifest())
    return _checked_entrypoint(functions_dir, name, _parse_manifest(path, name, stat.st_mtime_ns, stat.st_size))


def _checked_entrypoint(functions_dir: str | Path, name: str, manifest: FunctionManifest) -> FunctionManifest:
    if not (resolve_dir(functions_dir) / name / manifest.entrypoint).is_file():
        raise SupabaseError(f"functions/{name}: entrypoint {manifest.entrypoint} does not exist; fix {SETTINGS_FILE}")
    return manifest


@functools.lru_cache(maxsize=256)
def _parse_manifest(path: Path, name: str, _mtime_ns: int, _size: int) -> FunctionManifest:
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise SupabaseError(
            f"functions/{name}/{SETTINGS_FILE} is not valid JSON ({exc.msg}, line {exc.lineno})"
        ) from None
    allowed = {"entrypoint", "verify_jwt", "import_map", "static_files", "schedule"}
    unknown = set(raw) - allowed
    if unknown:
        raise SupabaseError(
            f"functions/{name}/{SETTINGS_FILE}: unknown keys {', '.join(sorted(unknown))}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )
    schedule = raw.get("schedule")
    if schedule is not None:
        problem = cron_problem(schedule) if isinstance(schedule, str) else "is not a string"
        if problem:
            raise SupabaseError(
                f"functions/{name}/{SETTINGS_FILE}: schedule {schedule!r} {problem}; write a cron expression "
                'such as "*/5 * * * *" (every five minutes) or "30 seconds"'
            )
    if not isinstance(raw.get("verify_jwt", True), bool):
        raise SupabaseError(f"functions/{name}/{SETTINGS_FILE}: verify_jwt must be true or false")
    static_files = raw.get("static_files", [])
    if not isinstance(static_files, list) or not all(_is_inside_pattern(p) for p in static_files):
        raise SupabaseError(
            f"functions/{name}/{SETTINGS_FILE}: static_files is a list of glob patterns relative to the "
            'function\'s folder, e.g. ["templates/*.html"] (no absolute paths, no "..")'
        )
    return FunctionManifest(
        entrypoint=str(raw.get("entrypoint", "index.ts")),
        verify_jwt=raw.get("verify_jwt", True),
        import_map=raw.get("import_map"),
        static_files=tuple(static_files),
        schedule=schedule.strip() if isinstance(schedule, str) else None,
    )


def static_patterns(name: str, settings: FunctionManifest) -> list[str]:
    """The static_files patterns as the deploy endpoint takes them: relative to functions/, like file names."""
    return [f"{name}/{pattern}" for pattern in settings.static_files]


def collect_files(functions_dir: str | Path, name: str) -> list[tuple[str, bytes]]:
    """(path relative to functions/, content) of what a deploy uploads, sorted by path: the entrypoint's
    import graph, the import map and the static files."""
    root = resolve_dir(functions_dir)
    settings = read_manifest(functions_dir, name)
    import_map = ImportMap.load(root, settings.import_map) if settings.import_map else None
    paths = set(module_graph(root, f"{name}/{settings.entrypoint}", import_map))
    if import_map is not None:
        paths.add(import_map.path)
    for pattern in settings.static_files:
        matched = [p for p in (root / name).glob(pattern) if p.is_file()]
        if not matched:
            raise SupabaseError(f"functions/{name}/{SETTINGS_FILE}: static_files pattern {pattern} matches no file")
        paths.update(p.relative_to(root).as_posix() for p in matched)
    return [(relative, (root / relative).read_bytes()) for relative in sorted(paths)]


def _is_inside_pattern(pattern: object) -> bool:
    return isinstance(pattern, str) and bool(pattern) and not pattern.startswith("/") and ".." not in pattern.split("/")


def content_hash(files: list[tuple[str, bytes]], entrypoint: str, verify_jwt: bool, import_map: str | None) -> str:
    digest = hashlib.sha256()
    for relative, content in sorted(files):
        digest.update(relative.encode() + b"\0" + hashlib.sha256(content).digest())
    digest.update(json.dumps([entrypoint, verify_jwt, import_map]).encode())
    return digest.hexdigest()


_ENV_NAME_LITERAL = re.compile(r"""["'`]([A-Z][A-Z0-9_]{2,})["'`]""")


def referenced_names(files: Iterable[tuple[str, bytes]], candidates: Iterable[str]) -> set[str]:
    """Which of `candidates` (environment variable names) the files (from collect_files) mention as a string literal."""
    wanted = set(candidates)
    found: set[str] = set()
    for _, content in files:
        found |= wanted & set(_ENV_NAME_LITERAL.findall(content.decode(errors="replace")))
    return found
