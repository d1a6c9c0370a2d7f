"""Every dashboard page, run from app.py with Streamlit's AppTest.

Every page registered in app.py is run on the demo data, on your own data (an
imported ActivityWatch day), on an empty, a missing and a corrupt own
database, with filters that match nothing and with broken date ranges: it must
never show an exception, and must say why it shows nothing. On the demo data
the Today page's figures and charts must be the query layer's results for the
worker and dates shown, and the demo banner must be on every page with demo
data and on none with your own.

The pages come from app.py itself, so pages added later are covered without
editing this file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import polars as pl
import pytest
import streamlit as st
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

import queries
import store
from dashboard import frame, ui
from testkit import cli, shared
from testkit.browser import registered_pages  # the browser test and the bench share it

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
PAGES = registered_pages(APP)
DEFAULT = next(p for p in PAGES if p.default)
# Pages that always show your own data, whatever the sidebar's source: no demo banner there.
OWN_DATA_ONLY = {"privacy"}


# Whether each AppTest run starts as on a freshly started server; see _dashboard.
FRESH_SERVER = False


@pytest.fixture(autouse=True)
def _dashboard(monkeypatch, dashboard_db):
    """The session's small demo as the demo data, empty caches, and runs as on a running server.

    Because this project has a pages/ folder, Streamlit starts in its legacy
    folder navigation until app.py has called st.navigation once: on a fresh
    server a deep link first runs the page file alone, and the page hands the
    run to app.py (frame.enter(), or frame.context()). A running server
    remembers; AppTest (streamlit 1.67) forgets before every run, so every
    run would be a first one, and a click's rerun would lose the click. Tests
    get a running server; the fresh_server fixture gives the first visit.
    """
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        if not FRESH_SERVER:
            PagesManager.uses_pages_directory = False
        original(self, *args, **kwargs)

    monkeypatch.setattr(PagesManager, "__init__", init)
    monkeypatch.setenv("WORKPRINT_DEMO_DB", str(dashboard_db))
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture
def fresh_server(monkeypatch):
    monkeypatch.setattr(f"{__name__}.FRESH_SERVER", True)


@pytest.fixture(scope="module")
def aw_db(tmp_path_factory) -> Path:
    """Your own data: one real ActivityWatch day, imported as a user would."""
    db = tmp_path_factory.mktemp("own") / "workprint.duckdb"
    cli("import", "activitywatch", str(shared("activitywatch", "aw-server-0.12-export-1day.json")), "--db", str(db))
    return db


def open_page(page, *, mode: str | None = None, query: dict | None = None) -> AppTest:
    """Run app.py on ``page``, as opening its URL would.

    Before the first run AppTest finds a page by its file name, which is also
    its URL unless app.py gives it a url_path; only then is the default page
    run first (the documented way, twice as slow).
    """
    at = AppTest.from_file(str(APP), default_timeout=30)
    if mode:
        at.session_state["source_mode"] = mode
    at.query_params.update(query or {})
    if page.default or page.url == page.name:
        at.switch_page(page.path).run()
    else:
        at.run().switch_page(page.path).run()
    # The page that ran (AppTest keeps it privately; a wrong page would make every assertion vacuous).
    assert at._finished_page_script_hash == calc_hash(page.url or page.name), f"did not land on {page.path}"
    return at


def exceptions(at: AppTest) -> list[str]:
    return [e.value + "\n" + "\n".join(e.stack_trace) for e in at.exception]


def banner(at: AppTest) -> list[str]:
    return [w.value for w in at.main.warning if "demo data" in w.value]


def messages(at: AppTest) -> list[str]:
    """What the main area says in st.info / st.warning / st.error, the demo banner left out."""
    said = [e.value for kind in (at.main.info, at.main.warning, at.main.error) for e in kind]
    return [m for m in said if m not in banner(at)]


def shown(at: AppTest) -> list[str]:
    """The main area's titles, captions, metrics, messages and figures, as text."""
    return ([t.value for t in at.main.title] + [c.value for c in at.main.caption]
            + [f"{m.label}: {m.value}" for m in at.main.metric] + messages(at)
            + [json.dumps(charts(at), sort_keys=True)])


