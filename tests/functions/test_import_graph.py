"""Each function's bundle is its static import graph: the files Deno itself loads from the entrypoint."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from providers.supabase.errors import SupabaseError
from providers.supabase.function_bundle import collect_files, content_hash, discover_functions, read_manifest
from providers.supabase.import_graph import specifiers
from tests.conftest import PROJECT_ROOT
from tests.functions.deno import DENO

FUNCTIONS = PROJECT_ROOT / "functions"


def deno_local_modules(root: Path, entrypoint: str) -> list[str]:
    """The local files of `deno info`'s module graph (npm: left unresolved: no network needed)."""
    result = subprocess.run(
        [str(DENO), "info", "--json", "--no-npm", "--no-remote", entrypoint],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    prefix = root.resolve().as_uri() + "/"
    return sorted(
        m["specifier"][len(prefix) :] for m in json.loads(result.stdout)["modules"] if m["specifier"].startswith(prefix)
    )


@pytest.mark.parametrize("name", discover_functions(FUNCTIONS))
def test_bundle_is_the_module_graph_deno_loads(name):
    entrypoint = f"{name}/{read_manifest(FUNCTIONS, name).entrypoint}"
    bundled = [path for path, _ in collect_files(FUNCTIONS, name)]
    assert bundled == deno_local_modules(FUNCTIONS, entrypoint)


def test_a_shared_module_change_redeploys_only_the_functions_that_import_it():
    # Hashes decide redeploys: compare every function's hash before and after touching one shared module.
    graphs = {name: dict(collect_files(FUNCTIONS, name)) for name in discover_functions(FUNCTIONS)}
    shared = "_shared/ai/pricing.ts"
    importers = {name for name, files in graphs.items() if shared in files}
    assert importers and importers != set(graphs), "pricing.ts should be imported by some functions, not all"

    def hashes(changed: bytes | None) -> dict[str, str]:
        result = {}
        for name, files in graphs.items():
            edited = [(p, changed if p == shared and changed is not None else c) for p, c in sorted(files.items())]
            settings = read_manifest(FUNCTIONS, name)
            result[name] = content_hash(edited, settings.entrypoint, settings.verify_jwt, settings.import_map)
        return result

    before, after = hashes(None), hashes(b"// a new price table\n")
    assert {name for name in graphs if before[name] != after[name]} == importers


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "functions"
    (folder / "_shared").mkdir(parents=True)
    (folder / "_shared" / "used.ts").write_text('import type { T } from "./types.ts";\nexport const used = 1;\n')
    (folder / "_shared" / "types.ts").write_text("export type T = number;\n")
    (folder / "_shared" / "unused.ts").write_text("export const unused = 2;\n")
    (folder / "fn").mkdir()
    return folder


def write_entry(root: Path, source: str, **settings: object) -> None:
    (root / "fn" / "index.ts").write_text(source)
    (root / "fn" / "function.json").write_text(json.dumps({"entrypoint": "index.ts", **settings}))


def test_only_imported_files_are_bundled(root):
    write_entry(
        root,
        '// import { unused } from "../_shared/unused.ts";\n'
        "const note = \"import x from '../_shared/unused.ts'\";\n"
        'import { used } from "../_shared/used.ts";\nimport "npm:zod@3.25.76";\n'
        'const lazy = await import("./lazy.ts");\n',
    )
    (root / "fn" / "lazy.ts").write_text("export {};\n")
    assert [p for p, _ in collect_files(root, "fn")] == [
        "_shared/types.ts",
        "_shared/used.ts",
        "fn/index.ts",
        "fn/lazy.ts",
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ('import { secret } from "../../outside.ts";\n', 'import "../../outside.ts" leaves functions/'),
        ('import { gone } from "../_shared/gone.ts";\n', "functions/_shared/gone.ts does not exist"),
        ('import { used } from "../_shared/used";\n', "has no file extension, which Deno requires"),
        ('import { z } from "zod";\n', "a bare name only an import map can resolve"),
        ('import { x } from "/etc/x.ts";\n', "is an absolute path"),
    ],
)
def test_imports_a_deploy_cannot_carry_are_refused_naming_the_file(root, source, message):
    (root.parent / "outside.ts").write_text("export const secret = 1;\n")
    write_entry(root, source)
    with pytest.raises(SupabaseError, match=r"functions/fn/index\.ts: import") as refused:
        collect_files(root, "fn")
    assert message in str(refused.value)


def test_import_map_and_static_files_are_uploaded(root):
    (root / "import_map.json").write_text(json.dumps({"imports": {"@shared/": "./_shared/", "zod": "npm:zod@3"}}))
    (root / "fn" / "templates").mkdir()
    (root / "fn" / "templates" / "mail.html").write_text("<p>hi</p>\n")
    write_entry(
        root,
        'import { used } from "@shared/used.ts";\nimport { z } from "zod";\n',
        import_map="import_map.json",
        static_files=["templates/*.html"],
    )
    assert [p for p, _ in collect_files(root, "fn")] == [
        "_shared/types.ts",
        "_shared/used.ts",
        "fn/index.ts",
        "fn/templates/mail.html",
        "import_map.json",
    ]


def test_the_scanner_sees_every_static_form_and_skips_comments_and_strings():
    source = (
        'import a from "./a.ts";\nimport { b,\n  c } from \'./bc.ts\';\nimport * as d from "./d.ts";\n'
        'import type { E } from "./e.ts";\nexport { f } from "./f.ts";\nexport * from "./g.ts";\n'
        'import "./side.ts";\nconst h = await import("./h.ts");\n/* import "./no1.ts"; */\n'
        '// export * from "./no2.ts"\nconst s = `import "./no3.ts"`;\nconst t = "from \\"./no4.ts\\"";\n'
        "export const from = 1;\nexport function k() { return import.meta.url; }\n"
    )
    assert specifiers(source) == ["./a.ts", "./bc.ts", "./d.ts", "./e.ts", "./f.ts", "./g.ts", "./side.ts", "./h.ts"]
