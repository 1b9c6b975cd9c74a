"""Supabase API calls of a deployment: `python benchmarks/api_calls.py`.

Runs the prod stack's program (its real stack file, secrets supplied as Pulumi secrets) three times with
state kept between runs, every Supabase resource going through Pulumi's real provider host against the
local fake of the Management and Storage APIs, and prints the API calls by kind for:
  1. a first deploy (everything is created),
  2. a deploy with no change (target: no writes),
  3. a deploy after one function's file changed (target: one deploy call, nothing else written).
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
from tests.supabase.fake_api import FakeSupabase

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SUPABASE_TYPES = "pulumi-python:dynamic/supabase:"
GUIDE_FUNCTIONS = (
    "ai-chat-message", "create-support-ticket", "execute-automation", "document-upload", "document-processor",
    "ai-chat", "translation-service", "analytics-engine", "reminder-engine", "family-vault",
    "professional-marketplace", "subscription-manager", "search-engine",
)  # fmt: skip
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
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
            **{part: {"enabled": False} for part in ("aws", "frontend", "storageCdn", "backup", "alerts", "ciIdentity")},
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
        deploys = one.get("POST v1-deploy-a-function", 0)
        other_writes = sum(n for k, n in one.items() if k.split()[0] in WRITE_METHODS) - deploys
        print(f"\ntargets: no-change writes {writes} (want 0); one-function change deploy calls {deploys} "
              f"(want 1), other writes {other_writes} (want 0)")  # fmt: skip
        ok = writes == 0 and deploys == 1 and other_writes == 0 and not fake.violations
        if fake.violations:
            print("contract violations:\n  " + "\n  ".join(fake.violations))
        return 0 if ok else 1
    finally:
        fake.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