def reads_frame(page) -> bool:
    return "frame.context()" in (ROOT / page.path).read_text(encoding="utf-8")


def charts(at: AppTest) -> dict[str, dict]:
    """The plotly figures shown, by element key, as the JSON the browser gets."""
    return {el.key: json.loads(el.proto.spec) for el in at.get("plotly_chart")}


def utc_midnight(day: dt.date, offset: int) -> dt.datetime:
    local = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone(dt.timedelta(seconds=offset)))
    return local.astimezone(dt.timezone.utc)


def shown_range(at: AppTest, db: Path, worker: str | None) -> tuple[dt.datetime, dt.datetime]:
    """UTC bounds of the local dates in the sidebar, computed here, not by the dashboard."""
    first, last = at.date_input(key="dates").value
    offset = queries.run("data_range", db=db, worker=worker)["utc_offset"][0] or 0
    return utc_midnight(first, offset), utc_midnight(last + dt.timedelta(days=1), offset)


# --- every page, every state -------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_on_demo_data(page):
    """A first-time user sees every page of the demo without an error, marked as
    demo data (except the pages that always show your own)."""
    at = open_page(page)
    assert not exceptions(at), exceptions(at)
    if page.name in OWN_DATA_ONLY:
        assert not banner(at), f"{page.path} shows your own data: no demo banner"
    else:
        assert banner(at), f"{page.path}: no demo banner on demo data"
    assert not [e.value for e in at.main.error], f"{page.path}: error on demo data"
    assert at.title, f"{page.path}: no title"
    assert all(fig.get("data") for fig in charts(at).values()), f"{page.path}: a chart without data"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_first_visit_on_fresh_server(page, fresh_server):
    """A bookmark to any page, opened first after the dashboard starts, gets
    app.py's sidebar and banner, not the page alone saying 'Nothing to show yet'."""
    at = open_page(page)
    assert not exceptions(at), exceptions(at)
    assert at.sidebar.date_input, f"{page.path} ran without app.py's sidebar"
    assert bool(banner(at)) == (page.name not in OWN_DATA_ONLY)
    assert not any("Nothing to show yet" in m for m in messages(at))


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_on_own_data(page, monkeypatch, aw_db):
    """Your own (imported) data is shown as yours: no demo banner, no error."""
    monkeypatch.setenv("WORKPRINT_DB", str(aw_db))
    at = open_page(page)
    assert not exceptions(at), exceptions(at)
    assert not banner(at), f"{page.path}: demo banner on own data"
    assert not [e.value for e in at.main.error], f"{page.path}: error on own data"


def _empty(db: Path) -> None:
    store.open_writable(db).close()


def _corrupt(db: Path) -> None:
    db.write_bytes(os.urandom(64 * 1024))


# (what to do to the own database, what the frame's explanation contains)
BROKEN = {
    "empty": (_empty, frame.NOTHING_YET),
    "missing": (lambda db: None, "no database at"),
    "corrupt": (_corrupt, "not a readable Workprint database"),
}


@pytest.mark.parametrize("state", BROKEN)
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_without_usable_own_data(page, state, tmp_path, monkeypatch):
    """With an empty, missing or corrupt own database, every page says why
    there is nothing to show, instead of an exception or a blank page; and the
    dashboard never creates, repairs or overwrites that file."""
    db = tmp_path / "own.duckdb"
    make, why = BROKEN[state]
    make(db)
    before = db.read_bytes() if db.exists() else None
    monkeypatch.setenv("WORKPRINT_DB", str(db))
    at = open_page(page, mode="own")
    assert not exceptions(at), exceptions(at)
    assert not banner(at), f"{page.path}: demo banner on own data"
    said = messages(at)
    assert said, f"{page.path} ({state}): nothing says why the page is empty"
    if reads_frame(page):
        assert any(why in m for m in said), f"{page.path} ({state}): {said}"
    if state == "missing":
        assert not db.exists(), "the dashboard created the database"
    else:
        assert db.read_bytes() == before, "the dashboard changed the database file"


