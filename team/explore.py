"""What a researcher may read of a study: results over at least the study's k
distinct persons, every read logged in each included worker's access log.

API (stable; additions only, changes are listed here first):

- :func:`studies` ``(viewer, store) -> list[Study]``: the studies this viewer may read (``Study.demo`` says
  which are made up by the demo).
- :func:`options` ``(study) -> Options``: the :class:`Measure` s the study's tables give (each with its
  group-by ``keys``, the ``filters`` that apply, its ``unit``, and ``pick``: the filter a compare of it
  needs), and :data:`WEEKDAYS`, the weekday ranges a filter offers.
- :func:`choices` ``(viewer, store, state, study_id) -> Choices``: the first and last day of the study's
  releases and the categories at least k persons used (the filters' choices; nothing shown, nothing logged).
- :func:`read` ``(viewer, store, state, study_id, measure, by=(), filters=None) -> Result``: ``Result.frame``
  is a polars frame of the group columns (``by``, typed: week, month and day as dates, weekday, hour and bin
  as integers, categories as text; bins also ``lo_*``/``hi_*``), ``value`` and ``persons``, ordered by the
  group columns. ``Result.suppressed`` counts the groups left out for covering fewer than k persons.
- :func:`compare` ``(viewer, store, state, study_id, measure, side_a, side_b, label_a=..., label_b=...) ->
  Compared``: each side's per-person values, computed and held here, compared with sharing.stats.compare;
  ``Compared.comparison`` and ``Compared.sentence`` (the Timing page's plain words). Never the values.
- :func:`export` ``(result, "csv" | "parquet") -> bytes``: exactly ``result.frame`` (logged as a read).
- :func:`log_read` ``(store, study, persons, who, what, params)``: one access-log entry per person (the SQL
  sandbox's queries call it too); :class:`LogRefused` when one cannot be written.
- :class:`Filters` ``(first=None, last=None, weekdays=(1, 7), category=None, bin=None)``: days ``first`` to
  ``last``, ISO weekdays ``weekdays[0]`` to ``weekdays[1]`` (1 Monday), one category (categories: that
  category; transitions: switches from or to it), one bin (rhythm measures).

The rules, all enforced here (never in a page):

- A viewer reads a study only if ``viewer.may_read_study(id)`` (never an admin; a researcher the studies
  of their account, the demo only demo studies): PermissionError otherwise, before anything is read. An
  unknown study is a LookupError, a measure, key or filter that is not one a ValueError naming it.
- k: every row of a result covers at least the study's k distinct persons (a person with many days counts
  once); a group from fewer is left out (counted in ``suppressed``), whichever filter narrowed it. An empty
  study gives an empty frame. Each side of a compare needs k persons, else ValueError and nothing is shown.
- Values: day measures are means over person-days, hourly ones over person-day-hours; shares (categories,
  transitions, rhythm bins) are pooled: the group's amount over its time group's (the same keys without the
  category, pair or bin), so a person with more time weighs more. A share's cells (time group x category,
  pair or bin) of fewer than k persons are left out of every sum, the whole included, so one minus the shares
  shown is never a suppressed cell's share. compare holds per-person values (each person's mean, or own share
  of the picked category or bin).
- Logged: before a read returns, one sharing.teamlog entry goes to the access log of every person whose rows
  it read (all persons in its filters, whether or not their groups were shown), under their study
  pseudonym; if one cannot be written the read is refused (LogRefused) and returns nothing.
- The ledger (team/study_ledger.py) is brought up to date with the store before each read (incrementally:
  a listing and a stat per file), so a worker who left is gone from the next read.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import polars as pl

from sharing import release_format as rf
from sharing import stats, teamlog, teamstore
from sharing import studies as studies_mod
from sharing import study_format as sf
from store import catalog

from . import study_ledger
from .viewer import Viewer

TIME_KEYS = ("week", "month", "weekday", "day")
WEEKDAYS = {"every day": (1, 7), "Monday to Friday": (1, 5), "Saturday and Sunday": (6, 7)}
_FAR = (dt.date(1900, 1, 1), dt.date(9999, 12, 31))  # no filter; year 1 is no date to Spark (strftime)
_EDGES = {"typing": ("ms", rf.TYPING_EDGES_MS), "clicking": ("s", rf.CLICK_EDGES_S),
          "typing_fine": ("ms", sf.TYPING_FINE_EDGES_MS), "clicking_fine": ("s", sf.CLICK_FINE_EDGES_S)}
_TYPES = {"week": pl.Date, "month": pl.Date, "day": pl.Date, "weekday": pl.Int32, "hour": pl.Int32, "bin": pl.Int32,
          "category": pl.String, "from_category": pl.String, "to_category": pl.String}


class LogRefused(PermissionError):
    """The access log of an included person could not be written: the read is refused."""


@dataclass(frozen=True)
class Measure:
    name: str
    label: str  # plain words, plural: what compare's sentence calls it
    unit: str
    table: str  # the long table of team/study_tables.py it reads
    asks: str  # the study measure (sharing.study_format.MEASURES) it needs
    column: str | None  # the $measure of a mean (days, hours); None for a share
    keys: tuple[str, ...]  # what it may be grouped by (one or two of them)
    filters: tuple[str, ...]  # the Filters fields that apply
    pick: str | None = None  # the filter a compare of a share needs (category or bin)


def _mean(name, label, unit, table, asks, column) -> Measure:
    keys = TIME_KEYS + (("hour",) if table == "hours" else ())
    return Measure(name, label, unit, table, asks, column, keys, ("first", "last", "weekdays"))


def _share(name, label, unit, table, keys, pick) -> Measure:
    return Measure(name, label, unit, table, table, None, TIME_KEYS + keys, ("first", "last", "weekdays", pick), pick)


MEASURES: dict[str, Measure] = {m.name: m for m in (
    _mean("active_minutes", "active minutes per day", "minutes per person-day", "days", "activity", "active_minutes"),
    _mean("switches", "app switches per day", "switches per person-day", "days", "activity", "switches"),
    _mean("focus_minutes", "focus minutes per day", "minutes per person-day", "days", "focus", "focus_minutes"),
    _mean("focus_sessions", "focus sessions per day", "sessions per person-day", "days", "focus", "focus_sessions"),
    _mean("hourly_active_minutes", "active minutes per hour", "minutes per person-day-hour (0-60)", "hours",
          "activity", "active_minutes"),
    _mean("hourly_switches", "app switches per hour", "switches per person-day-hour", "hours", "activity", "switches"),
    _share("category_share", "shares of active time", "share of active time (0-1)", "categories", ("category",),
           "category"),
    _share("transition_share", "shares of category switches", "share of switches between categories (0-1)",
           "transitions", ("from_category", "to_category"), "category"),
    *(_share(f"{t}_share", f"shares of {t.replace('_fine', ' (fine)')} intervals", "share of intervals (0-1)", t,
             ("bin",), "bin") for t in _EDGES),
)}


@dataclass(frozen=True)
class Options:
    measures: tuple[Measure, ...]
    weekdays: dict[str, tuple[int, int]] = field(default_factory=lambda: dict(WEEKDAYS))


@dataclass(frozen=True)
class Choices:
    first: dt.date | None
    last: dt.date | None
    categories: tuple[str, ...]


@dataclass(frozen=True)
class Filters:
    first: dt.date | None = None
    last: dt.date | None = None
    weekdays: tuple[int, int] = (1, 7)
    category: str | None = None
    bin: int | None = None


@dataclass(frozen=True)
class Result:
    study: str
    measure: str
    by: tuple[str, ...]
    frame: pl.DataFrame  # the group columns, value, persons: every row over at least k distinct persons
    suppressed: int  # groups left out for covering fewer than k persons
    k: int
    unit: str
    note: str
    _read: tuple = field(default=(), repr=False, compare=False)  # (store, study, persons, who, params): for export


@dataclass(frozen=True)
class Compared:
    comparison: stats.Comparison
    sentence: str
    k: int


@lru_cache(maxsize=1)
def named() -> dict[str, catalog.Statement]:
    return {s.name: s for s in catalog.parse(Path(__file__).resolve().parent / "explore.sql")}


def _run(con, name: str, **params) -> pl.DataFrame:
    statement = named()[name]
    return con.execute(statement.sql, statement.bind(params)).pl()


# --- checking the request -----------------------------------------------------------
def _may(viewer: Viewer, study: studies_mod.Study) -> bool:
    return viewer.may_read_study(study.id) and (viewer.role != "demo" or study.demo)


def studies(viewer: Viewer, store: teamstore.Folder) -> list[studies_mod.Study]:
    """The studies in the store this viewer may read, by id."""
    return [s for s in studies_mod.listing(store) if _may(viewer, s)]


def _study(viewer: Viewer, store: teamstore.Folder, study_id: str) -> studies_mod.Study:
    studies_mod.check_id(study_id)
    if not viewer.may_read_study(study_id):
        raise PermissionError(f"{viewer.who} may not read study {study_id!r}")
    study = studies_mod.load(store, study_id)
    if not _may(viewer, study):
        raise PermissionError(f"{viewer.who} may read demo studies only, and {study_id!r} is not one")
    return study


def options(study: studies_mod.Study) -> Options:
    """The measures the study's tables give, in a fixed order."""
    return Options(tuple(m for m in MEASURES.values() if m.asks in study.measures))


