"""What the settings mean for one moment of capture: pure functions, no I/O.

:class:`Policy` is compiled once per settings version and asked from the
capture callbacks (is this app excluded? may its title be stored?) and from
the daemon's loop (may capture record now?). :func:`redact` is what every
stored window title has been through.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Iterable

from .settings import Settings, day_set, minute_ranges

# Excluded unless the worker turns this off (exclude.password_prompts): the
# apps where what is typed is a secret, matched like the worker's own patterns.
PASSWORD_PROMPTS = (
    "pinentry*", "*askpass*", "gcr-prompter", "gnome-keyring*", "seahorse", "kwalletd*", "ksecretd",
    "polkit-*", "*polkit*", "keepass*", "1password", "bitwarden", "enpass", "lastpass", "proton pass",
    "xscreensaver*", "i3lock", "swaylock", "slock", "xlock", "xsecurelock", "light-locker",
    "gnome-screensaver", "cinnamon-screensaver", "mate-screensaver", "kscreenlocker*", "lightdm*",
)
# What a focus row says while an excluded app has focus (exclude.record_name off).
EXCLUDED_APP = "(excluded app)"
MAX_TITLE = 1000  # longer titles are cut before redaction: it bounds the regular expressions' work

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# A URL, with or without its scheme: the host stays, the path, query and fragment go.
_URL = re.compile(r"((?:\b[a-z][a-z0-9+.-]*://)?(?:[\w-]+\.)+[a-z]{2,}(?::\d+)?)[/?#]\S*", re.IGNORECASE)
_QUERY = re.compile(r"\?\S*=\S*")  # a query string on its own (a relative link)
_NUMBER = re.compile(r"\d(?:[ .\-/]?\d){4,}")  # five digits or more, even spaced or dashed


def redact(title: str | None, own: Iterable[str] = ()) -> str | None:
    """``title`` with the worker's own patterns, e-mail addresses, URL paths and
    queries and long digit runs removed, in that order."""
    if title is None:
        return None
    text = title[:MAX_TITLE]
    for pattern in own:
        text = re.sub(pattern, "[redacted]", text, flags=re.IGNORECASE)
    text = _EMAIL.sub("[email]", text)
    text = _URL.sub(r"\1/[path]", text)
    text = _QUERY.sub("?[query]", text)
    return _NUMBER.sub("[number]", text)


def matches(patterns: Iterable[str], *names: str | None) -> bool:
    """True if any name (WM_CLASS class or instance) matches any pattern, in any case."""
    lowered = [n.lower() for n in names if n]
    return any(fnmatch.fnmatchcase(n, p.lower()) for p in patterns for n in lowered)


class Policy:
    """One version of the settings, ready to be asked many times a second."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.excluded_patterns = tuple(settings.exclude.apps) + (
            PASSWORD_PROMPTS if settings.exclude.password_prompts else ())
        self.record_excluded_name = settings.exclude.record_name
        self.title_patterns = tuple(settings.titles.apps)
        self.own_redactions = tuple(settings.titles.redact)
        self.zone = settings.work_hours.zone()
        self.hours: dict[int, tuple[tuple[int, int], ...]] = {}
        for spec, ranges in settings.work_hours.days.items():
            for day in day_set(spec):
                self.hours[day] = self.hours.get(day, ()) + minute_ranges(ranges)
        self.paused_until = settings.pause.until

    def excluded(self, *names: str | None) -> bool:
        return matches(self.excluded_patterns, *names)

    def titles_for(self, *names: str | None) -> bool:
        """May this app's window titles be stored (redacted)?"""
        return matches(self.title_patterns, *names)

    def redact(self, title: str | None) -> str | None:
        return redact(title, self.own_redactions)

    def in_work_hours(self, at: dt.datetime) -> bool:
        """True if ``at`` (aware) falls in the work hours, in their time zone's
        wall-clock time that day (so DST-correct); always True with none set."""
        if not self.hours:
            return True
        local = at.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        return any(start <= minute < stop for start, stop in self.hours.get(local.weekday(), ()))

    def why_not_recording(self, at: dt.datetime) -> str | None:
        """Why nothing may be recorded at ``at`` by these settings, or None."""
        if self.paused_until is not None and at < self.paused_until:
            return f"paused until {self.paused_until.astimezone(self.zone):%a %d %b %H:%M}"
        if not self.in_work_hours(at):
            return "outside your work hours"
        return None

    def next_change(self, at: dt.datetime, horizon_days: int = 8) -> dt.datetime | None:
        """When recording next becomes allowed or forbidden by these settings
        (to the minute), or None within ``horizon_days``."""
        now_blocked = self.why_not_recording(at) is not None
        t = at.replace(second=0, microsecond=0)
        for _ in range(horizon_days * 24 * 60):
            t += dt.timedelta(minutes=1)
            if (self.why_not_recording(t) is not None) != now_blocked:
                return t
        return None
