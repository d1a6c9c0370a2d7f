"""The documented views of a study's releases: what Explore and the SQL
sandbox read, on DuckDB and on Spark alike.

The research server flattens each checked study release (sharing.study_format)
into these long tables, one row per person and day (and hour, category, pair
or bin), so that every research query is a plain GROUP BY both engines run
identically. A study has only the tables of the measures it asked for
(:func:`for_measures`); ``days`` always exists.

``person`` is the study pseudonym (sharing.pseudonym.scoped): it joins a
person's rows within one study and nothing else. Every result over these
tables is kept only where it covers at least the study's k distinct persons.
"""

from __future__ import annotations

from dataclasses import dataclass

from sharing import release_format as rf
from sharing import study_format as sf


@dataclass(frozen=True)
class Field:
    name: str
    sql_type: str  # the DuckDB type; Spark's is the same name but for VARCHAR -> STRING
    meaning: str


@dataclass(frozen=True)
class Table:
    name: str
    measures: tuple[str, ...]  # the table exists when the study asked for any of these
    meaning: str
    fields: tuple[Field, ...]


_KEYS = (
    Field("person", "VARCHAR", "the person's pseudonym in this study (joins nothing outside it)"),
    Field("day", "DATE", "the person's local day"),
    Field("week", "DATE", "the Monday of the day's ISO week"),
    Field("weekday", "INTEGER", "1 (Monday) to 7 (Sunday)"),
)


def _bins(name, measure, unit, edges, what) -> Table:
    return Table(name, (measure,), f"one row per person, day and {what} bin: how many intervals fell in it", _KEYS + (
        Field("bin", "INTEGER", f"the bin, 0 to {len(edges)}"),
        Field(f"lo_{unit}", "DOUBLE", f"the bin's lower edge, {unit}"),
        Field(f"hi_{unit}", "DOUBLE", f"the bin's upper edge, {unit} (NULL for the last, open bin)"),
        Field("n", "INTEGER", "how many intervals"),
    ))


TABLES: tuple[Table, ...] = (
    Table("days", (), "one row per person and day released", _KEYS + (
        Field("active_minutes", "INTEGER", "minutes with keyboard or mouse input that day (activity)"),
        Field("switches", "INTEGER", "app switches that day (activity)"),
        Field("focus_sessions", "INTEGER", "stretches of at least 10 minutes in one category (focus)"),
        Field("focus_seconds", "INTEGER", "their total length, seconds (focus)"),
    )),
    Table("hours", ("activity",), "one row per person, day and local hour", _KEYS + (
        Field("hour", "INTEGER", "the local hour, 0-23"),
        Field("active_minutes", "INTEGER", "minutes with input in that hour, 0-60"),
        Field("switches", "INTEGER", "app switches in that hour"),
    )),
    Table("categories", ("categories",), "one row per person, day and category with active time", _KEYS + (
        Field("category", "VARCHAR", "a category of the person's category rules, or 'Other'"),
        Field("seconds", "INTEGER", "active seconds in it that day"),
    )),
    Table("transitions", ("transitions",), "one row per person, day and pair of categories switched between",
          _KEYS + (
              Field("from_category", "VARCHAR", "the category switched away from"),
              Field("to_category", "VARCHAR", "the category switched to"),
              Field("n", "INTEGER", "how many times that day"),
          )),
    _bins("typing", "typing", "ms", rf.TYPING_EDGES_MS, "typing-interval"),
    _bins("clicking", "clicking", "s", rf.CLICK_EDGES_S, "click-interval"),
    _bins("typing_fine", "typing_fine", "ms", sf.TYPING_FINE_EDGES_MS, "fine typing-interval"),
    _bins("clicking_fine", "clicking_fine", "s", sf.CLICK_FINE_EDGES_S, "fine click-interval"),
)
BY_NAME = {t.name: t for t in TABLES}
# Which days columns each measure fills (NULL where the study did not ask for it).
DAY_COLUMNS = {"activity": ("active_minutes", "switches"), "focus": ("focus_sessions", "focus_seconds")}


def for_measures(measures) -> tuple[Table, ...]:
    """The tables a study asking for ``measures`` has."""
    asked = set(sf.check_measures(measures))
    return tuple(t for t in TABLES if not t.measures or asked & set(t.measures))
