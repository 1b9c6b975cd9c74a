"""What `python -m ops recover-stack` reads in a file backend after a killed `pulumi up`, on files laid out as the
CLI's file backend writes them (the whole command, with a real killed `up`, is tests/plain_cli/test_killed_up.py)."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from ops.engine.recovery import back_up, diagnose

URN = "urn:pulumi:local::ai-platform::ai-platform:database:Database$pulumi-python:dynamic/database:SchemaMigrations::platform-db-migrations"


def _backend(tmp_path: Path, *, pending: bool, pid: int | None, attrs: bytes | None) -> Path:
    stacks = tmp_path / ".pulumi" / "stacks" / "ai-platform"
    stacks.mkdir(parents=True)
    latest = {
        "resources": [],
        "pending_operations": [{"type": "creating", "resource": {"urn": URN}}] if pending else [],
    }
    (stacks / "local.json").write_text(json.dumps({"version": 3, "checkpoint": {"latest": latest}}))
    if attrs is not None:
        (stacks / "local.json.attrs").write_bytes(attrs)
    if pid is not None:
        locks = tmp_path / ".pulumi" / "locks" / "organization" / "ai-platform" / "local"
        locks.mkdir(parents=True)
        lock = {"pid": pid, "username": "ci", "hostname": socket.gethostname(), "timestamp": "2026-01-01T00:00:00Z"}
        (locks / "1f2e.json").write_text(json.dumps(lock))
    return tmp_path


def test_a_killed_up_is_diagnosed_lock_pending_create_and_empty_attributes(tmp_path):
    root = _backend(tmp_path, pending=True, pid=2**22 + 12345, attrs=b"")
    diagnosis = diagnose(root, "ai-platform", "local")
    assert not diagnosis.healthy
    assert [p.name for p in diagnosis.broken_attributes] == ["local.json.attrs"]
    assert diagnosis.pending == [("creating", URN)]
    [lock] = diagnosis.locks
    assert lock.pid == 2**22 + 12345 and not lock.held_by_a_running_process
    text = "\n".join(diagnosis.lines())
    assert "(stale)" in text and "pending creating: platform-db-migrations" in text


def test_a_lock_whose_process_still_runs_is_not_called_stale(tmp_path):
    root = _backend(tmp_path, pending=False, pid=os.getpid(), attrs=b'{"user.content_type": "application/json"}\n')
    diagnosis = diagnose(root, "ai-platform", "local")
    assert diagnosis.broken_attributes == [] and diagnosis.pending == []
    assert diagnosis.locks[0].held_by_a_running_process
    assert "still running" in diagnosis.lines()[0]


def test_a_healthy_stack_has_nothing_to_recover(tmp_path):
    assert diagnose(_backend(tmp_path, pending=False, pid=None, attrs=None), "ai-platform", "local").healthy


def test_the_backup_holds_the_checkpoint_its_attributes_and_the_locks(tmp_path):
    root = _backend(tmp_path / "backend", pending=True, pid=2**22 + 1, attrs=b"")
    copied = back_up(root, "ai-platform", "local", tmp_path / "copy")
    names = sorted(p.relative_to(tmp_path / "copy").as_posix() for p in copied)
    assert names == [
        ".pulumi/locks/organization/ai-platform/local/1f2e.json",
        ".pulumi/stacks/ai-platform/local.json",
        ".pulumi/stacks/ai-platform/local.json.attrs",
    ]