def _measure(study: studies_mod.Study, name: str) -> Measure:
    found = {m.name: m for m in options(study).measures}
    if name not in found:
        raise ValueError(f"{name!r} is not a measure of study {study.id!r}; it has {', '.join(found)}")
    return found[name]


def _check_by(m: Measure, by) -> tuple[str, ...]:
    by = (by,) if isinstance(by, str) else tuple(by or ())
    if len(by) > 2 or len(set(by)) != len(by):
        raise ValueError("group by at most two different keys")
    for key in by:
        if key not in m.keys:
            raise ValueError(f"{key!r} is not a group-by of {m.name}; it has {', '.join(m.keys)}")
    return by


def _check_filters(m: Measure, filters: Filters | None) -> Filters:
    f = filters or Filters()
    if not isinstance(f, Filters):
        raise ValueError("filters must be an explore.Filters")
    for name in ("first", "last"):
        if getattr(f, name) is not None and type(getattr(f, name)) is not dt.date:
            raise ValueError(f"the filter {name} must be a datetime.date, not {getattr(f, name)!r}")
    if f.first and f.last and f.first > f.last:
        raise ValueError(f"the first day {f.first} is after the last day {f.last}")
    lo, hi = f.weekdays if isinstance(f.weekdays, (tuple, list)) and len(f.weekdays) == 2 else (0, 0)
    if not all(type(x) is int for x in (lo, hi)) or not 1 <= lo <= hi <= 7:
        raise ValueError(f"weekdays must be a range (first, last) of 1 (Monday) to 7 (Sunday), not {f.weekdays!r}")
    if f.category is not None and ("category" not in m.filters or not isinstance(f.category, str)
                                   or not f.category or len(f.category) > rf.MAX_CATEGORY_CHARS):
        raise ValueError(f"{m.name} takes no category filter" if "category" not in m.filters
                         else f"{str(f.category)[:80]!r} is not a category name")
    if f.bin is not None:
        if "bin" not in m.filters:
            raise ValueError(f"{m.name} takes no bin filter")
        top = len(_EDGES[m.table][1])
        if type(f.bin) is not int or not 0 <= f.bin <= top:
            raise ValueError(f"{f.bin!r} is not a bin of {m.name}: 0 to {top}")
    return f


