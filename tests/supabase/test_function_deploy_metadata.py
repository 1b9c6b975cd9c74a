"""What a function deploy sends, as the Supabase CLI sends it: only the import graph's files, and the
metadata the spec's FunctionDeployBody names (import_map_path, static_patterns, an explicit verify_jwt)."""

from __future__ import annotations

import json
from pathlib import Path

from providers.supabase.edge_function import EdgeFunctionProvider
from providers.supabase.function_bundle import collect_files, content_hash, read_manifest
from tests.supabase.helpers import checked, ready_project


def props_for(fake, ref: str, root: Path, slug: str) -> dict:
    settings = read_manifest(root, slug)
    return {
        "managementApiUrl": fake.url, "projectRef": ref, "slug": slug, "functionsDir": str(root),
        "entrypoint": settings.entrypoint, "verifyJwt": settings.verify_jwt, "importMap": settings.import_map,
        "contentHash": content_hash(collect_files(root, slug), settings.entrypoint, settings.verify_jwt,
                                    settings.import_map),
    }  # fmt: skip


def test_deploy_sends_the_graph_the_import_map_and_static_patterns(host, fake_supabase, tmp_path):
    root = tmp_path / "functions"
    (root / "_shared").mkdir(parents=True)
    (root / "_shared" / "cors.ts").write_text("export const cors = {};\n")
    (root / "_shared" / "pricing.ts").write_text("export const price = 1;\n")  # imported by no one here
    (root / "import_map.json").write_text(json.dumps({"imports": {"@shared/": "./_shared/"}}))
    (root / "mailer" / "templates").mkdir(parents=True)
    (root / "mailer" / "templates" / "welcome.html").write_text("<p>welcome</p>\n")
    (root / "mailer" / "index.ts").write_text('import { cors } from "@shared/cors.ts";\nexport { cors };\n')
    (root / "mailer" / "function.json").write_text(
        json.dumps(
            {
                "entrypoint": "index.ts",
                "verify_jwt": False,
                "import_map": "import_map.json",
                "static_files": ["templates/*.html"],
            }
        )
    )
    ref = ready_project(fake_supabase)
    provider = EdgeFunctionProvider()
    host.create(provider, checked(host, provider, props_for(fake_supabase, ref, root, "mailer")))

    deployed = fake_supabase.projects[ref].functions["mailer"]
    assert sorted(deployed.files) == [
        "_shared/cors.ts",
        "import_map.json",
        "mailer/index.ts",
        "mailer/templates/welcome.html",
    ]
    assert deployed.metadata == {
        "name": "mailer",
        "entrypoint_path": "mailer/index.ts",
        "verify_jwt": False,
        "import_map_path": "import_map.json",
        "static_patterns": ["mailer/templates/*.html"],
    }
    assert not fake_supabase.violations


def test_a_function_without_them_sends_neither(host, fake_supabase, tmp_path):
    root = tmp_path / "functions"
    (root / "plain").mkdir(parents=True)
    (root / "plain" / "index.ts").write_text("export {};\n")
    ref = ready_project(fake_supabase)
    provider = EdgeFunctionProvider()
    host.create(provider, checked(host, provider, props_for(fake_supabase, ref, root, "plain")))
    assert fake_supabase.projects[ref].functions["plain"].metadata == {
        "name": "plain",
        "entrypoint_path": "plain/index.ts",
        "verify_jwt": True,
    }
