"""One study release, computed: the category transitions of a small hand-built
day of focus spans in a real DuckDB file, and the promise enforced before
anything is written to the store."""

from __future__ import annotations

import datetime as dt

import pytest

import store
from sharing import study_format as sf
from sharing import study_release, teamstore

UTC = dt.timezone.utc
DAY = dt.datetime(2026, 6, 1, tzinfo=UTC)
CONSENTED = ["Chat", "Development", "Web"]  # the categories the consent text named ('Other' always)


def at(hh: int, mm: int, days: int = 0) -> dt.datetime:
    return DAY + dt.timedelta(days=days, hours=hh, minutes=mm)


# (start, stop, app, kind, worker): category_of(app) by the default rules, and one rule added below.
SPANS = [
    (at(-1, 50), at(0, 5), "code", "focus", "local"),  # Development, begins the day before
    (at(0, 5), at(0, 10), "firefox", "focus", "local"),  # Web
    (at(0, 10), at(0, 20), "code", "focus", "local"),  # Development
    (at(0, 12), at(0, 14), "slack", "active", "local"),  # not a focus span: never a switch
    (at(0, 20), at(0, 30), "vim", "focus", "local"),  # Development again: no switch
    (at(0, 30), at(0, 40), "slack", "focus", "local"),  # Chat
    (at(0, 35), at(0, 36), "firefox", "focus", "someone"),  # another worker's
    (at(0, 40), at(0, 45), "weirdapp", "focus", "local"),  # no rule: Other
    (at(0, 45), at(0, 50), "mytool", "focus", "local"),  # 'Private', not in the consent: Other
    (at(0, 50), at(1, 0), "firefox", "focus", "local"),  # Web
    (at(1, 0), at(1, 10), "code", "focus", "local"),  # Development
    (at(1, 10), at(23, 40), "chromium", "focus", "local"),  # Web
    (at(23, 55), at(0, 5, 1), "slack", "focus", "local"),  # Chat, into the next day
    (at(0, 5, 1), at(0, 10, 1), "code", "focus", "local"),  # Development, the next day only
]


@pytest.fixture
def con(tmp_path):
    con = store.open_writable(tmp_path / "spans.duckdb")
    con.execute("INSERT INTO category_rules VALUES (5, 'mytool', 'Private')")
    for start, stop, app, kind, worker in SPANS:
        con.execute("INSERT INTO spans (worker, kind, start, stop, utc_offset, app, source) "
                    "VALUES ($w, $k, $s, $e, 0, $a, 'test')", {"w": worker, "k": kind, "s": start, "e": stop, "a": app})
    yield con
    con.close()


def test_transitions_count_each_switch_between_categories_once(con):
    """The researcher's transition counts must be the switches the worker made,
    exactly: a repeat within a category, a span that is not focus and another
    worker's span are no switch; an unnamed category is Other, and Other to
    Other (after mapping) is none."""
    got = study_release.transitions(con, "local", DAY, DAY + dt.timedelta(days=1), CONSENTED)
    assert got == [
        {"src": "Chat", "dst": "Other", "n": 1},
        {"src": "Development", "dst": "Chat", "n": 1},
        {"src": "Development", "dst": "Web", "n": 2},
        {"src": "Other", "dst": "Web", "n": 1},
        {"src": "Web", "dst": "Chat", "n": 1},
        {"src": "Web", "dst": "Development", "n": 2},
    ]


def test_a_category_the_consent_named_keeps_its_name(con):
    """Named in the consent text, 'Private' leaves as itself, and its switches
    from and to Other are switches."""
    got = study_release.transitions(con, "local", DAY, DAY + dt.timedelta(days=1), [*CONSENTED, "Private"])
    pairs = {(p["src"], p["dst"]): p["n"] for p in got}
    assert pairs[("Other", "Private")] == 1 and pairs[("Private", "Web")] == 1 and ("Other", "Web") not in pairs


def test_a_switch_across_midnight_is_counted_on_one_day(con):
    """The span that runs into the next day starts that day's sequence: the
    switch into it is the first day's, the switch out of it the next day's."""
    nxt = study_release.transitions(con, "local", DAY + dt.timedelta(days=1), DAY + dt.timedelta(days=2), CONSENTED)
    assert nxt == [{"src": "Chat", "dst": "Development", "n": 1}]


def _row(**change) -> dict:
    row = {"pseudonym": "a" * 64, "study": "switching", "day": dt.date(2026, 6, 1), "active_minutes": [0] * 24,
           "switches": [0] * 24, "category_transitions": [{"src": "Web", "dst": "Chat", "n": 3}]}
    return {**row, **change}


@pytest.mark.parametrize("change, said", [
    ({"category_transitions": [{"src": "Web", "dst": "Web", "n": 3}]}, "a switch within one category"),
    ({"category_transitions": [{"src": "Web", "dst": "Secret", "n": 3}]}, "category 'Secret' is not one of"),
    ({"category_transitions": [{"src": "Web", "dst": "Chat", "n": 0}]}, "a count that is not positive"),
    ({"active_minutes": [61] * 24}, "active_minutes holds a value outside 0-60"),
    ({"category_seconds": [("Web", 5)]}, "not category_seconds"),
])
def test_a_row_that_breaks_the_promise_is_never_written(tmp_path, change, said):
    """study_release.send checks the row against the study's promise first: a
    column the study did not ask for, or a value the format forbids, raises
    and leaves the store without a file."""
    folder = teamstore.create(tmp_path / "store")
    measures = ("activity", "transitions")
    with pytest.raises(study_release.StudyReleaseError, match=said):
        study_release.send(folder, _row(**change), measures, CONSENTED)
    assert folder.list("study-releases") == []
    sent = study_release.send(folder, _row(), measures, CONSENTED)
    assert folder.list("study-releases") == [sent.key] and sent.changed
    assert list(study_release.encode(_row(), measures)) == list(study_release.encode(_row(), measures))
    assert sf.names(measures) == ("pseudonym", "study", "day", "active_minutes", "switches", "category_transitions")