def _params(m: Measure, f: Filters) -> dict:
    params = {"first": f.first or _FAR[0], "last": f.last or _FAR[1], "wd_lo": f.weekdays[0], "wd_hi": f.weekdays[1]}
    if m.column:
        params["measure"] = m.column
    if "category" in m.filters:
        params["category"] = f.category or ""
    if "bin" in m.filters:
        params["bin"] = -1 if f.bin is None else f.bin
    return params


def _described(f: Filters) -> dict:
    return {"first": f.first.isoformat() if f.first else None, "last": f.last.isoformat() if f.last else None,
            "weekdays": list(f.weekdays), "category": f.category, "bin": f.bin}


# --- reading --------------------------------------------------------------------------
def _persons(con, m: Measure, params: dict) -> list[str]:
    return _run(con, f"explore_{m.table}_person", **params)["person"].to_list()


def read(viewer: Viewer, store: teamstore.Folder, state: Path, study_id: str, measure: str, by=(),
         filters: Filters | None = None, *, sync: bool = True) -> Result:
    """The groups of ``measure`` by ``by`` (up to two of the measure's keys) over ``filters``, each over at least
    k distinct persons. Raises PermissionError, LookupError, ValueError (see the module) and LogRefused."""
    study = _study(viewer, store, study_id)
    m = _measure(study, measure)
    by = _check_by(m, by)
    f = _check_filters(m, filters)
    params = _params(m, f)
    keys = {"by1": by[0] if by else "none", "by2": by[1] if len(by) > 1 else "none"}
    with study_ledger.opened(state, study) as con:
        if sync:
            study_ledger.sync(con, store, study)
        found = _run(con, f"explore_{m.table}", **params, **keys, k=study.k)
        persons = _persons(con, m, params)
    shown = found.filter(pl.col("shown"))
    frame = _typed(shown, m, by)
    described = {"measure": measure, "by": list(by), **_described(f)}
    log_read(store, study, persons, viewer.who, f"study results: {measure}", described)
    suppressed = found.height - shown.height
    note = (f"{m.unit.capitalize()}. Each row covers at least {study.k} people of study {study.id!r}; "
            f"{suppressed} group(s) from fewer are left out." if found.height else
            "No releases match these filters.")
    return Result(study.id, measure, by, frame, suppressed, study.k, m.unit, note,
                  (store, study, tuple(persons), viewer.who, described))


