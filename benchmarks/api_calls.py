"""Supabase API calls of a deployment: `python benchmarks/api_calls.py`.

Runs the prod stack's program (its real stack file, secrets supplied as Pulumi secrets) three times with
state kept between runs, every Supabase resource going through Pulumi's real provider host against the
local fake of the Management and Storage APIs, and prints the API calls by kind for:
  1. a first deploy (everything is created),
  2. a deploy with no change (target: no writes),
  3. a deploy after one function's file changed (target: one deploy call, nothing else written),
  4. a deploy after one shared module changed, `_shared/ai/pricing.ts` (target: a deploy call for each
     function whose import graph holds it, and no other).
Then the files and bytes each function uploads (its import graph, as the Supabase CLI uploads it) against the
same function uploaded as its whole folder plus all of `_shared` (how this program deployed before).
The functions are a copy of functions/ (or, while it is empty, the functions both guides name), so the
repository is never modified. The AWS parts are switched off (they make no Supabase calls); other resources get mock outputs. Takes seconds.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ops.engineless.deploy import _converge
from ops.engineless.program import PlainMocks, Registered, run_program
from ops.engineless.provider_host import ProviderHost, Secret
from providers.supabase.function_bundle import collect_files, discover_functions
from tests.supabase.fake_api import FakeSupabase

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUPABASE_TYPES = "pulumi-python:dynamic/supabase:"
GUIDE_FUNCTIONS = (
    "ai-chat-message", "create-support-ticket", "execute-automation", "document-upload", "document-processor",
    "ai-chat", "translation-service", "analytics-engine", "reminder-engine", "family-vault",
    "professional-marketplace", "subscription-manager", "search-engine",
)  # fmt: skip
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
SHARED_MODULE = "_shared/ai/pricing.ts"
_TEST_SUFFIXES = ("_test.ts", ".test.ts", "_test.js", ".test.js")
# Reads done with POST (listing a bucket's objects) are not writes.
READ_OPERATIONS = {"storage list objects"}


def functions_copy(workdir: Path) -> Path:
    target = workdir / "functions"
    source = PROJECT_ROOT / "functions"
    if source.is_dir() and any(p.is_dir() and not p.name.startswith((".", "_")) for p in source.iterdir()):
        shutil.copytree(source, target)
        return target
    (target / "_shared").mkdir(parents=True)
    (target / "_shared" / "cors.ts").write_text('export const corsHeaders = { "Access-Control-Allow-Origin": "*" };\n')
    for name in GUIDE_FUNCTIONS:
        (target / name).mkdir()
        (target / name / "index.ts").write_text(f'import {{ corsHeaders }} from "../_shared/cors.ts";\n// {name}\n')
    return target


def deploy(host: ProviderHost, state: dict[str, Any], overrides: dict[str, Any]) -> list[str]:
    actions: list[str] = []

    def new_resource(registered: Registered) -> tuple[str, dict[str, Any]]:
        if not registered.custom:
            return "", {}
        if not registered.type.startswith(SUPABASE_TYPES):
            return f"{registered.name}-id", dict(registered.inputs)
        step, entry = _converge(host, registered, state.get(registered.urn), False)
        state[registered.urn] = entry
        actions.append(f"{step.action} {registered.name}")
        return entry["id"], entry["outputs"]

    run_program("prod", overrides, PlainMocks(new_resource))
    return actions


def report(title: str, fake: FakeSupabase, since: int, actions: list[str]) -> Counter[str]:
    calls = fake.calls[since:]
    by_kind = Counter(f"{c.method} {c.operation}" for c in calls)
    writes = sum(1 for c in calls if c.method in WRITE_METHODS and c.operation not in READ_OPERATIONS)
    changed = [a for a in actions if not a.startswith("same")]
    print(f"\n== {title}: {len(calls)} API calls, {writes} writes; resources changed: {len(changed)}")
    for kind, count in sorted(by_kind.items()):
        print(f"  {count:4d}  {kind}")
    return by_kind


def whole_folders(functions_dir: Path, name: str) -> list[tuple[str, bytes]]:
    """The baseline: the function's folder and all of _shared, as this program uploaded before."""
    files = []
    for folder in (functions_dir / name, functions_dir / "_shared"):
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(functions_dir)
            if (
                path.is_file()
                and not any(part.startswith(".") for part in relative.parts)
                and path.name != "function.json"
                and not path.name.endswith(_TEST_SUFFIXES)
            ):
                files.append((relative.as_posix(), path.read_bytes()))
    return files


