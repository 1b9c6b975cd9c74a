"""What the edge-function resource uploads for each function is complete on its own: every import inside the
bundle is a relative file that is in the bundle, a pinned `npm:` package or a `node:` built-in. Supabase bundles
on its side with no import map and no access to jsr or deno.land, so anything else fails only at deploy."""

from __future__ import annotations

import posixpath
import re

import pytest

from providers.supabase.function_bundle import collect_files, discover_functions, read_manifest

SPECIFIER = re.compile(r"""(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']""", re.MULTILINE)
PINNED_NPM = re.compile(r"^npm:(@[a-z0-9-]+/)?[a-z0-9._-]+@\d+\.\d+\.\d+(/[\w./-]+)?$")


def imports_of(source: str) -> list[str]:
    return SPECIFIER.findall(source)


def test_the_import_scanner_sees_every_form():
    source = 'import a from "./a.ts";\nexport { b } from "../_shared/b.ts";\nimport "npm:x@1.2.3";\nawait import("node:fs");\n'
    assert imports_of(source) == ["./a.ts", "../_shared/b.ts", "npm:x@1.2.3", "node:fs"]
    assert PINNED_NPM.match("npm:@scope/pkg@1.2.3/sub/path") and PINNED_NPM.match("npm:zod@3.25.76")
    for loose in ("npm:zod", "npm:zod@3", "npm:zod@^3.25.0", "jsr:@std/assert@1.0.0", "https://deno.land/x/y.ts"):
        assert not PINNED_NPM.match(loose), loose


@pytest.mark.parametrize("name", discover_functions("functions"))
def test_each_bundle_resolves_every_import_inside_itself(name):
    files = dict(collect_files("functions", name))
    entrypoint = f"{name}/{read_manifest('functions', name).entrypoint}"
    assert entrypoint in files, f"{entrypoint} is not in the bundle"
    problems = []
    for path, content in files.items():
        if not path.endswith((".ts", ".js", ".mjs", ".tsx")):
            continue
        for specifier in imports_of(content.decode()):
            if specifier.startswith("."):
                target = posixpath.normpath(posixpath.join(posixpath.dirname(path), specifier))
                if target not in files:
                    problems.append(f"{path}: {specifier} is not in the bundle")
            elif specifier.startswith("node:"):
                continue
            elif not PINNED_NPM.match(specifier):
                problems.append(f"{path}: {specifier} is neither relative, node: nor an exactly pinned npm: package")
    assert problems == []


@pytest.mark.parametrize("name", discover_functions("functions"))
def test_no_test_or_fake_reaches_a_deployed_bundle(name):
    paths = [path for path, _ in collect_files("functions", name)]
    assert not [p for p in paths if p.endswith(("_test.ts", ".test.ts")) or "/tests/" in p]


def test_the_health_check_and_the_payment_webhooks_need_no_token_and_the_rest_require_one():
    settings = {name: read_manifest("functions", name).verify_jwt for name in discover_functions("functions")}
    assert settings.pop("health-check") is False
    # Stripe and Razorpay send no JWT; the function checks their signatures (and users' tokens) itself.
    assert settings.pop("subscription-manager") is False
    assert set(settings.values()) == {True}