def _typed(found: pl.DataFrame, m: Measure, by: tuple[str, ...]) -> pl.DataFrame:
    columns = []
    for key, raw in zip(by, ("g1", "g2")):
        col = pl.col(raw)
        if key == "month":
            col = col + "-01"
        if _TYPES[key] == pl.Date:
            col = col.str.to_date("%Y-%m-%d")
        columns.append(col.cast(_TYPES[key]).alias(key))
    frame = found.select(*columns, pl.col("value").cast(pl.Float64), pl.col("persons").cast(pl.Int64))
    if "bin" in by:
        unit, edges = _EDGES[m.table]
        bins = pl.DataFrame({"bin": list(range(len(edges) + 1)), f"lo_{unit}": [0.0, *map(float, edges)],
                             f"hi_{unit}": [*map(float, edges), None]},
                            schema={"bin": pl.Int32, f"lo_{unit}": pl.Float64, f"hi_{unit}": pl.Float64})
        frame = frame.join(bins, on="bin", how="left").select(*by, f"lo_{unit}", f"hi_{unit}", "value", "persons")
    return frame.sort(list(by)) if by else frame


def choices(viewer: Viewer, store: teamstore.Folder, state: Path, study_id: str) -> Choices:
    """The study's first and last day and the categories at least k persons used: what the filters offer."""
    study = _study(viewer, store, study_id)
    with study_ledger.opened(state, study) as con:
        study_ledger.sync(con, store, study)
        span = _run(con, "explore_span").row(0)
        names = (_run(con, "explore_category_names", k=study.k)["category"].to_list()
                 if "categories" in study_ledger.tables(study) else [])
    return Choices(span[0], span[1], tuple(names))


