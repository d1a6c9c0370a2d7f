"""Opening a database file, encrypted at rest.

Every connection to the file is an in-memory DuckDB instance that loads the
httpfs extension from its Python package, turns temporary-file encryption
on, ATTACHes the file with its key (store.keys) and USEs it, so that all of
the store's SQL runs unqualified as before. (DuckDB takes no key in
``connect()``'s config; and without httpfs it can only read encrypted files.)

New files are encrypted. A file that is not encrypted is opened as it is and
reported as plaintext: opening for writing then encrypts it (store.compact.
encrypt_file). ``WORKPRINT_PLAINTEXT=1`` makes new files plaintext and leaves
plaintext files so: only for benchmarks and for tests that must see the
bytes (bench --plain).

A key that is missing or wrong is an error naming the file and where the key
was looked for, raised before anything is written: the file is left as it
was, byte for byte, and no new key is made for a file that exists.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from . import keys, statements
from .errors import KeyMissingError, WrongKeyError

PLAINTEXT_ENV = "WORKPRINT_PLAINTEXT"
# Settings of the instance itself: nothing is ever downloaded or loaded behind our back.
INSTANCE_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def plaintext_mode() -> bool:
    """True when new files are to be plaintext (benchmarks, control tests)."""
    return os.environ.get(PLAINTEXT_ENV, "").lower() in ("1", "true", "yes")


def httpfs_file() -> Path:
    """The httpfs extension shipped by the duckdb-extension-httpfs package
    for this DuckDB's version (requirements.txt pins both)."""
    import duckdb_extension_httpfs

    file = (Path(duckdb_extension_httpfs.__file__).parent / "extensions" / f"v{duckdb.__version__}"
            / "httpfs.duckdb_extension")
    if not file.exists():
        raise RuntimeError(f"{file} is missing: duckdb-extension-httpfs must be the same version as duckdb "
                           f"({duckdb.__version__}); run ./run.sh again to install requirements.txt")
    return file


def instance(path: Path, encrypted: bool = True):
    """A new in-memory instance ready to attach ``path``: httpfs loaded,
    temp files encrypted (unless ``encrypted`` is false) and kept beside the file."""
    con = duckdb.connect(":memory:", config=INSTANCE_CONFIG)
    try:
        statements.execute(con, "no_progress_bar")
        statements.execute(con, "utc_session")
        statements.execute_with_path(con, "load_httpfs", {"path": httpfs_file()})
        statements.execute(con, "temp_file_encryption", {"value": encrypted})
        statements.execute(con, "temp_directory", {"dir": str(path) + ".tmp"})
    except BaseException:
        con.close()
        raise
    return con


def use(con):
    """Make ``con`` (a connection or cursor of an instance from :func:`open_file`)
    run unqualified names on the attached file; returns ``con``."""
    statements.execute(con, "use_workprint")
    return con


def open_file(path: Path, read_only: bool = False):
    """Open the database at ``path``: ``(connection, encrypted)``.

    A new file (writable only) is made encrypted, with a new key, unless
    plaintext_mode(). An existing one is opened with its key, or without one
    if it is not encrypted (``encrypted`` false: the caller decides whether to
    encrypt it). Raises WrongKeyError, KeyMissingError or KeyFileError with
    the file untouched; other failures are duckdb errors, for store.db to classify.
    """
    key = keys.find(path)
    if key is None and not path.exists() and not read_only and not plaintext_mode():
        key = keys.create(path)
    con = instance(path)
    try:
        encrypted = _attach(con, path, key, read_only)
        use(con)
    except BaseException:
        con.close()
        raise
    return con, encrypted


def _attach(con, path: Path, key, read_only: bool) -> bool:
    if key is not None:
        try:
            statements.execute_with_path(con, "attach_encrypted",
                                         {"path": path, "key": key.secret, "read_only": read_only})
            return True
        except duckdb.Error as exc:
            text = str(exc)
            if "Wrong encryption key" in text:
                raise WrongKeyError(
                    f"{path} cannot be opened with the key in {key.where}: it is not the key this file was "
                    "encrypted with. The file is left as it was; put back the key it was made with "
                    "(from a backup of that key file or keyring) and try again") from None
            if "is not encrypted" not in text:
                raise
    try:
        statements.execute_with_path(con, "attach_plain", {"path": path, "read_only": read_only})
    except duckdb.Error as exc:
        if "without a key" in str(exc):
            raise KeyMissingError(
                f"{path} is encrypted and its key is not in {keys.places(path)}. Without its key the file "
                "cannot be read; it is left as it was and no new key was made. Restore the key from a backup "
                "(a file moved from elsewhere needs its key file too: keys are named by the database's path)"
            ) from None
        raise
    return False
