"""What every operator command shares: the help says what the tool is for, errors come in one style on
standard error, and usage errors exit 2 without a word on standard output (scripts read stdout)."""

from __future__ import annotations

import pytest

from ops.cli import main

# Each argv is a usage error the command finds itself (argparse accepts it); none reaches a network or database.
USAGE_ERRORS = {
    "backup": ["backup", "--bucket", "b"],
    "restore": ["restore", "--stack", "s", "--bucket", "b"],
    "verify-backup": ["verify-backup", "--bucket", "b"],
    "check-site": ["check-site", "--frontend-url", "ftp://nowhere"],
    "publish-frontend": ["publish-frontend", "--dist", "dist"],
    "restore-pitr": ["restore-pitr", "--project-ref", "abcdefghijklmnopqrst", "--to", "yesterday"],
    "scrape-metrics": ["scrape-metrics", "--metrics-url", "https://x.example"],
    "migrate": ["migrate"],
}


def test_help_opens_with_what_the_tool_is_for(capsys, monkeypatch):
    monkeypatch.setattr("sys.argv", ["ops"])
    assert main(["--help"], prog="ops") == 0
    help_text = capsys.readouterr().out
    description = help_text.split("\n\n")[1]
    assert description.startswith("The operator's tool for the AI platform's stacks")
    assert "Argument parsing" not in help_text, "the parser's own docstring is for developers, not operators"
    assert "exit codes: 0 done" in help_text


@pytest.mark.parametrize("command", sorted(USAGE_ERRORS))
def test_usage_errors_go_to_standard_error_and_exit_2(command, capsys, monkeypatch):
    for variable in (
        "PULUMI_STACK",
        "BACKUP_BUCKET",
        "DATABASE_URL",
        "RESTORE_TARGET_URL",
        "SUPABASE_SERVICE_ROLE_KEY",
        "SUPABASE_LOGS_ACCESS_TOKEN",
    ):
        monkeypatch.delenv(variable, raising=False)
    assert main(USAGE_ERRORS[command]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("usage error: ")


def test_failures_print_one_style_on_standard_error(tmp_path, capsys):
    missing = tmp_path / "outputs.json"
    assert main(["frontend-env", "--outputs", str(missing)]) == 1
    assert main(["check-site", "--outputs", str(missing)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert [line.split(":", 1)[0] for line in err.splitlines()] == ["error", "error"]
