"""What a killed `pulumi up` (out of memory, a lost CI runner, a job timeout) leaves in a file backend, and how it
is undone. Nothing of this recovers by itself:

- the lock file (`.pulumi/locks/.../<stack>/<id>.json`): every later command is refused until `pulumi cancel`;
- pending operations in the checkpoint (resources the engine had started to create, update or delete): pending
  creates stay until `pulumi refresh --clear-pending-creates`. Our providers adopt what already exists (the
  project by name, a bucket on 409, a function by slug, migrations from the history table), so clearing them
  and running `up` again is safe;
- a 0-byte `<stack>.json.attrs` beside the checkpoint (the file backend writes each object's attributes in a
  second file, and a kill between the two leaves it empty): every command, `pulumi cancel` included, then
  fails with `failed to load checkpoint: EOF`. The attributes file holds only metadata and is written again
  with the next checkpoint, so it is removed.

`diagnose` only reads. `recover` copies the stack's checkpoint, its backups and locks to a backup folder first,
then removes the broken attributes files, and leaves the lock and the pending operations to the CLI's own
commands (`ops/commands/recover_stack.py` runs them).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

BOOKKEEPING = ".pulumi"


@dataclass(frozen=True)
class StackLock:
    path: Path
    pid: int | None
    hostname: str
    created: str

    @property
    def held_by_a_running_process(self) -> bool:
        """Only answerable on the host that took the lock; elsewhere the operator must know."""
        if self.hostname != socket.gethostname() or self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True


@dataclass
class Diagnosis:
    stack: str
    checkpoint: Path | None
    broken_attributes: list[Path] = field(default_factory=list)
    locks: list[StackLock] = field(default_factory=list)
    pending: list[tuple[str, str]] = field(default_factory=list)  # (operation type, resource urn)
    unreadable_checkpoint: str | None = None

    @property
    def healthy(self) -> bool:
        return not (self.broken_attributes or self.locks or self.pending or self.unreadable_checkpoint)

    def lines(self) -> list[str]:
        found = [
            f"broken attributes file (every command fails with `failed to load checkpoint: EOF`): {path}"
            for path in self.broken_attributes
        ]
        found += [
            f"lock {lock.path.name}: taken by pid {lock.pid} on {lock.hostname} at {lock.created}"
            + (" (that process is still running)" if lock.held_by_a_running_process else " (stale)")
            for lock in self.locks
        ]
        if self.unreadable_checkpoint:
            found.append(f"checkpoint {self.checkpoint} cannot be read: {self.unreadable_checkpoint}")
        found += [f"pending {kind}: {urn.rsplit('::', 1)[-1]} ({urn})" for kind, urn in self.pending]
        return found


def backend_dir(backend_url: str) -> Path | None:
    """The folder of a file backend (file:///path or file://~/path); None for any other backend."""
    if not backend_url.startswith("file://"):
        return None
    return Path(os.path.expanduser(backend_url.removeprefix("file://"))).resolve()


def diagnose(root: Path, project: str, stack: str) -> Diagnosis:
    bookkeeping = root / BOOKKEEPING
    checkpoint = _checkpoint(bookkeeping, project, stack)
    diagnosis = Diagnosis(stack=stack, checkpoint=checkpoint)
    for path in _stack_files(bookkeeping, project, stack):
        if path.name.endswith(".attrs") and not _is_json(path):
            diagnosis.broken_attributes.append(path)
    for path in sorted(_lock_dir(bookkeeping, project, stack).glob("*.json")):
        diagnosis.locks.append(_read_lock(path))
    if checkpoint is not None and checkpoint.suffix == ".json":
        try:
            document = json.loads(checkpoint.read_text())
        except (OSError, ValueError) as exc:
            diagnosis.unreadable_checkpoint = f"{type(exc).__name__}: {exc}"
        else:
            operations = (document.get("checkpoint", {}).get("latest") or {}).get("pending_operations") or []
            diagnosis.pending = [(str(op.get("type")), str(op.get("resource", {}).get("urn"))) for op in operations]
    return diagnosis


def back_up(root: Path, project: str, stack: str, into: Path) -> list[Path]:
    """Copies the stack's checkpoint files (with their backups and attributes) and locks into `into`."""
    bookkeeping = root / BOOKKEEPING
    copied = []
    for path in [*_stack_files(bookkeeping, project, stack), *_lock_dir(bookkeeping, project, stack).glob("*")]:
        if path.is_file():
            target = into / path.relative_to(root)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
            copied.append(target)
    return copied


def backup_folder(root: Path) -> Path:
    """Beside the backend's bookkeeping, where Pulumi never looks: <backend>/recovery-backups/<UTC time>."""
    return root / "recovery-backups" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


def _checkpoint(bookkeeping: Path, project: str, stack: str) -> Path | None:
    for folder in (bookkeeping / "stacks" / project, bookkeeping / "stacks"):  # project-scoped, then legacy
        for suffix in (".json", ".json.gz", ".json.zst"):
            if (folder / f"{stack}{suffix}").exists():
                return folder / f"{stack}{suffix}"
    return None


def _stack_files(bookkeeping: Path, project: str, stack: str) -> list[Path]:
    files: list[Path] = []
    for folder in (bookkeeping / "stacks" / project, bookkeeping / "stacks"):
        if folder.is_dir():
            files += sorted(p for p in folder.iterdir() if p.is_file() and p.name.startswith(f"{stack}.json"))
    lock_dir = _lock_dir(bookkeeping, project, stack)
    if lock_dir.is_dir():
        files += sorted(lock_dir.glob("*.attrs"))
    return files


def _lock_dir(bookkeeping: Path, project: str, stack: str) -> Path:
    project_scoped = bookkeeping / "locks" / "organization" / project / stack
    return project_scoped if project_scoped.exists() else bookkeeping / "locks" / stack


def _read_lock(path: Path) -> StackLock:
    try:
        content: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        content = {}
    pid = content.get("pid")
    return StackLock(
        path,
        pid if isinstance(pid, int) else None,
        str(content.get("hostname", "?")),
        str(content.get("timestamp", "?")),
    )


def _is_json(path: Path) -> bool:
    try:
        json.loads(path.read_bytes() or b"!")
    except (OSError, ValueError):
        return False
    return True
