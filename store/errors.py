"""The store's errors: each message is meant for the worker, naming the file and what to do."""

from __future__ import annotations


class StoreError(RuntimeError):
    """A database problem with a message meant for the user."""


class LockedError(StoreError):
    """Another process holds the database file open."""


class UnreadableError(StoreError):
    """The file exists but we may not read or write it (permissions, a folder, ...)."""


class CorruptError(StoreError):
    """The file exists but is not a readable DuckDB database."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer Workprint than this one: it is left untouched."""


class FileReplacedError(StoreError):
    """The database file was deleted or replaced while it was open: the new one is not ours to touch."""


class KeyMissingError(StoreError):
    """The file is encrypted and its key is nowhere to be found: nothing is changed, no key is made."""


class WrongKeyError(StoreError):
    """The key found is not the one the file was encrypted with: the file is left as it was."""


class KeyFileError(StoreError):
    """A key file or its folder is open to others, a link, or not the owner's: it is not used."""


class FormatTooNewError(StoreError):
    """The file was written by a newer DuckDB (2.0) than this Workprint's: it is left untouched."""
