"""What a study release holds: one worker-day of the aggregates a study asked
for, and nothing else.

This module is the promise for research, as sharing.release_format is for
teams. A study (sharing.studies.Study) names the :data:`MEASURES` it asks
for; its consent text is written from :func:`columns`, the worker's release
writer builds exactly :func:`schema`, the research server reads only these
columns, and :func:`check` is what the Privacy page and the tests hold a
study release file against.

A study may ask for more than a team sees (the category-to-category
transitions of each day, and finer rhythm histograms), but never raw events
or raw timings: rhythm leaves only as counts per bin over a whole day, and
categories only as the names of the worker's category rules, else 'Other'.
"""

from __future__ import annotations

import datetime as dt

from . import release_format as rf
from .release_format import OTHER, Column

FORMAT = 1
# Finer rhythm bins than a team's: about 1.3x-wide steps, still counts over a whole day.
TYPING_FINE_EDGES_MS = (40, 60, 80, 100, 120, 150, 180, 220, 270, 330, 400, 500, 650, 850, 1100, 1500, 2000)
CLICK_FINE_EDGES_S = (0.15, 0.2, 0.25, 0.35, 0.5, 0.7, 1, 1.4, 2, 2.8, 4, 5.6, 8, 16, 32)
TYPING_FINE_BINS = len(TYPING_FINE_EDGES_MS) + 1
CLICK_FINE_BINS = len(CLICK_FINE_EDGES_S) + 1
MAX_TRANSITIONS = 400  # distinct (from, to) category pairs in one day, at most

BASE: tuple[Column, ...] = (
    Column("pseudonym", "string",
           "your pseudonym in this study: a keyed hash of your worker id, keyed for this study alone, so "
           "that no two studies (nor your team) can join their data on you"),
    Column("study", "string", "the study's id"),
    Column("day", "date32[day]", "the local day the figures are for"),
)
_BY_NAME = {c.name: c for c in rf.COLUMNS}
_TRANSITIONS = Column(
    "category_transitions", "list<item: struct<src: string, dst: string, n: int32>>",
    "how many times you switched from an app of one category to an app of another that day, per pair of "
    "categories of your category rules (else 'Other'); never an app name, never when")
_TYPING_FINE = Column(
    "typing_fine_bins", "list<item: int32>",
    f"{TYPING_FINE_BINS} counts: intervals between key presses while typing, in finer bins with edges at "
    + ", ".join(str(e) for e in TYPING_FINE_EDGES_MS) + " ms, over the whole day")
_CLICK_FINE = Column(
    "click_fine_bins", "list<item: int32>",
    f"{CLICK_FINE_BINS} counts: intervals between clicks (up to 60 s), in finer bins with edges at "
    + ", ".join(str(e) for e in CLICK_FINE_EDGES_S) + " s, over the whole day")

# What a study may ask for: measure -> the columns it adds to each release.
MEASURES: dict[str, tuple[Column, ...]] = {
    "activity": (_BY_NAME["active_minutes"], _BY_NAME["switches"]),
    "categories": (_BY_NAME["category_seconds"],),
    "focus": (_BY_NAME["focus_sessions"], _BY_NAME["focus_seconds"]),
    "typing": (_BY_NAME["typing_bins"],),
    "clicking": (_BY_NAME["click_bins"],),
    "transitions": (_TRANSITIONS,),
    "typing_fine": (_TYPING_FINE,),
    "clicking_fine": (_CLICK_FINE,),
}
# Fixed-length lists: column -> (length, largest value or None).
_LISTS = {"active_minutes": (rf.HOURS, 60), "switches": (rf.HOURS, None), "typing_bins": (rf.TYPING_BINS, None),
          "click_bins": (rf.CLICK_BINS, None), "typing_fine_bins": (TYPING_FINE_BINS, None),
          "click_fine_bins": (CLICK_FINE_BINS, None)}


class StudyFormatError(ValueError):
    """A study asks for a measure that does not exist; the message names it."""


def check_measures(measures) -> tuple[str, ...]:
    """The measures in the order of :data:`MEASURES`; StudyFormatError for an
    unknown one, a repeated one or none."""
    asked = list(measures)
    unknown = [m for m in asked if m not in MEASURES]
    if unknown:
        raise StudyFormatError(f"unknown measure {unknown[0]!r}: a study may ask for {', '.join(MEASURES)}")
    if not asked:
        raise StudyFormatError(f"a study must ask for at least one measure of {', '.join(MEASURES)}")
    twice = sorted({m for m in asked if asked.count(m) > 1})
    if twice:
        raise StudyFormatError(f"the measure {twice[0]!r} is named twice")
    return tuple(m for m in MEASURES if m in asked)


