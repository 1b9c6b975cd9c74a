"""Backups that restore: a database dump streamed to S3 with a manifest written last, and the storage
buckets' objects copied beside it incrementally. See docs/runbooks.md for the operator's view."""

from ops.backup.errors import BackupError, BackupIntegrityError, RestoreRefused
from ops.backup.layout import BackupLocation, list_complete_backups, resolve_backup
from ops.backup.manifest import MANIFEST_FORMAT, Manifest
from ops.backup.run import BackupSettings, run_backup

__all__ = [
    "MANIFEST_FORMAT",
    "BackupError",
    "BackupIntegrityError",
    "BackupLocation",
    "BackupSettings",
    "Manifest",
    "RestoreRefused",
    "list_complete_backups",
    "resolve_backup",
    "run_backup",
]
