"""Everything the engine refuses or fails with. Messages name the file, version or setting at fault and the
fix, and never hold the connection string."""


class MigrationError(Exception):
    """Base class: a migration run that did not complete. Nothing of the failing file is applied."""


class MigrationFileError(MigrationError):
    """A file in sql/migrations is misnamed, unreadable or not valid SQL (found before connecting)."""


class MigrationRefused(MigrationError):
    """The history in the database and the files disagree in a way the engine will not paper over."""


class MigrationFailed(MigrationError):
    """A statement failed while applying a file; that file's transaction was rolled back."""

    def __init__(self, message: str, *, version: str, line: int) -> None:
        super().__init__(message)
        self.version = version
        self.line = line


class MigrationLockTimeout(MigrationError):
    """Another deploy holds the migration lock, or a table lock, for longer than lock_timeout."""


class DatabaseUnreachable(MigrationError):
    """The database could not be reached or refused the login."""
