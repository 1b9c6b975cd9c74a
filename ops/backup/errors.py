"""Errors of the backup and restore commands; each message names the thing and the fix, never a secret."""


class BackupError(RuntimeError):
    """A backup or restore step failed; nothing was marked as a good backup, nothing half-restored."""


class BackupIntegrityError(BackupError):
    """The stored dump does not match its manifest (truncated, corrupted or replaced)."""


class RestoreRefused(BackupError):
    """The restore would overwrite or merge data the operator did not ask to replace."""
