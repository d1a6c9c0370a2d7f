"""Releases from the team store into the server's ledger, incrementally.

:func:`sync` lists a prefix of the store (a team, or one day of a team) and
compares each key's size and modification time with what the ledger saw
last: new or changed files are read and checked against the promise
(sharing.release_format.check, plus the key agreeing with the content); a
file that fails is skipped, noted with its problem (and reported until it
changes), never half-ingested. A key gone from the store (a revoked worker
removed it) takes its row with it. Each file goes in whole or not at all:
its old row is replaced in the same transaction as the new one.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.parquet as pq

from sharing import release_format, teamstore

from . import ledger


@dataclass
class Report:
    added: int = 0
    replaced: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: dict[str, str] = field(default_factory=dict)  # key -> what was wrong with it

    def __str__(self) -> str:
        text = f"{self.added} new, {self.replaced} changed, {self.removed} removed, {self.unchanged} unchanged"
        return text + "".join(f"\n  skipped {key}: {why}" for key, why in sorted(self.skipped.items()))


def stat(store: teamstore.Folder, key: str) -> tuple[int, int]:
    """(size, mtime_ns) of a key: the store's own stat where it has one (an object store's listing), else the
    folder's file."""
    if hasattr(store, "stat"):
        return store.stat(key)
    info = store.root.joinpath(*key.split("/")).stat()
    return info.st_size, info.st_mtime_ns


def days(store: teamstore.Folder, team: str) -> list[dt.date]:
    """The days a team has release folders for (the folder's day names, not every file: a year of a large
    team is thousands of files)."""
    top = store.root / "releases" / teamstore.check_team(team)
    if not top.is_dir():
        return []
    found = []
    for entry in top.iterdir():
        try:
            found.append(dt.date.fromisoformat(entry.name))
        except ValueError:
            continue
    return sorted(found)


def _read(store: teamstore.Folder, key: str) -> pa.Table:
    """The release at ``key``, checked. Raises ValueError saying what is wrong."""
    team, day, who = teamstore.parse_release_key(key)
    try:
        table = pq.ParquetFile(io.BytesIO(store.get(key))).read(use_threads=False)  # read_table: 2.5x the time
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"not a readable Parquet file ({exc})") from None
    table = release_format.as_promised(table)
    problems = release_format.check(table)
    if problems:
        raise ValueError("; ".join(problems))
    row = table.to_pylist()[0]
    if (row["team"], row["day"], row["pseudonym"]) != (team, day, who):
        raise ValueError(f"the file says team {row['team']!r}, day {row['day']}, pseudonym {row['pseudonym'][:12]}…, "
                         "not what its key says")
    long = [c for c, _ in row["category_seconds"] if len(c) > release_format.MAX_CATEGORY_CHARS or not c.isprintable()]
    if long:
        raise ValueError(f"category name {long[0][:80]!r} is longer than {release_format.MAX_CATEGORY_CHARS} "
                         "characters or not printable")
    return table


def sync(con, store: teamstore.Folder, prefixes: str | list[str] = "releases") -> Report:
    """Bring the ledger's releases under ``prefixes`` (folders of the store: all releases, a team, a day of
    a team) up to date with the store, in one transaction."""
    prefixes = [prefixes] if isinstance(prefixes, str) else list(prefixes)
    report = Report()
    listed = {key: stat(store, key) for prefix in prefixes for key in store.list(prefix)
              if teamstore.parse_release_key(key)}
    folders = [p.rstrip("/") + "/" for p in prefixes]
    seen = {r[0]: r[1:] for r in ledger.rows(con, "files_under", prefixes=folders)}
    good: list[tuple[str, pa.Table]] = []
    changes: list[tuple[str, int, int, str | None]] = []
    for key, (size, mtime) in listed.items():
        before = seen.get(key)
        if before is not None and (before[0], before[1]) == (size, mtime):
            report.unchanged += 1
            if before[2]:
                report.skipped[key] = before[2]
            continue
        try:
            good.append((key, _read(store, key)))
        except (ValueError, FileNotFoundError) as exc:
            changes.append((key, size, mtime, str(exc)))
            report.skipped[key] = str(exc)
            continue
        changes.append((key, size, mtime, None))
        if before is not None and not before[2]:
            report.replaced += 1
        else:
            report.added += 1
    gone = sorted(set(seen) - set(listed))
    report.removed = len(gone)
    if not changes and not gone:
        return report
    tables = {"changes": pa.table({"key": [c[0] for c in changes], "size": [c[1] for c in changes],
                                   "mtime_ns": [c[2] for c in changes], "problem": [c[3] for c in changes]},
                                  schema=pa.schema([("key", pa.string()), ("size", pa.int64()),
                                                    ("mtime_ns", pa.int64()), ("problem", pa.string())])),
              "gone": pa.table({"key": pa.array(gone, pa.string())})}
    if good:
        batch = pa.concat_tables([t for _, t in good])
        tables["batch"] = batch.append_column("key", pa.array([k for k, _ in good], pa.string()))
    for name, table in tables.items():
        con.register(name, table)
    con.execute("BEGIN TRANSACTION")
    try:
        ledger.run(con, "files_apply")
        if good:
            ledger.run(con, "release_insert")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in tables:
            con.unregister(name)
    return report