# Filters a URL (a bookmark, a shared link) can carry that leave nothing to show.
NOTHING_MATCHES = {
    "no app in category": {"cats": "Chat", "apps": "Code"},  # Code is Development, never Chat
    "half a date range": {"dates": "2026-11-24"},
}


@pytest.mark.parametrize("query", NOTHING_MATCHES.values(), ids=NOTHING_MATCHES)
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_when_nothing_matches(page, query):
    """A filter or date range that matches nothing shows a message, not an exception or a blank page."""
    at = open_page(page, query=query)
    assert not exceptions(at), exceptions(at)
    assert messages(at), f"{page.path}: nothing says why the page is empty for {query}"


@pytest.mark.parametrize("page", [p for p in PAGES if reads_frame(p)], ids=lambda p: p.name)
def test_reversed_date_range_is_put_in_order(page):
    """A hand-edited or old bookmark with the end before the start shows the
    same page as the range in order (not 'Your last -1 days' over empty charts)."""
    reversed_ = open_page(page, query={"dates": ["2026-11-26", "2026-11-24"]})
    st.cache_data.clear()
    ordered = open_page(page, query={"dates": ["2026-11-24", "2026-11-26"]})
    assert not exceptions(reversed_), exceptions(reversed_)
    assert shown(reversed_) == shown(ordered)
    assert not re.search(r"-\d+ days", " ".join(shown(reversed_)))


# URL values the sidebar cannot use (a link from another machine, an old bookmark).
UNUSABLE = {
    "unknown app": {"apps": "NoSuchApp"},
    "dates before the data": {"dates": ["2025-01-01", "2025-01-05"]},
    "not a date": {"dates": "yesterday"},
}


@pytest.mark.parametrize("query", UNUSABLE.values(), ids=UNUSABLE)
def test_unusable_url_values_are_dropped(query, dashboard_db):
    """Values the sidebar cannot use are dropped for its defaults (all apps, the
    last 7 days with data): no error, no empty page."""
    at = open_page(DEFAULT, query=query)
    assert not exceptions(at), exceptions(at)
    assert at.multiselect(key="apps").value == []
    first, last, _ = queries.run("data_range", db=dashboard_db, worker=at.selectbox(key="who").value).row(0)
    assert at.date_input(key="dates").value == (max(first, last - dt.timedelta(days=6)), last)
    assert "chart-app_time" in charts(at), "the page shows no app chart"


def test_switching_source_in_sidebar():
    """The sidebar buttons switch between demo and own data, and the banner follows."""
    at = open_page(DEFAULT)
    assert banner(at)
    next(b for b in at.sidebar.button if "own data" in b.label).click().run()
    assert not exceptions(at), exceptions(at)
    assert not banner(at) and at.session_state["source_mode"] == "own"
    assert messages(at)  # this test's own database does not exist
    next(b for b in at.sidebar.button if "demo" in b.label).click().run()
    assert banner(at) and at.session_state["source_mode"] == "demo"


# --- Today: the figures are the query layer's ----------------------------------------------


def _expected_glance(db: Path, worker: str | None, start, end) -> dict[str, str]:
    days = queries.run("daily_activity", db=db, worker=worker, start=start, end=end)
    focus = queries.run("focus_sessions", db=db, worker=worker, start=start, end=end)
    typing = queries.run("typing_summary", db=db, worker=worker, start=start, end=end).row(0, named=True)
    return {
        "Active per day": ui.hours(days["active_s"].mean()),
        "App switches per day": f"{days['switches'].mean():,.0f}",
        "Focus stretches ≥ 10 min": f"{focus.height:,}",
        "Typing speed": f"{typing['wpm']:.0f} WPM" if typing["wpm"] else "–",
    }


