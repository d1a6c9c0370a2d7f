"""The consent text, generated from the schema and the settings, and what it covers.

The text cannot drift from what is recorded: the tables and columns it lists
are read from a database built by the migrations, and every setting that
changes what is recorded (titles, exclusions, work hours, retention) is
stated from the settings themselves. Each distinct text is kept in the
ledger as a version (store.consent). Its *scope* is the same facts as data:
:func:`records_more` compares two scopes, and a settings change whose scope
records more than the accepted one needs consent again before capture
records anything.
"""

from __future__ import annotations

import functools
import hashlib
import json
import textwrap
from pathlib import Path

import duckdb

from store import attach, keys, statements
from store.paths import Paths
from store.schema import CHARACTER_CLASSES, DATA_TABLES, KEY_CLASSES, migrate

from .policy import PASSWORD_PROMPTS, Policy
from .settings import Settings

WIDTH = 78
STORED_KEY_CLASSES = tuple(c for c in KEY_CLASSES if c not in CHARACTER_CLASSES)


@functools.cache
def stored_columns() -> tuple[str, ...]:
    """``table.column`` of every data table, as the migrations build them (in
    a database in memory: for a process without the file open)."""
    con = duckdb.connect()
    try:
        migrate(con)
        return columns_of(con)
    finally:
        con.close()


def columns_of(con) -> tuple[str, ...]:
    """``table.column`` of every data table of the (migrated) database ``con`` is on."""
    rows = statements.execute(con, "data_columns", {"tables": list(DATA_TABLES)}).fetchall()
    return tuple(f"{t}.{c}" for t, c in rows)


def _private(pattern: str) -> str:
    """A pattern the worker listed, as kept in the ledger: its hash. Which apps
    someone excludes, or which words they redact, is itself telling."""
    return "sha256:" + hashlib.sha256(pattern.lower().encode()).hexdigest()


def scope(settings: Settings, columns: tuple[str, ...] | None = None) -> dict:
    """What the settings and schema (``columns``, default stored_columns())
    record, as comparable data (the worker's own exclusions and redactions hashed)."""
    policy = Policy(settings)
    return {
        "columns": list(columns or stored_columns()),
        "key_classes": list(STORED_KEY_CLASSES),
        "titles": sorted(settings.titles.apps),
        "redact": sorted(_private(p) for p in settings.titles.redact),
        "excluded": sorted(_private(p) for p in policy.excluded_patterns),
        "record_excluded_name": settings.exclude.record_name,
        "hours": {str(day): [list(r) for r in ranges] for day, ranges in sorted(policy.hours.items())} or None,
        "timezone": settings.work_hours.timezone,
        "raw_days": settings.retention.raw_days,
        "derived_months": settings.retention.derived_months,
    }


def _minutes(hours: dict | None) -> set[tuple[int, int]]:
    if hours is None:
        return {(d, m) for d in range(7) for m in range(24 * 60)}
    return {(int(d), m) for d, ranges in hours.items() for start, stop in ranges for m in range(start, stop)}


def _longer(new: int | None, old: int | None) -> bool:
    return old is not None and (new is None or new > old)


def records_more(accepted: dict, current: dict) -> list[str]:
    """How ``current`` records more than ``accepted`` (empty: it does not)."""
    more = []
    columns = [c for c in current["columns"] if c not in accepted["columns"]]
    if columns:
        more.append("new stored columns: " + ", ".join(columns))
    coarser = set(CHARACTER_CLASSES) & set(accepted["key_classes"])
    classes = [c for c in current["key_classes"] if c not in accepted["key_classes"]
               and not (c == "character" and coarser)]
    if classes:
        more.append("new key classes: " + ", ".join(classes))
    if "*" not in accepted["titles"]:
        titles = [p for p in current["titles"] if p not in accepted["titles"]]
        if titles:
            more.append("window titles stored for: " + ", ".join(titles))
    if any(p not in current["redact"] for p in accepted["redact"]):
        more.append("fewer of your title redactions")
    dropped = [p for p in accepted["excluded"] if p not in current["excluded"] and _private(p) not in current["excluded"]]
    if dropped:
        more.append(f"{len(dropped)} app pattern{'s' if len(dropped) > 1 else ''} no longer excluded")
    if current["record_excluded_name"] and not accepted["record_excluded_name"]:
        more.append("excluded apps' names are recorded")
    if (current["timezone"] != accepted["timezone"] and current["hours"] is not None) or (
            _minutes(current["hours"]) - _minutes(accepted["hours"])):
        more.append("wider work hours")
    if _longer(current["raw_days"], accepted["raw_days"]):
        more.append(f"raw events kept {current['raw_days']} days")
    if _longer(current["derived_months"], accepted["derived_months"]):
        more.append(f"derived tables kept {current['derived_months']} months")
    return more


def _hours_text(settings: Settings) -> str:
    days = settings.work_hours.days
    if not days:
        return "No work hours are set: capture records whenever it runs and is not paused."
    zone = "this computer's local time" if settings.work_hours.timezone == "local" else settings.work_hours.timezone
    listed = "; ".join(f"{spec} {ranges}" for spec, ranges in days.items())
    return f"Work hours ({zone}): {listed}. Outside them nothing at all is recorded."


