"""A researcher's SQL over one study, through the same door as Explore's reads.

:func:`query` checks that the viewer may read the study (team.explore's rule),
brings the study's ledger up to date with the store (so a worker who left is
gone), runs the query in the sandbox (team.sandbox: read-only, allow-listed
tables and functions, the study's k per row, a time and row limit), and logs
the read in the access log of every person whose rows it read
(team.explore.log_read) before returning anything; a query that ran and
then failed or ran out of time is logged too, since it read. A refused query
reads nothing and logs nothing; if the log cannot be written, the rows are
not returned (LogRefused).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from sharing import teamstore

from . import explore, sandbox, study_ledger, study_tables
from .viewer import Viewer

TIMEOUT_S = 10
MAX_ROWS = 10_000
MAX_SQL_CHARS = 20_000

SandboxRefused = sandbox.SandboxRefused
SandboxFailed = sandbox.SandboxFailed
SandboxTimeout = sandbox.SandboxTimeout


@dataclass(frozen=True)
class SqlResult:
    frame: pl.DataFrame  # every row over at least k distinct persons
    suppressed: int  # rows left out for covering fewer
    truncated: bool  # only the first MAX_ROWS rows are here
    k: int
    persons: int  # how many people's access logs the read was written to
    _read: tuple = field(default=(), repr=False, compare=False)  # (study id, sql, the people): for export


def query(viewer: Viewer, store: teamstore.Folder, state: Path, study_id: str, sql: str,
          timeout_s: float = TIMEOUT_S, max_rows: int = MAX_ROWS) -> SqlResult:
    """Run ``sql`` over the study's tables. Raises PermissionError / LookupError (the study),
    SandboxRefused (before anything ran), SandboxTimeout / SandboxFailed (DuckDB stopped it),
    and explore.LogRefused."""
    if not isinstance(sql, str) or not sql.strip():
        raise SandboxRefused("the query is empty: write one SELECT over the study's tables")
    if len(sql) > MAX_SQL_CHARS:
        raise SandboxRefused(f"the query is {len(sql):,} characters long, more than {MAX_SQL_CHARS:,}")
    study = explore._study(viewer, store, study_id)
    # One lock from the sync through the query: DuckDB refuses to attach a file another connection of this
    # process holds (an Explore read in another session), and the reverse.
    with study_ledger.LOCK:
        with study_ledger.opened(state, study) as con:
            study_ledger.sync(con, store, study)
            everyone = study_ledger.persons(con)
        try:
            found = sandbox.run(study_ledger.path(state, study.id), sql, study_tables.for_measures(study.measures),
                                study.k, timeout_s=timeout_s, max_rows=max_rows)
        except sandbox.SandboxFailed as exc:
            # It ran, so it read: whether it fails can hang on one person's row. Logged, then said.
            explore.log_read(store, study, getattr(exc, "persons", everyone), viewer.who,
                             "study SQL query (stopped)", {"sql": sql, "stopped": str(exc)})
            raise
    explore.log_read(store, study, found.persons, viewer.who, "study SQL query", {"sql": sql})
    frame = pl.DataFrame([list(r) for r in found.rows], schema=_unique(found.columns), orient="row") \
        if found.rows else pl.DataFrame(schema={c: pl.Null for c in _unique(found.columns)})
    return SqlResult(frame, found.suppressed, found.truncated, study.k, len(found.persons),
                     (study.id, sql, tuple(sorted(found.persons))))


def export(viewer: Viewer, store: teamstore.Folder, result: SqlResult, fmt: str = "csv") -> bytes:
    """The rows a query showed, as CSV or Parquet: a read of its own, so the study's rule is checked again (the
    viewer may have lost it since) and the export logged in the access log of everyone the query read."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"{fmt!r} is not an export format: csv or parquet")
    study_id, sql, people = result._read
    study = explore._study(viewer, store, study_id)
    explore.log_read(store, study, people, viewer.who, f"study SQL export ({fmt})", {"sql": sql})
    return explore.frame_bytes(result.frame, fmt)


def _unique(columns) -> list[str]:
    """Column names as a frame needs them: a repeated name gets a suffix (SELECT count(*), count(*))."""
    seen: dict[str, int] = {}
    names = []
    for name in columns:
        seen[name] = seen.get(name, 0) + 1
        names.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return names
