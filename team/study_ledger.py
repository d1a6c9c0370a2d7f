"""A study's ledger on the research server: its releases as the long tables of
team/study_tables.py, in ``<state>/studies/<id>.duckdb`` (owner-only).

:func:`sync` lists the study's release folder of the team store
(``study-releases/<id>/``, sharing.studies.release_prefix) and compares each
key's size and modification time with what the ledger saw last, as
team/ingest.py does for team releases: new or changed files are read and
held against the study's promise (sharing.study_format.check, plus the file
saying the study, day and pseudonym its key says, for a day up to the study's
end); a file that fails is skipped and named in the report, never
half-ingested. A key gone from the
store takes its person-day out of every table: that is how a worker who left
the study (and removed what was sent) disappears from it.

The ledger holds exactly the tables of ``study_tables.for_measures(study.measures)``
(plus ``files``, the bookkeeping no research query reads); its SQL is
team/study_ledger.sql. :func:`export` writes each table to
``<dir>/<table>/part-0.parquet``: the engine-neutral copy Spark reads.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import threading
from functools import lru_cache
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sharing import release_format as rf
from sharing import studies as studies_mod
from sharing import study_format as sf
from sharing import teamstore
from store import catalog
from store.paths import private_files, private_folder

from . import study_tables
from .ingest import Report, stat
from .ledger import connect

FOLDER = "studies"
_LOCK = threading.RLock()  # one writer per process: the server's sessions take turns
LOCK = _LOCK  # held also while the SQL sandbox attaches a ledger: DuckDB refuses a file two connections open
_EDGES = {"typing": rf.TYPING_EDGES_MS, "clicking": rf.CLICK_EDGES_S, "typing_fine": sf.TYPING_FINE_EDGES_MS,
          "clicking_fine": sf.CLICK_FINE_EDGES_S}
_ALL = tuple(sf.MEASURES)


@lru_cache(maxsize=1)
def named() -> dict[str, catalog.Statement]:
    return {s.name: s for s in catalog.parse(Path(__file__).resolve().parent / "study_ledger.sql")}


def run(con, name: str, **params):
    statement = named()[name]
    return con.execute(statement.sql, statement.bind(params))



def path(state: Path, study_id: str) -> Path:
    return Path(state) / FOLDER / f"{studies_mod.check_id(study_id)}.duckdb"


def tables(study: studies_mod.Study) -> tuple[str, ...]:
    return tuple(t.name for t in study_tables.for_measures(study.measures))


@contextlib.contextmanager
def opened(state: Path, study: studies_mod.Study):
    """The study's ledger, made if missing (owner-only), held by this process's lock while open."""
    private_files()
    folder = Path(state) / FOLDER
    private_folder(Path(state))
    private_folder(folder)
    file = path(state, study.id)
    with _LOCK:
        con = connect(file)
        try:
            run(con, "study_create_files")
            for name in tables(study):
                run(con, f"study_create_{name}")
            _pin(con, study)
            for made in (file, file.with_name(file.name + ".wal")):
                if made.exists() and made.stat().st_mode & 0o077:
                    os.chmod(made, 0o600)
            yield con
        finally:
            con.close()


class StudyChanged(ValueError):
    """The study's definition in the store is not the one the server first read (and its workers consented to)."""


def _pin(con, study: studies_mod.Study) -> None:
    """Pin the definition at the first open; refuse any later open under another one. A published study is never
    changed (sharing.studies.publish), but a file in a folder can be edited: a k lowered or a measure added there
    must not reach a single read."""
    run(con, "study_create_definition")
    found = run(con, "study_definition", study=study.id).fetchone()
    now = studies_mod.to_json(study)
    if found is None:
        run(con, "study_pin_definition", study=study.id, definition=now)
        return
    if found[0] != now:
        before = studies_mod.from_json(found[0])
        changed = [f"{name} {getattr(before, name)!r} -> {getattr(study, name)!r}"
                   for name in ("name", "purpose", "researcher", "ends", "measures", "k", "demo")
                   if getattr(before, name) != getattr(study, name)]
        raise StudyChanged(f"study {study.id!r} in the team store is not the one this server first read and its "
                           f"workers consented to ({'; '.join(changed)}); nothing is read. A published study is never "
                           f"changed: restore {studies_mod.study_key(study.id)} or publish a new study id")


def persons(con) -> list[str]:
    """Every person the ledger holds a day of."""
    return [r[0] for r in run(con, "study_persons").fetchall()]




def _read(store: teamstore.Folder, key: str, study: studies_mod.Study) -> pa.Table:
    """The study release at ``key``, checked against the study's promise. Raises ValueError saying what is wrong."""
    study_id, day, who = studies_mod.parse_release_key(key)
    if not study.running(day):  # nobody consented to days after the end; such a file is kept out
        raise ValueError(f"the day {day} is after the study ended ({study.ends})")
    try:
        table = pq.ParquetFile(io.BytesIO(store.get(key))).read(use_threads=False)
    except (pa.ArrowException, OSError) as exc:
        raise ValueError(f"not a readable Parquet file ({exc})") from None
    table = sf.as_promised(table, study.measures)
    problems = sf.check(table, study.measures)
    if problems:
        raise ValueError("; ".join(problems))
    row = table.to_pylist()[0]
    if (row["study"], row["day"], row["pseudonym"]) != (study_id, day, who):
        raise ValueError(f"the file says study {row['study']!r}, day {row['day']}, pseudonym "
                         f"{str(row['pseudonym'])[:12]}…, not what its key says")
    names = [c for c, _ in row.get("category_seconds") or []]
    names += [n for p in row.get("category_transitions") or [] for n in (p["src"], p["dst"])]
    bad = [c for c in names if len(c) > rf.MAX_CATEGORY_CHARS or not c.isprintable()]
    if bad:
        raise ValueError(f"category name {bad[0][:80]!r} is longer than {rf.MAX_CATEGORY_CHARS} characters "
                         "or not printable")
    return table