def compare(viewer: Viewer, store: teamstore.Folder, state: Path, study_id: str, measure: str, side_a: Filters,
            side_b: Filters, label_a: str = "the first group", label_b: str = "the second group", *,
            sync: bool = True) -> Compared:
    """``measure`` per person on side A against side B (each a Filters: a period, weekdays, ...), each side over
    at least k persons. A share measure needs its pick (``category`` or ``bin``) on both sides. Raises
    ValueError (a side under k, a missing pick), PermissionError, LookupError, LogRefused."""
    study = _study(viewer, store, study_id)
    m = _measure(study, measure)
    sides = [_check_filters(m, side_a), _check_filters(m, side_b)]
    if m.pick and any(getattr(s, m.pick) is None for s in sides):
        raise ValueError(f"choose a {m.pick} on both sides to compare {m.name}: its share is compared per person")
    with study_ledger.opened(state, study) as con:
        if sync:
            study_ledger.sync(con, store, study)
        values = [_run(con, f"explore_{m.table}_person", **_params(m, s)) for s in sides]
    for frame, label in zip(values, (label_a, label_b)):
        if frame.height < study.k:
            raise ValueError(f"{label} covers fewer than the study's k = {study.k} people, so it cannot be "
                             "compared: widen its filters")
    result = stats.compare(values[0]["value"].to_numpy(), values[1]["value"].to_numpy())
    persons = sorted(set(values[0]["person"].to_list()) | set(values[1]["person"].to_list()))
    log_read(store, study, persons, viewer.who, f"study comparison: {measure}",
             {"measure": measure, "a": _described(sides[0]), "b": _described(sides[1])})
    return Compared(result, result.sentence(m.label.capitalize(), m.unit, label_a, label_b), study.k)


def export(result: Result, fmt: str) -> bytes:
    """``result.frame`` as CSV (text cells a spreadsheet would run as formulas quoted) or Parquet: exactly what
    the read showed. The export is a read of its own and logged as one (LogRefused if it cannot be)."""
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"{fmt!r} is not an export format: csv or parquet")
    data = frame_bytes(result.frame, fmt)
    if result._read:
        store, study, persons, who, described = result._read
        log_read(store, study, persons, who, f"study export ({fmt}): {result.measure}", described)
    return data


def frame_bytes(frame: pl.DataFrame, fmt: str) -> bytes:
    """A frame as CSV (text cells a spreadsheet would run as formulas quoted, as OWASP advises) or Parquet."""
    if fmt == "csv":
        texts = [c for c, dtype in frame.schema.items() if dtype == pl.String]
        guarded = frame.with_columns(
            pl.when(pl.col(c).str.contains(r"^[=+\-@\t\r]")).then("'" + pl.col(c)).otherwise(pl.col(c)).alias(c)
            for c in texts)
        return guarded.write_csv().encode()
    sink = io.BytesIO()
    frame.write_parquet(sink)
    return sink.getvalue()


def log_read(store: teamstore.Folder, study: studies_mod.Study, persons, who: str, what: str,
             params: dict | None = None) -> None:
    """Append one entry to the access log of each of ``persons`` (study pseudonyms) saying ``who`` read
    ``what`` of ``study`` with ``params``. Raises LogRefused if one cannot be written: refuse the read then."""
    why = (f"study {study.id} ({study.name}): results over at least {study.k} people; no one's own figures")
    for pseudonym in sorted(set(persons)):
        try:
            teamlog.append(store, pseudonym, who=who, what=what, params={"study": study.id, **(params or {})},
                           why=why)
        except (OSError, ValueError) as exc:
            raise LogRefused(f"the read is refused: the access log of a person in it cannot be written ({exc})") \
                from None