def _excluded_text(settings: Settings, where: Path | str) -> str:
    own = len(settings.exclude.apps)
    parts = ([f"{own} app pattern{'s' if own > 1 else ''} you listed in {where} (not named here: this text is "
              "kept in the database)"] if own else []) + (
        [f"password prompts, password managers and lock screens ({', '.join(PASSWORD_PROMPTS[:4])}, ...)"]
        if settings.exclude.password_prompts else [])
    if not parts:
        return "No app is excluded: input is recorded whichever app has focus."
    named = "with its name" if settings.exclude.record_name else "not which app"
    return (f"Excluded apps: {'; and '.join(parts)}. While one has focus no input at all is recorded, "
            f"only that an excluded app had focus ({named}).")


def _titles_text(settings: Settings) -> str:
    apps = list(settings.titles.apps)
    if not apps:
        return "Window titles are not stored, for any app."
    which = "every app" if "*" in apps else "apps matching " + ", ".join(apps)
    own = len(settings.titles.redact)
    mine = f", and what your {own} own pattern{'s' if own != 1 else ''} match" if own else ""
    return (f"Window titles are stored for {which}, after removing e-mail addresses, URL paths and queries, "
            f"numbers of five digits or more{mine}.")


def _at_rest(db: Path | str) -> str:
    if attach.plaintext_mode():
        return textwrap.fill(f"The file is NOT encrypted: {attach.PLAINTEXT_ENV} is set.", WIDTH)
    return textwrap.fill(f"The file is encrypted (AES-GCM, its write-ahead log too); its key is kept apart from it, in "
                         f"{keys.places(Path(db))}, readable by you only.", WIDTH)


def generate(settings: Settings, db: Path | str, columns: tuple[str, ...] | None = None) -> str:
    """The consent text for these settings and this database file (whose
    data tables have ``columns``, default stored_columns())."""
    by_table: dict[str, list[str]] = {}
    for column in columns or stored_columns():
        table, name = column.split(".")
        by_table.setdefault(table, []).append(name)
    tables = "\n".join(textwrap.fill(f"{table}: {', '.join(names)}", WIDTH, initial_indent="  - ",
                                      subsequent_indent="    ") for table, names in by_table.items())
    r = settings.retention
    others = ", ".join(c for c in STORED_KEY_CLASSES if c != "character")
    settings_lines = "\n\n".join(textwrap.fill(p, WIDTH) for p in (
        _titles_text(settings), _excluded_text(settings, Paths(Path(db)).settings), _hours_text(settings)))
    keys = textwrap.fill(f'when each key goes down and up, as its class only: "character" for every letter, '
                         f"digit and punctuation key, or {others}; never which key, so what you type cannot be "
                         "read back;", WIDTH, initial_indent="  - ", subsequent_indent="    ")
    return f"""\
Workprint records how your computer work flows, on this computer only, in
{db}. Nothing leaves it unless you export it yourself
(python -m capture export) or share an aggregate.
{_at_rest(db)}

What is recorded:
{keys}
  - per minute, how many key presses were letters, how many digits and how
    many punctuation;
  - mouse clicks (button and position), scrolling, and how far the pointer
    travelled each second (not its path);
  - which application has focus (its name and process id), and when;
  - when you are idle, and when capture is paused, started and stopped.
What still shows: when you typed and how fast, and how many keys you pressed
between two Enters or clicks (the length of a line, a word or a PIN), but
not which keys.

{settings_lines}

How long it is kept: raw events {r.raw_days} days. The tables derived from
them are kept {r.derived_months} months: which app had focus when (with its
window titles, where stored), the order of apps within each session of
work, each key press's class and timing, typing bursts, per-minute key
counts and hourly totals. Workprint then deletes them
itself, and removes them from the file. Data you import yourself is kept
until you delete it.

Each answer to this text is kept with the login that gave it. Every export,
and every read by a program other than your own dashboard and command line,
is written to an access log you can read (python -m capture access-log).

The tables and their columns:
{tables}

You can pause capture at any time (python -m capture pause), see and change
these settings (python -m capture settings), and withdraw consent
(python -m capture consent --withdraw), which stops capture at once.
"""


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def scope_json(settings: Settings) -> str:
    return json.dumps(scope(settings), sort_keys=True)


def standing(con, settings: Settings, db: Path | str, *, register: bool) -> dict:
    """Where consent stands for these settings: the current text and its
    version (kept as a new one when ``register``; None if never kept), the
    version last accepted, and what the current one records beyond it.
    ``covered`` is what capture goes by."""
    import store

    columns = columns_of(con)
    text = generate(settings, db, columns)
    current = scope(settings, columns)
    if register:
        version = store.register_text(con, text, json.dumps(current, sort_keys=True))
    else:
        version = store.find_text(con, digest(text))
    latest = store.latest_consent(con)
    given = bool(latest) and latest["action"] == "accept"
    more: list[str] = []
    accepted = int(latest["text_version"]) if given else None
    if given and accepted != version:
        kept = store.text_version(con, accepted)
        more = records_more(json.loads(kept["scope"]), current) if kept else ["a consent text this file does not hold"]
    return {"text": text, "sha256": digest(text), "version": version, "given": given, "accepted_version": accepted,
            "accepted_at": latest["ts"] if latest else None, "action": latest["action"] if latest else None,
            "more": more, "covered": given and not more}
