"""The settings file: what capture records, when, and for how long.

One TOML file beside the database (``data/workprint.toml`` for
``data/workprint.duckdb``), written by the Privacy page and by
``python -m capture settings``, and editable by hand. It is validated with
pydantic: every error names the key, what it got and what is allowed. The
running daemon reads it again within a second of any change; a file that
does not validate stops capture (nothing is recorded) until it does, since
an edit meant to exclude an app must never be ignored in silence.

What the settings mean is applied by :mod:`capture.policy` (pure functions);
what they record is stated by :mod:`capture.consent_text`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
import zoneinfo
from pathlib import Path
from typing import Annotated

import tomlkit
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError, field_validator

from store.paths import write_private

MAX_BYTES = 256 * 1024  # a settings file is a few hundred bytes; anything near this is not one
MAX_PATTERNS = 200
MAX_PATTERN_LENGTH = 200
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-4]):([0-5]\d)\s*$")

Pattern = Annotated[StrictStr, Field(min_length=1, max_length=MAX_PATTERN_LENGTH)]
Patterns = Annotated[tuple[Pattern, ...], Field(max_length=MAX_PATTERNS)]


class SettingsError(ValueError):
    """The settings file (or a change to it) is not valid; the message names the key."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Titles(_Section):
    """Window titles: stored for no app unless listed here, and redacted first."""

    apps: Patterns = ()
    redact: Patterns = ()

    @field_validator("redact")
    @classmethod
    def _compiles(cls, patterns):
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a regular expression ({exc})") from None
        return patterns


class Exclude(_Section):
    """Apps during whose focus no input at all is recorded."""

    apps: Patterns = ()
    password_prompts: StrictBool = True
    record_name: StrictBool = False


class WorkHours(_Section):
    """When capture may record: weekday ranges of local wall-clock time; none listed: any time."""

    timezone: StrictStr = "local"
    days: dict[StrictStr, StrictStr] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name):
        if name != "local":
            try:
                zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"{name!r} is not a time zone") from None
        return name

    @field_validator("days")
    @classmethod
    def _days(cls, days):
        for spec, ranges in days.items():
            day_set(spec)
            minute_ranges(ranges)
        return days

    def zone(self) -> dt.tzinfo | None:
        """The time zone, or None for this machine's local one."""
        return None if self.timezone == "local" else zoneinfo.ZoneInfo(self.timezone)


class Retention(_Section):
    """How long rows are kept before the software deletes them."""

    raw_days: StrictInt = Field(30, ge=1, le=3650)
    derived_months: StrictInt = Field(12, ge=1, le=120)


class Pause(_Section):
    """A pause for a while: nothing is recorded until then."""

    until: dt.datetime | None = None

    @field_validator("until")
    @classmethod
    def _aware(cls, until):
        if until is not None and until.tzinfo is None:
            raise ValueError("give a time with its offset, e.g. 2026-12-01T17:30:00+01:00")
        return until


class Settings(_Section):
    titles: Titles = Titles()
    exclude: Exclude = Exclude()
    work_hours: WorkHours = WorkHours()
    retention: Retention = Retention()
    pause: Pause = Pause()


# What each key allows, in the worker's words: every error message ends with it.
ALLOWED = {
    "titles": "a table with the keys apps, redact",
    "titles.apps": "a list of app name patterns (WM_CLASS, * and ? as wildcards, any case), e.g. [\"code\"]; "
                   "[\"*\"] for every app",
    "titles.redact": "a list of regular expressions; what they match is removed from titles before storing",
    "exclude": "a table with the keys apps, password_prompts, record_name",
    "exclude.apps": "a list of app name patterns (WM_CLASS, * and ? as wildcards, any case), e.g. [\"keepassxc\"]",
    "exclude.password_prompts": "true or false (true: pinentry, ssh-askpass, password managers and lock "
                                "screens are excluded too)",
    "exclude.record_name": "true or false (false: only that an excluded app had focus is recorded, not which)",
    "work_hours": "a table with the keys timezone, days",
    "work_hours.timezone": "\"local\" or a time zone name such as \"Europe/Berlin\"",
    "work_hours.days": "a table of day ranges and times, e.g. mon-fri = \"09:00-12:30, 13:30-17:30\" "
                       "(days: " + ", ".join(DAYS) + ")",
    "retention": "a table with the keys raw_days, derived_months",
    "retention.raw_days": "a whole number of days from 1 to 3650",
    "retention.derived_months": "a whole number of months from 1 to 120",
    "pause": "a table with the key until",
    "pause.until": "a date and time with its offset, e.g. 2026-12-01T17:30:00+01:00",
    "": "the sections titles, exclude, work_hours, retention, pause",
}


def day_set(spec: str) -> frozenset[int]:
    """Weekdays (0 = Monday) of ``mon``, ``mon-fri`` or ``fri-mon`` (wrapping)."""
    first, _, last = spec.strip().lower().partition("-")
    if first not in DAYS or (last and last not in DAYS):
        raise ValueError(f"{spec!r} is not a day or a day range such as mon-fri")
    a, b = DAYS.index(first), DAYS.index(last or first)
    return frozenset((a + i) % 7 for i in range((b - a) % 7 + 1))


