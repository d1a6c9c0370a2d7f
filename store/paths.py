"""Where things live: the database, its lock, the daemon's socket and log.

The database is chosen by ``--db PATH``, else the ``WORKPRINT_DB`` environment
variable, else ``data/workprint.duckdb`` in the project folder.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = PROJECT_ROOT / "data" / "workprint.duckdb"


def db_path(cli_value: str | os.PathLike | None = None) -> Path:
    """The database path: the CLI value, else $WORKPRINT_DB, else the default."""
    value = cli_value or os.environ.get("WORKPRINT_DB") or DEFAULT_DB
    return Path(value).expanduser().resolve()


def _private_runtime_dir() -> Path:
    """A folder only this user can enter, for the daemon's socket.

    $XDG_RUNTIME_DIR is private by design; elsewhere a per-user folder in the
    temp dir, created 0700 and refused if someone else owns it or can enter it.
    """
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base and os.path.isdir(base):
        root = Path(base) / "workprint"
    else:
        root = Path(tempfile.gettempdir()) / f"workprint-{os.getuid()}"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = root.stat()
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise PermissionError(
            f"{root} must be owned by you and closed to others (mode 0700); "
            "remove it or fix its permissions"
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
    def log(self) -> Path:
        return self.db.with_name(self.db.name + ".log")

    @property
    def socket(self) -> Path:
        digest = hashlib.sha256(str(self.db).encode()).hexdigest()[:20]
        return _private_runtime_dir() / f"{digest}.sock"


def paths(cli_value: str | os.PathLike | None = None) -> Paths:
    return Paths(db_path(cli_value))
