"""Where things live: the database, its lock, the daemon's socket and log,
the access log's pinned head, and the folder exports go to.

The database is chosen by ``--db PATH``, else the ``WORKPRINT_DB`` environment
variable, else ``data/workprint.duckdb`` in the project folder.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = PROJECT_ROOT / "data"
DEFAULT_DB = DATA_DIR / "workprint.duckdb"


DEFAULT_DEMO_DB = DATA_DIR / "demo.duckdb"


def db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """The database path: the CLI value, else $WORKPRINT_DB, else the default."""
    value = cli_value or os.environ.get("WORKPRINT_DB") or DEFAULT_DB
    return Path(value).expanduser().resolve()


def demo_db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """Where the demo goes: the CLI value, else $WORKPRINT_DEMO_DB, else data/demo.duckdb (never your own)."""
    value = cli_value or os.environ.get("WORKPRINT_DEMO_DB") or DEFAULT_DEMO_DB
    return Path(value).expanduser().resolve()


def demo_team_path(demo_db: str | os.PathLike | None = None) -> Path:
    """Where the demo's team store goes: beside the demo database, named after it
    (data/demo.duckdb -> data/demo-team), so every demo database has its own."""
    db = demo_db_path(demo_db)
    return db.with_name(f"{db.stem}-team")


def private_files() -> None:
    """From now on this process makes files and folders for its owner only
    (umask 077; a stricter umask is kept).

    Called by every entry point (the command line, the dashboard server) and
    by whatever opens the database for writing: DuckDB creates the WAL long
    after the file is opened, under the process's umask, so a umask set only
    around the open would leave the WAL readable by everyone.
    """
    os.umask(os.umask(0o077) | 0o077)


def private_folder(folder: Path) -> Path:
    """Make ``folder`` (and any missing parents) for its owner only (0700).

    A folder that is already there is left as it is, except Workprint's own
    ``data/`` folder, which is closed to others if it is open (a clone makes
    it 0755). Returns ``folder``.
    """
    folder = Path(folder)
    missing = [f for f in (folder, *folder.parents) if not f.exists()]
    for made in reversed(missing):
        try:
            made.mkdir(mode=0o700)
        except FileExistsError:  # made meanwhile by another process
            pass
    if folder.resolve() == DATA_DIR:
        info = folder.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o077:
            folder.chmod(0o700)
    return folder


EXPORT_ENV = "WORKPRINT_EXPORT_DIR"


def export_dir() -> Path:
    """The one folder exports may go to: ``~/Workprint exports``, or
    ``$WORKPRINT_EXPORT_DIR``. Not made here (store.export makes it, 0700)."""
    return Path(os.environ.get(EXPORT_ENV) or Path.home() / "Workprint exports").expanduser().absolute()


def write_temp(path: Path, data: bytes, mode: int = 0o600) -> Path:
    """``data`` in a new file beside ``path`` (made with O_EXCL|O_NOFOLLOW, so no
    link is followed; ``mode``), synced: the temporary file, for the caller to
    rename or link into place. Nothing is left behind if the write fails."""
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        with open(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def write_private(path: Path, data: str | bytes, mode: int = 0o600) -> None:
    """Replace ``path`` with ``data`` atomically: a new owner-only file
    (:func:`write_temp`), then renamed over it. A reader sees the old content
    or the new, never half."""
    temp = write_temp(path, data.encode() if isinstance(data, str) else data, mode)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


RUNTIME_ENV = "WORKPRINT_RUNTIME_DIR"


def runtime_dir() -> Path:
    """The folder of the daemon's socket: the same for every session of this
    user (a terminal, SSH, cron, the dashboard), and nobody else's to take.

    ``~/.cache/workprint/run`` (or ``$WORKPRINT_RUNTIME_DIR``), made 0700. It
    lives in your home, not in the shared temp folder, so another user cannot
    create it first or swap in a link; and it does not follow
    ``$XDG_RUNTIME_DIR``, which a cron job or an SSH session may lack.
    """
    root = Path(os.environ.get(RUNTIME_ENV) or Path.home() / ".cache" / "workprint" / "run")
    private_folder(root)  # it and any folder made for it: 0700
    info = os.lstat(root)  # the folder itself, never where a link points
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISDIR(info.st_mode):
        raise PermissionError(f"{root} must be a folder, not a link: remove it and run the command again")
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(
            f"{root} must be yours and closed to others (mode 0700); remove it or run: chmod 700 {root}"
        )
    return root


@dataclass(frozen=True)
class Paths:
    """Every file that belongs to one database."""

    db: Path

    @property
    def lock(self) -> Path:
        return self.db.with_name(self.db.name + ".lock")

    @property
    def withdrawal(self) -> Path:
        """Marks a withdrawal not yet written to the file (a full disk, say)."""
        return self.db.with_name(self.db.name + ".withdrawn")

    @property
    def settings(self) -> Path:
        """The settings file (capture.settings): ``data/workprint.toml`` for ``data/workprint.duckdb``."""
        return self.db.with_suffix(".toml")

    @property
    def log(self) -> Path:
        return self.db.with_name(self.db.name + ".log")

    @property
    def access_head(self) -> Path:
        """The access log's pinned head (store.accesslog): the last entry's number and hash."""
        return self.db.with_name(self.db.name + ".access-head")

    @property
    def team_access_head(self) -> Path:
        """The last entry of the team store's access log for this worker's
        pseudonym that a verified pull saw (capture.team_seen): its number and hash."""
        return self.db.with_name(self.db.name + ".team-access-head")

    @property
    def socket(self) -> Path:
        digest = hashlib.sha256(str(self.db).encode()).hexdigest()[:20]
        return runtime_dir() / f"{digest}.sock"


def paths(cli_value: str | os.PathLike | None = None) -> Paths:
    return Paths(db_path(cli_value))
