"""The team store: where releases go and where reads of them are logged.

Today it is a folder (a shared drive); everything goes through the five
operations of :class:`Folder` (put, put_new, get, list, delete) on
'/'-separated keys, which an object store has too (put_new is a conditional
put, If-None-Match), so another backend is one class.

Layout, under the store's root::

    workprint-team-store.json                        the marker: format, made when
    releases/<team>/<YYYY-MM-DD>/<pseudonym>.parquet one worker-day (release_format)
    figures/<team>/<YYYY-MM-DD>.json                 one team-week's drawn figures (team.published)
    access/<pseudonym>/<seq>.json                    one access log entry each (teamlog)

One file per team, day and pseudonym: releasing the same day again replaces
the file, so a day is stored once however often it is sent.

``figures/`` is written by the team server only: for each team-week it has
drawn (the ISO week's Monday), the noisy cells exactly as its ledger holds
them for cells of at least k people (value, noise scale, exact denominator,
how many people), the budget each measure spent, the k it was drawn at, and
the pseudonyms whose releases the draw included (for the access log; no
names, no per-person value), with the SHA-256 of that content. A worker's
dashboard reads its own team's figures from here ("what my manager sees")
and never draws noise of its own.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

from store.paths import write_private, write_temp

from . import pseudonym as _pseudonym

MARKER = "workprint-team-store.json"
FORMAT = 1
_TEAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class StoreError(RuntimeError):
    """The team store cannot be used: missing, not a team store, or a key outside it."""


def check_team(name: str) -> str:
    """The team name, if it is one: 1-64 letters, digits, spaces, dots,
    dashes or underscores, starting with a letter or digit. Raises ValueError."""
    if not isinstance(name, str) or not _TEAM.match(name) or name.strip() != name or ".." in name:
        raise ValueError(f"{name!r} is not a team name: use 1-64 letters, digits, spaces, '.', '-' or '_', "
                         "starting with a letter or digit")
    return name


class Folder:
    """A team store in a folder. Files are written owner-only (0600) unless
    the marker says otherwise (``file_mode``, e.g. "0640" for a folder its
    group shares)."""

    def __init__(self, root: Path, file_mode: int = 0o600):
        self.root = Path(root)
        self.file_mode = file_mode

    def __repr__(self) -> str:
        return f"Folder({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        parts = key.split("/")
        if not key or any(p in ("", ".", "..") for p in parts):
            raise StoreError(f"{key!r} is not a key in the team store")
        return self.root.joinpath(*parts)

    def _write_temp(self, path: Path, data: bytes) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        return write_temp(path, data, self.file_mode)

    def put(self, key: str, data: bytes) -> None:
        """Write ``data`` at ``key``, replacing what was there: under a temporary
        name, then renamed, so a reader sees the old file or the new, never half."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_private(path, data, self.file_mode)

    def put_new(self, key: str, data: bytes) -> bool:
        """Write ``data`` at ``key`` only if nothing is there; False if something was."""
        path = self._path(key)
        temp = self._write_temp(path, data)
        try:
            os.link(temp, path)  # fails if the key exists: one writer wins
        except FileExistsError:
            return False
        finally:
            temp.unlink(missing_ok=True)
        return True

    def get(self, key: str) -> bytes:
        """The bytes at ``key``. Raises FileNotFoundError."""
        return self._path(key).read_bytes()

    def list(self, prefix: str) -> list[str]:
        """Every key under the folder ``prefix`` (no trailing '/'), sorted;
        temporary files left by an interrupted write are not keys."""
        top = self._path(prefix)
        if not top.is_dir():
            return []
        keys = []
        for folder, dirs, files in os.walk(top):
            dirs.sort()
            rel = Path(folder).relative_to(self.root).as_posix()
            keys += [f"{rel}/{name}" for name in sorted(files) if not name.startswith(".")]
        return keys

    def delete(self, key: str) -> bool:
        """Remove ``key``; False if it was not there. Empty folders above it go too."""
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        for parent in path.parents:
            if parent == self.root or self.root not in parent.parents:
                break
            try:
                parent.rmdir()
            except OSError:
                break
        return True


def create(root: Path | str) -> Folder:
    """Make a new team store at ``root`` (an empty or missing folder), owner-only."""
    root = Path(root)
    if (root / MARKER).exists():
        return open_store(root)
    if root.exists() and any(root.iterdir()):
        raise StoreError(f"{root} is not empty and is not a team store: choose an empty or new folder")
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = Folder(root)
    store.put(MARKER, json.dumps({"format": FORMAT, "file_mode": "0600",
                                  "created": dt.datetime.now(dt.timezone.utc).isoformat()}).encode())
    return store


def open_store(root: Path | str) -> Folder:
    """The team store at ``root``. Raises StoreError naming what is wrong."""
    root = Path(root)
    try:
        marker = json.loads((root / MARKER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise StoreError(f"{root} is not a team store (no {MARKER}); an admin makes one with "
                         "`workprint team init-store PATH`") from None
    except (OSError, ValueError) as exc:
        raise StoreError(f"{root / MARKER} cannot be read as a team store marker: {exc}") from None
    if marker.get("format") != FORMAT:
        raise StoreError(f"{root} is a team store of format {marker.get('format')!r}; this Workprint reads {FORMAT}")
    return Folder(root, int(str(marker.get("file_mode", "0600")), 8))


# --- keys ---------------------------------------------------------------------------
def release_key(team: str, day: dt.date, pseudonym: str) -> str:
    if not _pseudonym.is_pseudonym(pseudonym):
        raise ValueError(f"{pseudonym!r} is not a pseudonym")
    return f"releases/{check_team(team)}/{day.isoformat()}/{pseudonym}.parquet"


def parse_release_key(key: str) -> tuple[str, dt.date, str] | None:
    """(team, day, pseudonym) of a release key; None for any other key."""
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != "releases" or not parts[3].endswith(".parquet") or not _DAY.match(parts[2]):
        return None
    who = parts[3][: -len(".parquet")]
    if not _pseudonym.is_pseudonym(who) or not _TEAM.match(parts[1]):
        return None
    return parts[1], dt.date.fromisoformat(parts[2]), who


def teams(store: Folder) -> list[str]:
    """The teams that have releases in the store."""
    top = store.root / "releases"
    return sorted(p.name for p in top.iterdir() if p.is_dir() and _TEAM.match(p.name)) if top.is_dir() else []


def figures_key(team: str, week: dt.date) -> str:
    """Where the team server publishes a team-week's drawn figures (``week``: the ISO week's Monday)."""
    if type(week) is not dt.date or week.weekday() != 0:
        raise ValueError(f"{week!r} is not a week: give the Monday of an ISO week as a datetime.date")
    return f"figures/{check_team(team)}/{week.isoformat()}.json"


def parse_figures_key(key: str) -> tuple[str, dt.date] | None:
    """(team, week) of a figures key; None for any other key."""
    parts = key.split("/")
    if len(parts) != 3 or parts[0] != "figures" or not parts[2].endswith(".json") or not _TEAM.match(parts[1]):
        return None
    try:
        week = dt.date.fromisoformat(parts[2][: -len(".json")])
    except ValueError:
        return None
    return (parts[1], week) if week.weekday() == 0 else None


def access_prefix(pseudonym: str) -> str:
    if not _pseudonym.is_pseudonym(pseudonym):
        raise ValueError(f"{pseudonym!r} is not a pseudonym")
    return f"access/{pseudonym}"
