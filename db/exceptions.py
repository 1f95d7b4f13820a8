"""Errors raised by the storage layer.

    StorageError (RuntimeError)
     └── DatabaseUnavailable   the server cannot be reached, the file cannot be opened or written
"""


class StorageError(RuntimeError):
    """Raised when the database cannot do what was asked."""


class DatabaseUnavailable(StorageError):
    """Raised when the database server cannot be reached or the SQLite file cannot be opened."""