def _wide(batch: pa.Table) -> pa.Table:
    """``batch`` with every study column, NULL where the study did not ask: one set of insert statements."""
    full = sf.schema(_ALL)
    return pa.table({f.name: batch[f.name] if f.name in batch.column_names else pa.nulls(batch.num_rows, f.type)
                     for f in full}, schema=full)


def _edges(name: str) -> pa.Table:
    edges = _EDGES[name]
    return pa.table({"bin": pa.array(range(len(edges) + 1), pa.int64()),
                     "lo": pa.array((0.0,) + tuple(float(e) for e in edges), pa.float64()),
                     "hi": pa.array(tuple(float(e) for e in edges) + (None,), pa.float64())})


class StudyExpired(LookupError):
    """The study's keeping time is over: what it received has been deleted."""


def sync(con, store: teamstore.Folder, study: studies_mod.Study, today: dt.date | None = None) -> Report:
    """Bring the study's ledger up to date with its release folder in the store, in one transaction.

    After ``study.keep_until`` (sharing.studies.KEEP_DAYS after the end date, as the consent text says) it deletes
    every release of the study from the store, and so every row from the ledger, and raises StudyExpired: the
    retention is the software's, not a promise in a document."""
    today = today or dt.date.today()
    if today > study.keep_until:
        deleted = sum(store.delete(key) for key in store.list(studies_mod.release_prefix(study.id)))
        _sync(con, store, study)
        raise StudyExpired(f"study {study.id!r} ended on {study.ends}, and what it received was deleted after "
                           f"{study.keep_until} ({studies_mod.KEEP_DAYS} days later), as its consent text says"
                           + (f": {deleted} file(s) removed from the store now" if deleted else ""))
    return _sync(con, store, study)


def _sync(con, store: teamstore.Folder, study: studies_mod.Study) -> Report:
    report = Report()
    listed = {}
    for key in store.list(studies_mod.release_prefix(study.id)):
        parsed = studies_mod.parse_release_key(key)
        if parsed is None or parsed[0] != study.id:
            continue
        listed[key] = (parsed, stat(store, key))
    seen = {r[0]: r[1:] for r in run(con, "study_files").fetchall()}
    good: list[pa.Table] = []
    changes: list[tuple] = []
    for key, ((_, day, who), (size, mtime)) in listed.items():
        before = seen.get(key)
        if before is not None and (before[0], before[1]) == (size, mtime):
            report.unchanged += 1
            if before[2]:
                report.skipped[key] = before[2]
            continue
        try:
            good.append(_read(store, key, study))
        except (ValueError, FileNotFoundError) as exc:
            changes.append((key, who, day, size, mtime, str(exc)))
            report.skipped[key] = str(exc)
            continue
        changes.append((key, who, day, size, mtime, None))
        if before is not None and not before[2]:
            report.replaced += 1
        else:
            report.added += 1
    gone = sorted(set(seen) - set(listed))
    report.removed = len(gone)
    if changes or gone:
        _apply(con, study, changes, gone, good)
    return report


def _apply(con, study, changes, gone, good) -> None:
    drop = [(c[1], c[2]) for c in changes] + [_person_day(k) for k in gone]
    registered = {
        "changes": pa.table({"key": [c[0] for c in changes], "person": [c[1] for c in changes],
                             "day": pa.array([c[2] for c in changes], pa.date32()),
                             "size": pa.array([c[3] for c in changes], pa.int64()),
                             "mtime_ns": pa.array([c[4] for c in changes], pa.int64()),
                             "problem": pa.array([c[5] for c in changes], pa.string())}),
        "gone": pa.table({"key": pa.array(gone, pa.string())}),
        "drop_days": pa.table({"person": pa.array([d[0] for d in drop], pa.string()),
                               "day": pa.array([d[1] for d in drop], pa.date32())}),
    }
    if good:
        # One chunk: DuckDB scans a thousand one-row chunks about 30 times slower (measured: 7 s against 0.3 s).
        registered["batch"] = _wide(pa.concat_tables(good).combine_chunks())
    for name, table in registered.items():
        con.register(name, table)
    con.execute("BEGIN TRANSACTION")
    try:
        for name in tables(study):
            run(con, f"study_drop_{name}")
        run(con, "study_files_apply")
        if good:
            for name in tables(study):
                if name in _EDGES:
                    con.register("edges", _edges(name))
                run(con, f"study_insert_{name}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        for name in (*registered, "edges"):
            with contextlib.suppress(Exception):
                con.unregister(name)


def _person_day(key: str):
    _, day, who = studies_mod.parse_release_key(key)
    return who, day


def export(con, study: studies_mod.Study, folder: Path) -> list[Path]:
    """Write each of the study's tables to ``folder/<table>/part-0.parquet`` (each file under a temporary
    name, renamed when whole); the files written."""
    written = []
    for name in tables(study):
        target = Path(folder) / name / "part-0.parquet"
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = target.with_name(f".part-0.parquet.{os.getpid()}")
        pq.write_table(con.table(name).to_arrow_table(), temp)
        os.chmod(temp, 0o600)
        temp.replace(target)
        written.append(target)
    return written