def columns(measures) -> tuple[Column, ...]:
    """The columns of a release of a study asking for ``measures``, in file order."""
    return BASE + tuple(c for m in check_measures(measures) for c in MEASURES[m])


def names(measures) -> tuple[str, ...]:
    return tuple(c.name for c in columns(measures))


def _arrow(column: Column):
    import pyarrow as pa

    fixed = {c.name: f for c, f in zip(rf.COLUMNS, rf.schema(), strict=True)}
    if column.name in fixed:
        return fixed[column.name].type
    if column.name == "study":
        return pa.string()
    if column.name == "category_transitions":
        return pa.list_(pa.struct([("src", pa.string()), ("dst", pa.string()), ("n", pa.int32())]))
    return pa.list_(pa.int32())


def schema(measures):
    """The Arrow schema of a release of a study asking for ``measures``."""
    import pyarrow as pa

    return pa.schema([(c.name, _arrow(c)) for c in columns(measures)])


def _plain(arrow_type) -> str:
    import pyarrow as pa

    if pa.types.is_list(arrow_type) and pa.types.is_struct(arrow_type.value_type):
        return str(pa.list_(arrow_type.value_type))
    return rf._plain(arrow_type)


def as_promised(table, measures):
    """``table`` in the promise's schema where only Parquet's nested names differ."""
    if [f"{f.name}: {_plain(f.type)}" for f in table.schema] == [f"{c.name}: {c.arrow}" for c in columns(measures)]:
        return table.cast(schema(measures))
    return table


def check(table, measures, categories: set[str] | None = None) -> list[str]:
    """Every way ``table`` (read from a study release file) differs from the
    promise of a study asking for ``measures``: columns, types, row count,
    list lengths, ranges, and (given the worker's rule names) a category that
    is not one. Empty when it keeps it."""
    found = [f"{f.name}: {_plain(f.type)}" for f in table.schema]
    promised = [f"{c.name}: {c.arrow}" for c in columns(measures)]
    problems = [f"column {c} is not promised" for c in found if c not in promised]
    problems += [f"promised column {c} is missing" for c in promised if c not in found]
    if problems:
        return problems
    if table.num_rows != 1:
        return [f"a release holds one worker-day, this one {table.num_rows} rows"]
    row = table.to_pylist()[0]
    for name, (length, top) in _LISTS.items():
        if name not in row:
            continue
        values = row[name] or []
        if len(values) != length:
            problems.append(f"{name} holds {len(values)} numbers, not {length}")
        if any(v is None or v < 0 or (top is not None and v > top) for v in values):
            problems.append(f"{name} holds a value outside 0-{top if top is not None else 'any'}")
    named: set[str] = set()
    if "category_seconds" in row:
        cats = dict(row["category_seconds"] or [])
        named |= set(cats)
        if any(v is None or v < 0 or v > 86400 for v in cats.values()):
            problems.append("category_seconds holds a value outside 0-86400")
    if "category_transitions" in row:
        pairs = row["category_transitions"] or []
        named |= {p["src"] for p in pairs} | {p["dst"] for p in pairs}
        if len(pairs) > MAX_TRANSITIONS:
            problems.append(f"category_transitions holds {len(pairs)} pairs, more than {MAX_TRANSITIONS}")
        if any(p["n"] is None or p["n"] <= 0 for p in pairs):
            problems.append("category_transitions holds a count that is not positive")
        if len({(p["src"], p["dst"]) for p in pairs}) != len(pairs):
            problems.append("category_transitions names a pair twice")
        if any(p["src"] == p["dst"] for p in pairs):
            problems.append("category_transitions holds a switch within one category")
    if categories is not None:
        allowed = set(categories) | {OTHER}
        problems += [f"category {c!r} is not one of your category rules" for c in sorted(named - allowed)]
    for name in ("focus_sessions", "focus_seconds"):
        if name in row and (row[name] is None or row[name] < 0):
            problems.append(f"{name} is not a count")
    if not isinstance(row["day"], dt.date):
        problems.append("day is not a date")
    return problems