def minute_ranges(text: str) -> tuple[tuple[int, int], ...]:
    """``"09:00-12:30, 13:30-17:30"`` as minutes of the day, ``((540, 750), (810, 1050))``."""
    ranges = []
    for part in text.split(","):
        match = _RANGE.match(part)
        if not match:
            raise ValueError(f"{part.strip()!r} is not a time range such as 09:00-17:30")
        h1, m1, h2, m2 = map(int, match.groups())
        start, stop = h1 * 60 + m1, h2 * 60 + m2
        if stop > 24 * 60 or start >= stop:
            raise ValueError(f"{part.strip()!r} ends before it starts (past midnight: give the next day its own range)")
        ranges.append((start, stop))
    return tuple(ranges)


def _describe(error: dict) -> str:
    loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
    if error["type"] == "extra_forbidden":
        key, parent = ".".join(loc), ".".join(loc[:-1])
        return f"unknown key {key!r}; allowed here: {ALLOWED.get(parent, ALLOWED[''])}"
    if loc[:2] == ["work_hours", "days"]:
        loc = loc[:2]
    key = ".".join(loc)
    got = error.get("input")
    message = error["msg"].removeprefix("Value error, ").replace("a valid tuple", "a list")
    got_text = "" if isinstance(got, dict) else f" (got {repr(got)[:80]})"  # a table's fault is in the message
    return f"{key}: {message}{got_text}; allowed: {ALLOWED.get(key, ALLOWED[''])}"


def validate(data: dict, source: str = "the settings") -> Settings:
    """Settings from parsed TOML; SettingsError names every key that is wrong."""
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors())
        raise SettingsError(f"{source} is not valid: {problems}") from None


def load(path: Path) -> Settings:
    """The settings in ``path``, or the defaults when there is no file."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise SettingsError(f"cannot read the settings file {path}: {exc.strerror}") from None
    if info.st_uid != os.getuid() or info.st_mode & 0o022:
        # Someone else could turn titles on or an exclusion off: not a file to go by.
        raise SettingsError(f"{path} can be changed by another user; make it yours alone: chmod 600 {path}")
    if len(raw) > MAX_BYTES:
        raise SettingsError(f"{path} is over {MAX_BYTES // 1024} KB: that is not a Workprint settings file")
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise SettingsError(f"{path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path} is not valid TOML: {exc}") from None
    return validate(data, str(path))


_TEMPLATE = """\
# Workprint's settings. Capture reads this file again within a second of a change.
# Edit it here, on the Privacy & data page, or with: python -m capture settings

[titles]
# Window titles are stored only for apps matching these patterns (WM_CLASS; "*" for all).
apps = []
# Your own regular expressions, removed from titles before anything is stored
# (e-mail addresses, URL paths and queries and long numbers always are).
redact = []

[exclude]
# While one of these apps has focus, no input at all is recorded.
apps = []
# Also exclude password prompts, password managers and lock screens.
password_prompts = true
# false: only that an excluded app had focus is recorded, not its name.
record_name = false

[work_hours]
# Outside these hours nothing is captured. None listed: any time.
timezone = "local"

[work_hours.days]
# mon-fri = "09:00-12:30, 13:30-17:30"

[retention]
# Raw events are deleted after this many days...
raw_days = 30
# ...and the hourly and derived tables after this many months.
derived_months = 12

[pause]
# Nothing is recorded until then (python -m capture pause --for 30m).
# until = 2026-12-01T17:30:00+01:00
"""


def _document(path: Path) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(path.read_text("utf-8"))
    except FileNotFoundError:
        return tomlkit.parse(_TEMPLATE)
    except (OSError, UnicodeDecodeError, tomlkit.exceptions.ParseError) as exc:
        raise SettingsError(f"cannot change {path}: it cannot be read ({exc}); fix or remove it first") from None


def update(path: Path, changes: dict[str, object]) -> Settings:
    """Set dotted keys (``{"exclude.apps": ["keepassxc"], "pause.until": None}``;
    None removes a key) and write the file, keeping its comments. The change
    is validated first: an invalid one raises SettingsError and the file is
    not touched. Written atomically, owner-only. Returns the new settings."""
    document = _document(path)
    for key, value in changes.items():
        *parents, name = key.split(".")
        table = document
        for part in parents:
            if part not in table:
                table[part] = tomlkit.table()
            table = table[part]
            if not isinstance(table, dict):
                raise SettingsError(f"{key}: {'.'.join(parents)} is not a table; allowed: {ALLOWED.get(key, '')}")
        if value is None:
            table.pop(name, None)
        else:
            table[name] = value
    text = tomlkit.dumps(document)
    settings = validate(tomllib.loads(text), "the change")
    write_private(path, text)
    return settings


def stamp(path: Path) -> tuple | None:
    """What changes when the file does (for the daemon's watch): None if absent."""
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return None
    return info.st_ino, info.st_size, info.st_mtime_ns
