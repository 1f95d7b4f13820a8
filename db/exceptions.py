"""Errors raised by the storage layer.

    StorageError (RuntimeError)
     ├── DatabaseUnavailable   the server cannot be reached or the file cannot be opened
     └── SchemaOutOfDate       the database has not been migrated to this version
"""


class StorageError(RuntimeError):
    """Raised when the database cannot do what was asked."""


class DatabaseUnavailable(StorageError):
    """Raised when the database server cannot be reached or the SQLite file cannot be opened."""


class SchemaOutOfDate(StorageError):
    """Raised when the database schema is older than this version of budget-monitor."""
