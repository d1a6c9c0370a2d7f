"""The team server's own DuckDB, ``<state>/ledger.duckdb`` (owner-only): the
ingested releases, the noisy figures drawn once and the budget they spent,
and whose releases each drawn team-week holds (pseudonyms only, no names).

Its SQL is team/team.sql, named statements parsed by store.catalog. The
server's settings (k, the budget per team-week) are in
``<state>/team-config.json``, optional: ``{"k": 5, "rho_per_team_week": 1.0}``.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from functools import lru_cache
from pathlib import Path

import duckdb

from store import catalog
from store.paths import private_files, private_folder

from . import noise

FILE = "ledger.duckdb"
CONFIG = "team-config.json"
K_DEFAULT = 5
K_MIN = 3
_SCHEMA = ("create_files", "create_releases", "create_draws", "create_drawn", "create_spent", "create_members")
_LOCK = threading.RLock()  # one writer per process: the Streamlit server's sessions take turns
_MADE: set[str] = set()  # ledgers whose tables this process has made (CREATE IF NOT EXISTS costs a few ms each)


@lru_cache(maxsize=1)
def named() -> dict[str, catalog.Statement]:
    return catalog.load(Path(__file__).resolve().parent)


def run(con, name: str, **params):
    """Run the named statement of team/team.sql with ``params``."""
    statement = named()[name]
    return con.execute(statement.sql, statement.bind(params))


def rows(con, name: str, **params) -> list[tuple]:
    return run(con, name, **params).fetchall()


def frame(con, name: str, **params):
    return run(con, name, **params).pl()


@contextlib.contextmanager
def opened(state: Path):
    """The ledger, made if missing (owner-only), held by this process's lock while open."""
    private_files()
    private_folder(Path(state))
    path = Path(state) / FILE
    with _LOCK:
        con = connect(path)
        try:
            if str(path) not in _MADE:
                for name in _SCHEMA:
                    run(con, name)
                _MADE.add(str(path))
            for file in (path, path.with_name(path.name + ".wal")):
                if file.exists() and file.stat().st_mode & 0o077:
                    os.chmod(file, 0o600)
            yield con
        finally:
            con.close()


def connect(path: Path, attempts: int = 50):
    """The ledger's connection; another process holding it (a CLI sync) is waited for, up to ~5 s."""
    for attempt in range(attempts):
        try:
            return duckdb.connect(str(path))
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or attempt == attempts - 1:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


def settings(state: Path, k: int | None = None) -> tuple[int, float]:
    """(k, rho per team-week): the argument, else the state folder's config, else the defaults.
    Raises ValueError for a k below K_MIN or a budget that is not a positive number."""
    config = {}
    path = Path(state) / CONFIG
    if path.exists():
        try:
            config = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(f"{path} is not JSON: {exc}") from None
    chosen = k if k is not None else config.get("k", K_DEFAULT)
    if not isinstance(chosen, int) or isinstance(chosen, bool) or chosen < K_MIN:
        raise ValueError(f"k must be a whole number of at least {K_MIN} people, not {chosen!r}")
    rho = config.get("rho_per_team_week", noise.RHO_DEFAULT)
    if not isinstance(rho, (int, float)) or isinstance(rho, bool) or not rho > 0:
        raise ValueError(f"{path}: rho_per_team_week must be a positive number, not {rho!r}")
    return chosen, float(rho)
