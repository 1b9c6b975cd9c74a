"""Guide 000's curl examples (section 5.4, "Test Edge Functions"), read from the guide and run with the real curl
binary against every function served locally behind Supabase-like gateway checks.

Only the host (`https://xxxxxxxxxxxxx.supabase.co`) and `YOUR_ANON_KEY` are replaced. With the anon key as
written, each function answers 401 telling the caller to sign in. With a signed-in user's token:
create-support-ticket succeeds as written; ai-chat-message and execute-automation are refused with 400 naming the
field, because the guide's ids (`test-conv-id`, `test-workflow-id`) are not UUIDs, and succeed once those ids
are replaced by a conversation and a workflow of that user.

The functions and their fakes run in a Deno subprocess (tests/functions/support/guide_gateway.ts) with the
permissions of the Deno suite (test_deno_suite.py).
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.functions.deno import DENO, MISSING_DENO, PROJECT_ROOT, DenoScriptError, start_script, stop_script

GUIDE_NAME = "000_57e93d7d2e15fb88.txt"
GUIDE_CANDIDATES = (
    PROJECT_ROOT.parent / "shared" / "seeds" / GUIDE_NAME,
    Path("/work/shared/seeds") / GUIDE_NAME,
)
GUIDE_HOST = "https://xxxxxxxxxxxxx.supabase.co"
GUIDE_KEY = "YOUR_ANON_KEY"
GATEWAY_SCRIPT = "tests/functions/support/guide_gateway.ts"
READY_MARKER = "GUIDE_GATEWAY_READY"
START_TIMEOUT_SECONDS = 60
CURL_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class CurlExample:
    function: str
    argv: list[str]

    def with_replacements(self, replacements: dict[str, str]) -> list[str]:
        """The command with each placeholder replaced in every argument (URL, header, body)."""
        out = []
        for arg in self.argv:
            for placeholder, value in replacements.items():
                arg = arg.replace(placeholder, value)
            out.append(arg)
        return out


@dataclass(frozen=True)
class Gateway:
    url: str
    anon_key: str
    user_token: str
    user_id: str
    conversation_id: str
    workflow_id: str
    log: Path


def guide_path() -> Path:
    for candidate in GUIDE_CANDIDATES:
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"guide {GUIDE_NAME} not found next to the checkout (../shared/seeds/)")


def curl_examples(guide_text: str) -> list[CurlExample]:
    """The ```bash blocks of section 5.4, each one curl command (backslash continuations joined)."""
    section = re.search(r"^### 5\.4 Test Edge Functions\n(.*?)^### ", guide_text, re.S | re.M)
    assert section, "guide 000 has no section '### 5.4 Test Edge Functions'"
    examples = []
    for block in re.findall(r"```bash\n(.*?)```", section.group(1), re.S):
        argv = shlex.split(block.replace("\\\n", " "))
        assert argv[0] == "curl", f"not a curl command: {block}"
        url = next(arg for arg in argv if arg.startswith(GUIDE_HOST))
        examples.append(CurlExample(function=url.rsplit("/", 1)[-1], argv=argv))
    return examples


@pytest.fixture(scope="module")
def examples() -> dict[str, CurlExample]:
    found = {example.function: example for example in curl_examples(guide_path().read_text())}
    assert sorted(found) == ["ai-chat-message", "create-support-ticket", "execute-automation"], sorted(found)
    return found


@pytest.fixture(scope="module")
def gateway(migrated_database_url: str) -> Iterator[Gateway]:
    if not DENO.exists():
        pytest.fail(MISSING_DENO)
    if shutil.which("curl") is None:
        pytest.fail("curl is not installed; the guide's examples are curl commands (apt-get install curl)")
    with tempfile.TemporaryDirectory(prefix="guide-gateway-") as folder:
        log = Path(folder) / "gateway.log"
        try:
            process, ready = start_script(
                GATEWAY_SCRIPT,
                "functions,tests/functions,ops/serve",
                migrated_database_url,
                log,
                READY_MARKER,
                START_TIMEOUT_SECONDS,
            )
        except DenoScriptError as error:
            pytest.fail(f"the local gateway: {error}")
        try:
            yield Gateway(**ready, log=log)
        finally:
            stop_script(process)


def run_curl(argv: list[str], gateway: Gateway) -> tuple[int, dict]:
    """Runs the command as given, plus flags that only report: the status code on the last line, errors shown."""
    result = subprocess.run(
        [*argv, "--silent", "--show-error", "--write-out", "\n%{http_code}"],
        capture_output=True,
        text=True,
        timeout=CURL_TIMEOUT_SECONDS,
    )
    assert result.returncode == 0, f"curl failed: {result.stderr}\n{gateway.log.read_text(errors='replace')}"
    body, _, status = result.stdout.rpartition("\n")
    try:
        return int(status), json.loads(body)
    except json.JSONDecodeError:
        return int(status), {"raw": body}


def as_written(example: CurlExample, gateway: Gateway, key: str) -> list[str]:
    return example.with_replacements({GUIDE_HOST: gateway.url, GUIDE_KEY: key})


@pytest.mark.parametrize("function", ["ai-chat-message", "create-support-ticket", "execute-automation"])
def test_with_the_anon_key_as_written_each_function_asks_to_sign_in(examples, gateway, function):
    status, body = run_curl(as_written(examples[function], gateway, gateway.anon_key), gateway)
    assert status == 401, body
    assert body["error"]["code"] == "sign_in_required", body
    assert "sign in" in body["error"]["message"], body


def test_create_support_ticket_as_written_succeeds_for_a_signed_in_user(examples, gateway):
    status, body = run_curl(as_written(examples["create-support-ticket"], gateway, gateway.user_token), gateway)
    assert status == 201, body
    ticket = body["ticket"]
    assert ticket["title"] == "Test Ticket" and ticket["priority"] == "medium" and ticket["category"] == "incident"
    assert re.fullmatch(r"TKT-\d{6,}", ticket["ticket_number"]), ticket
    assert body["notification"] == {"email": "sent"}, body


@pytest.mark.parametrize(
    ("function", "field"), [("ai-chat-message", "conversation_id"), ("execute-automation", "workflow_id")]
)
def test_the_guides_placeholder_ids_are_refused_naming_the_field(examples, gateway, function, field):
    status, body = run_curl(as_written(examples[function], gateway, gateway.user_token), gateway)
    assert status == 400, body
    assert body["error"]["code"] == "invalid_request", body
    assert re.search(rf"\b{field}: must be a UUID", body["error"]["message"]), body


def test_ai_chat_message_succeeds_with_a_real_conversation(examples, gateway):
    argv = examples["ai-chat-message"].with_replacements(
        {GUIDE_HOST: gateway.url, GUIDE_KEY: gateway.user_token, "test-conv-id": gateway.conversation_id}
    )
    status, body = run_curl(argv, gateway)
    assert status == 200, body


def test_execute_automation_succeeds_with_a_real_workflow(examples, gateway):
    argv = examples["execute-automation"].with_replacements(
        {GUIDE_HOST: gateway.url, GUIDE_KEY: gateway.user_token, "test-workflow-id": gateway.workflow_id}
    )
    status, body = run_curl(argv, gateway)
    assert status == 200, body
    job = body["job"]
    assert job["status"] == "succeeded" and job["workflow_id"] == gateway.workflow_id, body
    assert job["result_path"] == f"{gateway.user_id}/{job['id']}.json", body
