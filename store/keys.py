"""The database's key: one per database file, in the OS keyring where one
works, else in a key file only its owner can read.

A key file is ``~/.config/workprint/keys/<digest of the database path>.key``
(``$XDG_CONFIG_HOME`` is followed; ``$WORKPRINT_KEY_DIR`` replaces the folder
and leaves the keyring out, for tests). It is kept away from the data folder
on purpose: a backup, a copy or a sync of the data folder then carries the
encrypted file without its key. Against other users of the machine the key
file is 0600 in a 0700 folder, made with ``O_EXCL|O_NOFOLLOW`` (whole, then
linked into place), and refused
(KeyFileError, saying how to fix it) when it or its folder is a link, is
someone else's, or lets group or others in at all.

Keys are looked up by the database's absolute path, so a file moved
elsewhere needs its key moved with it (the messages say where it was looked
for). Nothing here makes a key for a file that exists already encrypted:
store.attach asks for one only for a new file or a plaintext one it is
about to encrypt.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .errors import KeyFileError

log = logging.getLogger("workprint.store")

KEY_DIR_ENV = "WORKPRINT_KEY_DIR"
SERVICE = "workprint"  # the keyring's service name; the user name is the database's path


@dataclass(frozen=True)
class Key:
    secret: str
    where: str  # for messages: the key file's path, or the keyring entry


def key_dir() -> Path:
    """The folder of key files: $WORKPRINT_KEY_DIR, else ~/.config/workprint/keys."""
    if os.environ.get(KEY_DIR_ENV):
        return Path(os.environ[KEY_DIR_ENV]).expanduser().absolute()
    config = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(config).expanduser().absolute() / "workprint" / "keys"


def _name(db: Path) -> str:
    """The database's one name, whichever way it was reached (links resolved)."""
    return str(Path(db).expanduser().resolve())


def key_file(db: Path) -> Path:
    """Where the key file of the database at ``db`` is (whether it exists or not)."""
    digest = hashlib.sha256(_name(db).encode()).hexdigest()[:20]
    return key_dir() / f"{digest}.key"


def places(db: Path) -> str:
    """Where a key for ``db`` is looked for, in words, for messages."""
    where = str(key_file(db))
    if _keyring() is not None:
        where = f"the keyring (service {SERVICE!r}, user {_name(db)!r}) or {where}"
    return where


def find(db: Path) -> Key | None:
    """The key of ``db``, or None if there is none. The key file is read
    first (no keyring to load on a machine without one). Raises KeyFileError
    for a key file or folder others could reach or swap."""
    file = key_file(db)
    secret = _read_file(file)
    if secret is not None:
        return Key(secret, str(file))
    ring = _keyring()
    if ring is not None:
        try:
            secret = ring.get_password(SERVICE, _name(db))
        except Exception as exc:  # a locked or broken keyring: say so rather than pass for "no key"
            raise KeyFileError(f"the keyring could not be read for {db}'s key ({exc}); unlock it and try again") from exc
        if secret:
            return Key(secret, f"the keyring (service {SERVICE!r}, user {_name(db)!r})")
    return None


def create(db: Path) -> Key:
    """Make and store a new random key for ``db`` (see :func:`add`)."""
    return add(db, secrets.token_urlsafe(32))  # 256 bits; DuckDB derives its AES key from it


def add(db: Path, secret: str) -> Key:
    """Keep ``secret`` as the key of ``db``: in the keyring if one works, else
    in a new key file (0600, in a 0700 folder). An existing key file is never
    overwritten (O_EXCL): one made meanwhile by another process is used.
    (A copy of a database, e.g. a test's or a bench's, is given its original's key.)"""
    ring = _keyring()
    if ring is not None:
        try:
            ring.set_password(SERVICE, _name(db), secret)
            log.info("made a new key for %s, in the keyring", db)
            return Key(secret, f"the keyring (service {SERVICE!r}, user {_name(db)!r})")
        except Exception as exc:  # noqa: BLE001 (a backend raises what it likes): fall back to the file, say so
            log.warning("the keyring refused %s's key (%s): it goes to a key file", db, exc)
    file = key_file(db)
    if not _write_file(file, secret):
        return find(db)
    log.info("made a new key for %s in %s", db, file)
    return Key(secret, str(file))


def _keyring():
    """The keyring backend, or None: none installed, only its 'fail' backend
    (headless Linux), or $WORKPRINT_KEY_DIR set."""
    if os.environ.get(KEY_DIR_ENV):
        return None
    try:  # not at import time: it takes about 0.3 s, and only a machine without a key file needs it
        import keyring
        from keyring.backends import fail
    except ImportError:
        return None
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring) or getattr(backend, "priority", 0) <= 0:
        return None
    return backend


def _check_folder(folder: Path) -> None:
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise KeyFileError(f"the key folder {folder} must be a folder, not a link: remove it and try again")
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise KeyFileError(f"the key folder {folder} must be yours and closed to others: run chmod 700 {folder} "
                           "(if others could read it, the keys in it may be known: see the README)")


def _check_key(file: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise KeyFileError(f"the key file {file} is not a regular file: it is not used")
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise KeyFileError(f"the key file {file} must be yours and readable by you only (0600): run chmod 600 {file} "
                           "(if others could read it, the key may be known: see the README)")


def _read_file(file: Path) -> str | None:
    _check_folder(file.parent)
    try:
        fd = os.open(file, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise KeyFileError(f"the key file {file} is a link: a key is never read through one; "
                               "put the key file itself there") from None
        raise KeyFileError(f"cannot read the key file {file}: {exc.strerror}") from None
    try:
        _check_key(file, os.fstat(fd))
        secret = os.read(fd, 4096).decode("ascii", "replace").strip()
    finally:
        os.close(fd)
    if not secret:
        raise KeyFileError(f"the key file {file} is empty: restore it from a backup (a new key cannot open the file)")
    return secret


def _write_file(file: Path, secret: str) -> bool:
    """Write a new key file; False if one exists already.

    Written whole under a temporary name first and then linked into place
    (link never replaces), so a kill at any moment leaves either no key file
    or a whole one: never an empty key that a file was, or was not, encrypted with."""
    paths.private_folder(file.parent)
    _check_folder(file.parent)
    temp = file.with_name(f".{file.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, (secret + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temp, file, follow_symlinks=False)
    except FileExistsError:
        return False
    finally:
        temp.unlink()
    dir_fd = os.open(file.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return True
