"""A Supabase CLI project folder holding this repository's functions, with config.toml's [functions.<name>]
blocks written from each function.json (what a team using the CLI keeps there), and one extra function that uses
an import map and static files, which none of ours does."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from providers.supabase.function_bundle import discover_functions, read_manifest
from stackconfig.paths import PROJECT_ROOT

CLI_PREFIX = "supabase/functions/"  # the CLI names uploaded files by their path from its project folder
EXTRA_FUNCTION = "mailer"


def cli_project(workdir: Path) -> Path:
    """workdir/supabase/{config.toml, functions/}; returns the functions folder, which our providers deploy from."""
    root = workdir / "supabase" / "functions"
    shutil.copytree(PROJECT_ROOT / "functions", root, ignore=shutil.ignore_patterns("*_test.ts"))
    mailer = root / EXTRA_FUNCTION
    (mailer / "templates").mkdir(parents=True)
    (mailer / "templates" / "welcome.html").write_text("<p>Welcome</p>\n")
    (mailer / "import_map.json").write_text(json.dumps({"imports": {"@shared/": "../_shared/"}}))
    (mailer / "index.ts").write_text('import { corsHeaders } from "@shared/cors.ts";\nexport { corsHeaders };\n')
    (mailer / "function.json").write_text(
        json.dumps({"entrypoint": "index.ts", "verify_jwt": False, "import_map": f"{EXTRA_FUNCTION}/import_map.json",
                    "static_files": ["templates/*.html"]})
    )  # fmt: skip
    lines = ['project_id = "parity"']
    for name in discover_functions(root):
        manifest = read_manifest(root, name)
        lines += [
            f"[functions.{name}]",
            f"verify_jwt = {str(manifest.verify_jwt).lower()}",
            f'entrypoint = "./functions/{name}/{manifest.entrypoint}"',
        ]
        if manifest.import_map:
            lines.append(f'import_map = "./functions/{manifest.import_map}"')
        if manifest.static_files:
            lines.append(f"static_files = {json.dumps([f'./functions/{name}/{p}' for p in manifest.static_files])}")
    (workdir / "supabase" / "config.toml").write_text("\n".join(lines) + "\n")
    return root


def without_prefix(path: str) -> str:
    return path.removeprefix(CLI_PREFIX)


def comparable_metadata(metadata: dict) -> dict:
    """The deploy's metadata with paths from functions/, and the CLI's empty import map and patterns as absent."""
    normal = {}
    for key, value in metadata.items():
        if value in ("", []):
            continue
        if key in ("entrypoint_path", "import_map_path"):
            value = without_prefix(value)
        elif key == "static_patterns":
            value = [without_prefix(pattern) for pattern in value]
        normal[key] = value
    return normal