@pytest.mark.parametrize("worker", [None, "w02"], ids=["first worker", "w02"])
def test_today_figures_are_the_query_results(dashboard_db, worker):
    """The metrics and charts on Today are exactly what the named queries give
    for the worker and dates in the sidebar: a user can reproduce every figure
    with `python -m queries run`."""
    at = open_page(DEFAULT, query={"who": worker} if worker else None)
    assert not exceptions(at), exceptions(at)
    who = at.selectbox(key="who").value
    assert who == (worker or at.selectbox(key="who").options[0])
    start, end = shown_range(at, dashboard_db, who)
    assert {m.label: m.value for m in at.metric} == _expected_glance(dashboard_db, who, start, end)

    shown = charts(at)
    apps = queries.run("app_time", db=dashboard_db, worker=who, start=start, end=end, active_only=True)
    bars = shown["chart-app_time"]["data"][0]
    top = apps.sort("seconds", descending=True).head(12)
    assert dict(zip(bars["y"], bars["x"])) == pytest.approx(dict(zip(top["app"], top["seconds"] / 3600)))

    cats = queries.run("category_time", db=dashboard_db, worker=who, start=start, end=end)
    bars = shown["chart-category_time"]["data"][0]
    assert dict(zip(bars["y"], bars["x"])) == pytest.approx(dict(zip(cats["category"], cats["seconds"] / 3600)))

    days = queries.run("daily_activity", db=dashboard_db, worker=who, start=start, end=end)
    active, idle = shown["chart-daily_activity"]["data"]
    assert [dt.date.fromisoformat(d[:10]) for d in active["x"]] == days["day"].to_list()
    assert active["y"] == pytest.approx((days["active_s"] / 3600).to_list())
    assert idle["y"] == pytest.approx((days["idle_s"] / 3600).to_list())


def test_today_compares_with_the_days_before(dashboard_db):
    """With the last two days picked, 'vs usual' is the difference from the mean
    of the days with activity in the 28 days before."""
    at = open_page(DEFAULT, query={"dates": ["2026-11-26", "2026-11-27"]})
    who = at.selectbox(key="who").value
    start, end = shown_range(at, dashboard_db, who)
    days = queries.run("daily_activity", db=dashboard_db, worker=who, start=start, end=end)
    before = queries.run("daily_activity", db=dashboard_db, worker=who, start=start - dt.timedelta(days=28), end=start)
    assert days.height == 2 and before.height > 0
    metric = next(m for m in at.metric if m.label == "Active per day")
    assert metric.value == ui.hours(days["active_s"].mean())
    assert metric.proto.delta == f"{(days['active_s'].mean() - before['active_s'].mean()) / 60:+.0f} min vs usual"


def test_today_app_filter(dashboard_db):
    """Picking apps in the sidebar leaves exactly those apps in the app chart."""
    at = open_page(DEFAULT, query={"apps": ["Code", "Slack"]})
    bars = charts(at)["chart-app_time"]["data"][0]
    assert sorted(bars["y"]) == ["Code", "Slack"]


def test_today_on_imported_activitywatch_day(aw_db, monkeypatch):
    """On a real ActivityWatch export, Today's active time and time per app
    match what ActivityWatch itself computes (aw-core 0.5.18), within 1 s per app."""
    reference = json.loads(shared("activitywatch", "reference.json").read_text())["aw-server-0.12-export-1day"]
    monkeypatch.setenv("WORKPRINT_DB", str(aw_db))
    at = open_page(DEFAULT)
    assert not exceptions(at), exceptions(at)
    active = next(m for m in at.metric if m.label == "Active per day")
    assert active.value == ui.hours(reference["active_window_hours"] * 3600)
    bars = charts(at)["chart-app_time"]["data"][0]
    want = pl.DataFrame({"app": list(reference["app_seconds_active"]),
                         "h": [s / 3600 for s in reference["app_seconds_active"].values()]})
    want = want.sort("h", descending=True).head(12)
    assert dict(zip(bars["y"], bars["x"])) == pytest.approx(dict(zip(want["app"], want["h"])), abs=1 / 3600)