def print_upload_sizes(functions_dir: Path, fake: FakeSupabase) -> None:
    print("\n== uploaded per function: import graph (what the deploy sent) vs whole folder + all of _shared")
    print(f"  {'function':24s} {'graph files':>11s} {'bytes':>9s} {'folder files':>12s} {'bytes':>9s} {'ratio':>6s}")
    deployed = {slug: fn for project in fake.projects.values() for slug, fn in project.functions.items()}
    for name in discover_functions(functions_dir):
        sent = deployed[name].files if name in deployed else dict(collect_files(functions_dir, name))
        folder = whole_folders(functions_dir, name)
        sent_bytes, folder_bytes = sum(map(len, sent.values())), sum(len(c) for _, c in folder)
        print(
            f"  {name:24s} {len(sent):11d} {sent_bytes:9d} {len(folder):12d} {folder_bytes:9d} "
            f"{sent_bytes / folder_bytes:6.2f}"
        )


def main() -> int:
    fake = FakeSupabase().start()
    os.environ.update(
        SUPABASE_ACCESS_TOKEN=fake.token, SUPABASE_POLL_INTERVAL_SECONDS="0.01", SUPABASE_API_TIMEOUT_SECONDS="10"
    )
    workdir = Path(tempfile.mkdtemp(prefix="api-calls-"))
    try:
        functions_dir = functions_copy(workdir)
        overrides = {
            "supabase": {
                "organizationSlug": fake.organization,
                "projectName": "ai-super-assistant-prod",
                "region": "eu-central-1",
                "instanceSize": "small",
                "protect": True,
                "managementApiUrl": fake.url,
                "projectUrlTemplate": fake.project_url_template,
                "functionsDir": str(functions_dir),
            },
            # Only Supabase's calls are counted: the AWS parts (which expect an https project URL) stay off.
            **{
                part: {"enabled": False}
                for part in (
                    "aws",
                    "frontend",
                    "storageCdn",
                    "backup",
                    "alerts",
                    "ciIdentity",
                    "waf",
                    "budget",
                    "providerSpend",
                    "stripeWebhook",
                )
            },
            "functionSecrets": Secret({"OPENAI_API_KEY": "sk-bench", "STRIPE_SECRET_KEY": "sk_live_bench"}),
            "authSecrets": Secret({"smtpPass": "bench-smtp-pass"}),
        }
        state: dict[str, Any] = {}
        with ProviderHost() as host:
            mark = len(fake.calls)
            actions = deploy(host, state, overrides)
            report("first deploy of the prod stack", fake, mark, actions)

            mark = len(fake.calls)
            actions = deploy(host, state, overrides)
            unchanged = report("deploy with no change", fake, mark, actions)
            writes = sum(n for kind, n in unchanged.items() if kind.split()[0] in WRITE_METHODS)

            changed_function = sorted(p for p in functions_dir.iterdir() if not p.name.startswith(("_", ".")))[0]
            entry = next(changed_function.glob("*.ts"))
            entry.write_text(entry.read_text() + "// changed\n")
            mark = len(fake.calls)
            actions = deploy(host, state, overrides)
            one = report(f"deploy after changing functions/{changed_function.name}", fake, mark, actions)

            shared_ok, shared_line = True, f"{SHARED_MODULE} absent: shared-module step skipped"
            if (functions_dir / SHARED_MODULE).is_file():
                importers = sorted(
                    name
                    for name in discover_functions(functions_dir)
                    if SHARED_MODULE in dict(collect_files(functions_dir, name))
                )
                module = functions_dir / SHARED_MODULE
                module.write_text(module.read_text() + "// a new price table\n")
                mark = len(fake.calls)
                actions = deploy(host, state, overrides)
                shared = report(f"deploy after changing functions/{SHARED_MODULE}", fake, mark, actions)
                redeployed = sorted(
                    a.split()[1].split("-fn-", 1)[1] for a in actions if not a.startswith("same") and "-fn-" in a
                )
                shared_deploys = shared.get("POST v1-deploy-a-function", 0)
                shared_ok = redeployed == importers and shared_deploys == len(importers)
                shared_line = (
                    f"shared-module change deploy calls {shared_deploys} for {', '.join(redeployed)} "
                    f"(want {len(importers)}: {', '.join(importers)}, of "
                    f"{len(discover_functions(functions_dir))} functions)"
                )
            print_upload_sizes(functions_dir, fake)
        deploys = one.get("POST v1-deploy-a-function", 0)
        other_writes = sum(n for k, n in one.items() if k.split()[0] in WRITE_METHODS) - deploys
        print(f"\ntargets: no-change writes {writes} (want 0); one-function change deploy calls {deploys} "
              f"(want 1), other writes {other_writes} (want 0); {shared_line}")  # fmt: skip
        ok = writes == 0 and deploys == 1 and other_writes == 0 and shared_ok and not fake.violations
        if fake.violations:
            print("contract violations:\n  " + "\n  ".join(fake.violations))
        return 0 if ok else 1
    finally:
        fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
