"""The pull-request preview (.github/workflows/preview.yml runs `pulumi preview --diff` and posts its
output as the comment) is the same program: after a change to one function, the text shows that
function's update and nothing else."""

from __future__ import annotations

import re

import pytest

from tests.conftest import dbname_of
from tests.engine.helpers import run
from tests.engine.supabase_stack import secret_values, supabase_stack


# Several engine runs, each starting the CLI and a provider host: minutes on a loaded machine.
@pytest.mark.timeout(900)
def test_preview_diff_text_shows_the_changed_function_alone(engine, pg_cluster, fresh_db, tmp_path):
    with supabase_stack(engine(), pg_cluster, dbname_of(fresh_db), tmp_path) as deployed:
        run(deployed.stack.up)
        entry = deployed.functions_dir / "ai-chat-message" / "index.ts"
        entry.write_text(entry.read_text() + "\n// reviewed in a pull request\n")

        preview, _ = run(deployed.stack.preview, diff=True)
        text = preview.stdout

        updates = re.findall(r"~ (\S+): \(update\)\n\s+\[id=[^\]]*\]\n\s+\[urn=([^\]]+)\]", text)
        assert [urn.rsplit("::", 1)[-1] for _, urn in updates] == ["supabase-fn-ai-chat-message"], text
        assert updates[0][0] == "pulumi-python:dynamic/supabase:EdgeFunction"
        assert re.search(r"~ contentHash\s*: \"[0-9a-f]{64}\" => \"[0-9a-f]{64}\"", text), text
        assert text.count(": (update)") == 1 and re.search(r"~ 1 to update", text), text
        print(text)  # what the pull-request comment shows (pytest -s)
        for secret in secret_values(deployed.fake):
            assert secret not in text, f"a secret ({len(secret)} characters) is in the preview comment"
