"""Every dashboard page, run from app.py with Streamlit's AppTest.

Every page registered in app.py is run on the demo data, on your own data (an
imported ActivityWatch day), on an empty, a missing and a corrupt own
database, with filters that match nothing and with broken date ranges: it must
never show an exception, and must say why it shows nothing. On the demo data
the Today, Timeline, Workflow and Timing pages' figures, charts and tables
must be the query layer's results for the worker and dates shown, and the demo
banner must be on every page with demo data and on none with your own.

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
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

import queries
import store
from dashboard import frame, ui
from sharing import stats
from testkit import cli, connect, copy_db, shared
from testkit.browser import registered_pages  # the browser test and the bench share it

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
PAGES = registered_pages(APP)
DEFAULT = next(p for p in PAGES if p.default)
# Pages that always show your own data, whatever the sidebar's source: no demo banner there.
OWN_DATA_ONLY = {"privacy"}


@pytest.fixture(autouse=True)
def _dashboard(monkeypatch, dashboard_db, running_server):
    """The session's small demo as the demo data, empty caches, and runs as on a running server.

    Because this project has a pages/ folder, Streamlit starts in its legacy
    folder navigation until app.py has called st.navigation once: on a fresh
    server a deep link first runs the page file alone, and the page hands the
    run to app.py (frame.enter(), or frame.context()). A running server
    remembers; AppTest (streamlit 1.67) forgets before every run, so every
    run would be a first one, and a click's rerun would lose the click. Tests
    get a running server (conftest's running_server); the fresh_server
    fixture gives the first visit.
    """
    monkeypatch.setenv("WORKPRINT_DEMO_DB", str(dashboard_db))
    st.cache_data.clear()
    yield
    st.cache_data.clear()


@pytest.fixture
def fresh_server(running_server):
    running_server(False)


@pytest.fixture(scope="module")
def aw_db(tmp_path_factory) -> Path:
    """Your own data: one real ActivityWatch day, imported as a user would."""
    db = tmp_path_factory.mktemp("own") / "workprint.duckdb"
    cli("import", "activitywatch", str(shared("activitywatch", "aw-server-0.12-export-1day.json")), "--db", str(db))
    return db


OWNER_TOKEN = "owner-key-for-these-tests"


@pytest.fixture(autouse=True)
def _owner_token(monkeypatch):
    """The dashboard's per-launch key (dashboard.access), as ./run.sh dashboard sets it."""
    monkeypatch.setenv("WORKPRINT_DASHBOARD_TOKEN", OWNER_TOKEN)


def open_page(page, *, mode: str | None = None, query: dict | None = None) -> AppTest:
    """Run app.py on ``page``, as opening its URL would.

    Before the first run AppTest finds a page by its file name, which is also
    its URL unless app.py gives it a url_path; only then is the default page
    run first (the documented way, twice as slow).
    """
    at = AppTest.from_file(str(APP), default_timeout=30)
    if mode:
        at.session_state["source_mode"] = mode
    at.query_params.update({"token": OWNER_TOKEN, **(query or {})})
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


def says_default_dates(at: AppTest, db: Path, worker: str | None) -> None:
    """The sidebar starts on the last 7 days with data of this database (and
    worker), and the page's caption names those dates."""
    first, last, _ = queries.run("data_range", db=db, worker=worker).row(0)
    start_day, end_day = at.date_input(key="dates").value
    assert (start_day, end_day) == (max(first, last - dt.timedelta(days=6)), last)
    caption = at.main.caption[0].value
    assert caption.startswith(f"{start_day:%a %d %b %Y}") and f"{end_day:%a %d %b %Y}, local time." in caption, caption


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
def test_page_on_demo_data(page, dashboard_db):
    """A first-time user sees every page of the demo without an error, marked as
    demo data (except the pages that always show your own), over the demo's
    last 7 days, which the page names."""
    at = open_page(page)
    assert not exceptions(at), exceptions(at)
    if page.name in OWN_DATA_ONLY:
        assert not banner(at), f"{page.path} shows your own data: no demo banner"
    else:
        assert banner(at), f"{page.path}: no demo banner on demo data"
    assert not [e.value for e in at.main.error], f"{page.path}: error on demo data"
    assert at.title, f"{page.path}: no title"
    assert all(fig.get("data") for fig in charts(at).values()), f"{page.path}: a chart without data"
    if reads_frame(page):
        says_default_dates(at, dashboard_db, at.selectbox(key="who").value)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_first_visit_on_fresh_server(page, fresh_server, dashboard_db):
    """A bookmark to any page, opened first after the dashboard starts, gets
    app.py's sidebar and banner and the demo's dates, not the page alone saying
    'Nothing to show yet'."""
    at = open_page(page)
    assert not exceptions(at), exceptions(at)
    assert at.sidebar.date_input, f"{page.path} ran without app.py's sidebar"
    assert bool(banner(at)) == (page.name not in OWN_DATA_ONLY)
    assert not any("Nothing to show yet" in m for m in messages(at))
    if reads_frame(page):
        says_default_dates(at, dashboard_db, at.selectbox(key="who").value)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_page_on_own_data(page, monkeypatch, aw_db):
    """Your own (imported) data is shown as yours: no demo banner, no error,
    and the dates are those of your data (not the demo's), named on the page."""
    monkeypatch.setenv("WORKPRINT_DB", str(aw_db))
    at = open_page(page)
    assert not exceptions(at), exceptions(at)
    assert not banner(at), f"{page.path}: demo banner on own data"
    assert not [e.value for e in at.main.error], f"{page.path}: error on own data"
    if reads_frame(page):
        says_default_dates(at, aw_db, None)


@pytest.mark.parametrize("page", [p for p in PAGES if p.name in ("overview", "timeline", "workflow", "timing")],
                         ids=lambda p: p.name)
def test_one_row_in_the_year_9999_takes_no_page_down(page, monkeypatch, aw_db, tmp_path):
    """Hardening #10: a stray far-future row (written before imports refused them)
    must not break a page: the dates are those of the real data."""


    db = tmp_path / "own.duckdb"
    copy_db(aw_db, db)
    con = connect(db)
    con.execute("INSERT INTO hourly_total VALUES ('local', '9999-12-31 23:00:00+00', 0, 60, 60, 0, 0, 0, 'derived')")
    con.execute("INSERT INTO spans VALUES ('local', 'focus', '9999-12-31 23:00:00+00', '9999-12-31 23:30:00+00', 0,"
                " 'Future', NULL, NULL, 'capture', NULL)")
    con.close()
    monkeypatch.setenv("WORKPRINT_DB", str(db))
    at = open_page(page)
    assert not exceptions(at), exceptions(at)
    says_default_dates(at, aw_db, None)


def _empty(db: Path) -> None:
    store.open_writable(db).close()


def _corrupt(db: Path) -> None:
    db.write_bytes(os.urandom(64 * 1024))


# (what to do to the own database, what the frame's explanation contains)
BROKEN = {
    "empty": (_empty, frame.NOTHING_YET),
    "missing": (lambda db: None, "python -m capture consent --accept"),
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
    """A filter or date range that matches nothing shows a message, not an
    exception or a blank page; half a date range says to pick its last day."""
    at = open_page(page, query=query)
    assert not exceptions(at), exceptions(at)
    assert messages(at), f"{page.path}: nothing says why the page is empty for {query}"
    if reads_frame(page) and "dates" in query:
        assert any("Pick the last day of the date range too" in m for m in messages(at)), messages(at)


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


def test_dates_outside_the_data_in_a_link_are_said_to_be_replaced(dashboard_db):
    """Issue 9 #8: a bookmark for dates outside the data silently showed others."""
    at = open_page(DEFAULT, query={"dates": ["2025-01-01", "2025-01-05"]})
    assert not exceptions(at), exceptions(at)
    start_day, end_day = at.date_input(key="dates").value
    said = [w.value for w in at.main.warning if "The link asked for" in w.value]
    assert said and "01 Jan 2025 – 05 Jan 2025" in said[0] and f"{start_day:%d %b %Y}" in said[0], messages(at)
    st.cache_data.clear()
    at = open_page(DEFAULT, query={"dates": ["2026-11-24", "2026-11-26"]})
    assert not [w.value for w in at.main.warning if "The link asked for" in w.value]


def test_switching_source_in_sidebar():
    """The sidebar buttons switch between demo and own data, and the banner
    follows; with no own database yet, the page says there is none."""
    at = open_page(DEFAULT)
    assert banner(at)
    next(b for b in at.sidebar.button if "own data" in b.label).click().run()
    assert not exceptions(at), exceptions(at)
    assert not banner(at) and at.session_state["source_mode"] == "own"
    # This test's own database does not exist: the page says so and how to start (issue 9 #14).
    said = next((m for m in messages(at) if "There is no database at" in m), None)
    assert said, messages(at)
    assert all(step in said for step in ("Privacy & data", "python -m capture consent --accept",
                                         "python -m capture run", "python -m capture import", "demo data")), said
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


# --- Timeline, Workflow, Timing: the figures are the query layer's ---------------------------

PAGE = {p.name: p for p in PAGES}
WORKERS = pytest.mark.parametrize("worker", [None, "w02"], ids=["first worker", "w02"])
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # the heatmap's rows, as a user reads them


def open_as(page, worker: str | None, db: Path, query: dict | None = None):
    """Open ``page`` viewing the demo as ``worker`` (None: the first one); the
    worker and the UTC bounds of the dates in the sidebar."""
    at = open_page(page, query={**({"who": worker} if worker else {}), **(query or {})})
    assert not exceptions(at), exceptions(at)
    who = at.selectbox(key="who").value
    assert who == (worker or at.selectbox(key="who").options[0])
    return at, who, *shown_range(at, db, who)


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.main.metric}


def table(at: AppTest, column: str) -> pl.DataFrame:
    """The one st.dataframe shown with this column, as polars."""
    found = [pl.from_pandas(d.value) for d in at.main.dataframe if column in d.value.columns]
    assert len(found) == 1, f"{len(found)} tables with a {column!r} column"
    return found[0]


def per_hour(hourly: pl.DataFrame, column: str) -> list[float]:
    """Mean minutes per local hour of day 0-23 over the days in `hourly_activity` rows, worked out here."""
    days = hourly["day"].n_unique()
    sums = dict(hourly.group_by("hour_of_day").agg(pl.col(column).sum()).iter_rows())
    return [sums.get(h, 0) / days / 60 for h in range(24)]


@WORKERS
def test_timeline_figures_are_the_query_results(dashboard_db, worker):
    """On Timeline the day's active and idle time, its first and last activity,
    the minutes per hour (with the mean day as a line), the weekday x hour
    heatmap and the weeks are what `hourly_activity`, `timeline`,
    `weekday_hour_heatmap` and `weekly_trend` give for the worker and dates
    shown: otherwise a user reads hours they did not work, at the wrong time."""
    at, who, start, end = open_as(PAGE["timeline"], worker, dashboard_db)
    kw = dict(db=dashboard_db, worker=who)
    hourly = queries.run("hourly_activity", start=start, end=end, **kw)
    day = hourly["day"].max()  # the page starts on the last day
    assert at.main.button_group[0].value == day
    offset = queries.run("data_range", **kw)["utc_offset"][0] or 0
    spans = queries.run("timeline", start=utc_midnight(day, offset), end=utc_midnight(day + dt.timedelta(days=1), offset),
                        **kw)
    that = hourly.filter(pl.col("day") == day)
    assert metrics(at) == {
        "Active": ui.hours(that["active_s"].sum()),
        "Idle": ui.hours(that["idle_s"].sum()),
        "First to last activity": f"{spans['local_start'].min():%H:%M} – {spans['local_stop'].max():%H:%M}",
    }

    shown = charts(at)
    fig = shown["chart-hourly_activity"]
    assert fig["layout"]["title"]["text"] == f"Minutes per hour on {day:%a %d %b}"
    active, idle, usual = fig["data"]
    assert active["x"] == idle["x"] == usual["x"] == list(range(24))
    assert active["y"] == pytest.approx(per_hour(that, "active_s"))
    assert idle["y"] == pytest.approx(per_hour(that, "idle_s"))
    assert usual["y"] == pytest.approx(per_hour(hourly, "active_s"))

    heat = queries.run("weekday_hour_heatmap", start=start, end=end, **kw)
    grid = shown["chart-weekday_hour_heatmap"]["data"][0]
    assert grid["y"] == list(WEEKDAYS) and grid["x"] == list(range(24))
    cells = {(weekday, hour): z for weekday, row in zip(grid["y"], grid["z"]) for hour, z in zip(grid["x"], row)}
    from_query = {(WEEKDAYS[w - 1], h): round(m, 1)
                  for w, h, m in heat.select("weekday", "hour_of_day", "active_min").iter_rows()}
    assert cells == {cell: from_query.get(cell, 0.0) for cell in cells}

    last = at.date_input(key="dates").value[1]
    first_monday = last - dt.timedelta(days=last.weekday(), weeks=11)  # 12 weeks up to the sidebar's end
    weeks = queries.run("weekly_trend", start=utc_midnight(first_monday, offset), end=end, **kw)
    bars = shown["chart-weekly_trend"]["data"][0]
    by_week = dict(zip(bars["x"], bars["y"]))
    assert weeks.height > 0
    assert {f"{w:%d %b}": by_week.get(f"{w:%d %b}") for w in weeks["week"]} == dict(
        zip((f"{w:%d %b}" for w in weeks["week"]), weeks["active_h"]))
    assert sum(bars["y"]) == pytest.approx(weeks["active_h"].sum())  # weeks without activity: 0 h


def test_timeline_heatmap_puts_each_day_on_its_weekday(dashboard_db):
    """Each cell of 'Your week by hour' is the mean active minutes of that hour
    over the days with activity that fell on that weekday, worked out here from
    the hours per day (`hourly_activity`) and the calendar: a Monday's work
    must show on the Monday row, not on Tuesday's."""
    at, who, start, end = open_as(PAGE["timeline"], None, dashboard_db)
    hourly = queries.run("hourly_activity", db=dashboard_db, worker=who, start=start, end=end)
    sums: dict[tuple[str, int], float] = {}
    days: dict[str, set] = {}
    for day, hour, active_s in hourly.select("day", "hour_of_day", "active_s").iter_rows():
        weekday = WEEKDAYS[day.weekday()]
        sums[weekday, hour] = sums.get((weekday, hour), 0) + active_s
        days.setdefault(weekday, set()).add(day)
    assert len(days) >= 5, "the demo's dates should cover five weekdays"
    grid = charts(at)["chart-weekday_hour_heatmap"]["data"][0]
    cells = {(weekday, hour): z for weekday, row in zip(grid["y"], grid["z"]) for hour, z in zip(grid["x"], row)}
    want = {(w, h): sums.get((w, h), 0) / 60 / len(days.get(w, (1,))) for w, h in cells}
    assert cells == pytest.approx(want, abs=0.05 + 1e-9)  # the chart rounds to 0.1 min


def test_timeline_all_days(dashboard_db):
    """Picking 'All N days' on Timeline shows the mean day: active and idle
    time per day, the days with activity, and the mean minutes per hour."""
    at, who, start, end = open_as(PAGE["timeline"], None, dashboard_db)
    hourly = queries.run("hourly_activity", db=dashboard_db, worker=who, start=start, end=end)
    n = hourly["day"].n_unique()
    picker = at.main.button_group[0]
    picker.set_value(picker.options[-1]).run()
    assert not exceptions(at), exceptions(at)
    first, last = at.date_input(key="dates").value
    assert metrics(at) == {
        "Active per day": ui.hours(hourly["active_s"].sum() / n),
        "Idle per day": ui.hours(hourly["idle_s"].sum() / n),
        "Days with activity": f"{n} of {(last - first).days + 1}",
    }
    fig = charts(at)["chart-hourly_activity"]
    assert fig["layout"]["title"]["text"] == "Minutes per hour, mean of the days"
    assert len(fig["data"]) == 2, "no 'mean day' line when the bars already are the mean day"
    assert fig["data"][0]["y"] == pytest.approx(per_hour(hourly, "active_s"))
    assert fig["data"][1]["y"] == pytest.approx(per_hour(hourly, "idle_s"))


@WORKERS
def test_workflow_figures_are_the_query_results(dashboard_db, worker):
    """On Workflow the switch counts in the Sankey and the directly-follows
    graph, the session metrics, and the rework, variants and routines tables
    are what `transitions`, `start_end_activities`, `variants`, `rework` and
    `automation_candidates` give for the worker and dates shown: otherwise a
    user automates a routine that is not the one they repeat most."""
    at, who, start, end = open_as(PAGE["workflow"], worker, dashboard_db)
    kw = dict(db=dashboard_db, worker=who, start=start, end=end)
    transitions = queries.run("transitions", **kw)
    counts = {(s, d): n for s, d, n in transitions.select("src", "dst", "n").iter_rows()}
    assert transitions.height > 25, "the demo should have more switches than the Sankey shows"
    shown = charts(at)

    sankey = shown["chart-transitions"]["data"][0]
    labels, link = sankey["node"]["label"], sankey["link"]
    links = {(labels[s], labels[t]): n for s, t, n in zip(link["source"], link["target"], link["value"])}
    assert len(links) == 25
    assert {pair: counts.get(pair) for pair in links} == links
    assert sorted(links.values(), reverse=True) == sorted(counts.values(), reverse=True)[:25]  # the 25 most frequent

    min_n = at.main.select_slider[0].value
    assert min_n == sorted(counts.values(), reverse=True)[19]  # 20 switches to start with
    graph = shown["chart-transitions_graph"]
    kept = {pair: n for pair, n in counts.items() if n >= min_n}
    assert graph["layout"]["title"]["text"] == f"{len(kept)} of {len(counts)} switches"
    arrows = [re.match(r"(.+) → (.+): ([\d,]+) switches", text).groups() for text in graph["data"][0]["hovertext"]]
    assert {(s, d): int(n.replace(",", "")) for s, d, n in arrows} == {(s, d): n for (s, d), n in kept.items() if s != d}

    ends = queries.run("start_end_activities", **kw)
    variants = queries.run("variants", **kw)
    sessions = ends.filter(pl.col("role") == "start")["n"].sum()
    assert sessions == variants["n"].sum()
    assert metrics(at) == {
        "Sessions": f"{sessions:,}",
        "Distinct paths (variants)": f"{variants.height:,}",
        "Mean session": ui.hours((variants["n"] * variants["mean_s"]).sum() / sessions),
    }
    steps = next(m for m in at.main.metric if m.label == "Mean session").proto.delta
    assert steps == f"{(variants['n'] * variants['steps']).sum() / sessions:,.0f} steps"

    bars = {b["name"]: dict(zip(b["y"], b["x"])) for b in shown["chart-start_end_activities"]["data"]}
    for role, name in (("start", "first app"), ("end", "last app")):
        per_app = dict(ends.filter(pl.col("role") == role).select("app", "n").iter_rows())
        assert {app: per_app.get(app, 0) for app in bars[name]} == bars[name]

    rework = queries.run("rework", **kw)
    assert table(at, "returns").equals(rework.with_columns(share=pl.col("sessions_with_returns") / pl.col("sessions")))
    assert table(at, "variant").equals(variants.head(20).with_columns(minutes=pl.col("mean_s") / 60).drop("mean_s"))

    routines = queries.run("automation_candidates", **kw).head(20)
    assert table(at, "sequence").equals(routines.select(
        "sequence", "occurrences", total=pl.col("total_s") / unit_size(routines["total_s"]),
        each=pl.col("mean_s") / unit_size(routines["mean_s"]), days="days"))
    first = routines.row(0, named=True)
    assert f"When: {first['sequence']}" in [m.value.lstrip("# ") for m in at.main.markdown]
    when = queries.run("sequence_occurrences", sequence=first["sequence"], **kw)
    dots, per_hour_bars = shown["chart-sequence_occurrences"]["data"]
    assert len(dots["x"]) == when.height == first["occurrences"]
    assert sum(per_hour_bars["x"]) == when.height


def test_workflow_other_routines(dashboard_db):
    """The routine picker shows the chosen kind: 'Ping-pong loops' lists exactly
    what `ping_pong` gives (every loop, not only the top rows)."""
    at, who, start, end = open_as(PAGE["workflow"], None, dashboard_db)
    next(b for b in at.main.button_group if "Ping-pong loops" in b.options).set_value("Ping-pong loops").run()
    assert not exceptions(at), exceptions(at)
    loops = queries.run("ping_pong", db=dashboard_db, worker=who, start=start, end=end)
    assert loops.height > 0
    assert table(at, "sequence").equals(loops.select(
        "sequence", "loops", total=pl.col("total_s") / unit_size(loops["total_s"]),
        each=pl.col("mean_s") / unit_size(loops["mean_s"])))


def column_types(at: AppTest, column: str) -> dict[str, str]:
    """The st.column_config type of each column of the table with ``column``, by column name."""
    found = [d for d in at.main.dataframe if column in d.value.columns]
    assert len(found) == 1
    config = json.loads(found[0].proto.columns or "{}")
    return {name: (c.get("type_config") or {}).get("type", "") for name, c in config.items()}


def test_workflow_judges_no_normal_work(dashboard_db):
    """Issue 9 #7: every automation candidate on the page is a routine through at
    least 3 apps (A > B > A ping-pong has its own table and cannot be automated);
    the Rework table's share is a number, not a red bar that paints normal work
    as bad; and with a filter, the caption under the metrics points at the
    switches above, not 'the chart below'."""
    at = open_page(PAGE["workflow"], query={"apps": ["Code", "Slack"]})
    assert not exceptions(at), exceptions(at)
    routines = table(at, "sequence")["sequence"].to_list()
    assert routines and all(len(set(r.split(" > "))) >= 3 for r in routines), routines
    assert "progress" not in column_types(at, "returns").values()
    said = [c.value for c in at.main.caption]
    assert not any("the chart and the tables below" in c for c in said), said
    assert any("the switches above" in c for c in said), said


def unit_size(seconds: pl.Series) -> int:
    """Seconds in the unit a table shows these seconds in: s, min, h or days, by the largest."""
    top = seconds.max() or 0
    return 1 if top < 120 else 60 if top < 7200 else 3600 if top < 864_000 else 86400


def _typing_figures(typing: dict) -> dict[str, str]:
    return {
        "Typing speed": f"{typing['wpm']:.0f} WPM" if typing["wpm"] else "–",
        "Between keys (median)": f"{typing['iki_median_ms'] or 0:,.0f} ms",
        "Key hold (mean)": f"{typing['hold_mean_ms'] or 0:,.0f} ms",
        "Corrections": f"{(typing['backspace_share'] or 0) * 100:.1f}%",
        "Rollover": f"{(typing['rollover'] or 0) * 100:.0f}%",
    }


@WORKERS
def test_timing_figures_are_the_query_results(dashboard_db, worker):
    """On Timing the typing figures (speed, median interval between keys, hold
    time, the share of corrections, rollover), the typing bursts per day, the
    histogram of intervals between keys and its median and 90th percentile
    are what `typing_summary`, `typing_bursts`, `distribution` and
    `percentiles` give for the worker and dates shown: otherwise a user
    believes they correct far less (or more) than they do."""
    at, who, start, end = open_as(PAGE["timing"], worker, dashboard_db)
    kw = dict(db=dashboard_db, worker=who, start=start, end=end)
    typing = queries.run("typing_summary", **kw).row(0, named=True)
    assert typing["keystrokes"] and typing["backspace_share"] > 0.01, "the demo should have typing with corrections"
    pct = queries.run("percentiles", measure="iki", **kw).row(0, named=True)
    assert metrics(at) == _typing_figures(typing) | {
        "Median": f"{pct['p50']:.0f} ms", "90% are shorter than": f"{pct['p90']:.0f} ms"}
    assert f"From {pct['n']:,} values." in [c.value for c in at.main.caption]

    shown = charts(at)
    bursts = queries.run("typing_bursts", **kw)
    per_day, speed = shown["chart-typing_bursts"]["data"]
    assert [dt.date.fromisoformat(d[:10]) for d in per_day["x"]] == bursts["day"].to_list()
    assert per_day["y"] == bursts["bursts"].to_list()
    assert speed["y"] == bursts["mean_wpm"].to_list()

    dist = queries.run("distribution", measure="iki", **kw)
    bars, ecdf = shown["chart-distribution_iki"]["data"]
    assert [tuple(bin_) for bin_ in bars["customdata"]] == dist.select("lo", "hi").rows()
    assert bars["y"] == (dist["share"] * 100).to_list()
    assert ecdf["x"] == dist["hi"].to_list()
    assert ecdf["y"] == (dist["cum_share"] * 100).to_list()


def test_timing_sessions_in_minutes(dashboard_db):
    """With 'Sessions' picked (from a bookmark), the histogram's bins, the
    median and the 90th percentile are `distribution` and `percentiles` of
    session lengths converted from seconds to minutes, not seconds labelled 'min'."""
    at, who, start, end = open_as(PAGE["timing"], None, dashboard_db, query={"measure": "Sessions"})
    kw = dict(db=dashboard_db, worker=who, start=start, end=end, measure="session")
    pct = queries.run("percentiles", **kw).row(0, named=True)
    shown = metrics(at)
    assert (shown["Median"], shown["90% are shorter than"]) == (f"{pct['p50'] / 60:.0f} min", f"{pct['p90'] / 60:.0f} min")
    dist = queries.run("distribution", **kw)
    fig = charts(at)["chart-distribution_session"]
    assert fig["layout"]["xaxis"]["title"]["text"] == "length of a session (min)"
    bars, ecdf = fig["data"]
    assert [tuple(bin_) for bin_ in bars["customdata"]] == (dist.select("lo", "hi") / 60).rows()
    assert bars["y"] == (dist["share"] * 100).to_list()
    assert ecdf["x"] == (dist["hi"] / 60).to_list()


def test_timing_comparison_names_each_period_with_its_own_figures(dashboard_db):
    """Issue 9 #4: the comparison sentence gives each period's median and count
    next to that period's name, in the unit of the figures above it."""
    at, who, start, end = open_as(PAGE["timing"], None, dashboard_db, query={"measure": "Typing bursts"})
    at.radio(key="compare_with").set_value("halves").run()
    assert not exceptions(at), exceptions(at)
    sentence = next(m.value for m in at.main.markdown if "values in" in m.value)
    found = re.search(r"median ([\d.,]+) (\w+) in (.+?), ([\d.,]+) (\w+) in (.+?)\)\..*; ([\d,]+) values in (.+?), "
                      r"([\d,]+) in (.+?)\)\.$", sentence)
    assert found, sentence
    median_b, unit_b, label_b, median_a, unit_a, label_a, n_b, label_nb, n_a, label_na = found.groups()
    assert unit_a == unit_b == metrics(at)["Median"].split()[-1] == "s"
    assert (label_nb, label_na) == (label_b, label_a)
    # The second half's own values, from the query layer.
    half_days = (end - start).days // 2
    later = queries.run("measure_sample", db=dashboard_db, worker=who, measure="burst",
                        start=end - dt.timedelta(days=half_days), end=end, n=100_000)["v"]
    earlier = queries.run("measure_sample", db=dashboard_db, worker=who, measure="burst",
                          start=start, end=start + dt.timedelta(days=half_days), n=100_000)["v"]
    assert int(n_b.replace(",", "")) == later.len() and int(n_a.replace(",", "")) == earlier.len()
    assert median_b == stats._num(later.median()) and median_a == stats._num(earlier.median())


def test_own_data_shows_one_source_never_the_sum(aw_db, monkeypatch, tmp_path):
    """Issue 9 #1: a file holding a capture and an import of the same day shows
    one of them at a time (the capture first), never both added up."""
    reference = json.loads(shared("activitywatch", "reference.json").read_text())["aw-server-0.12-export-1day"]
    db = tmp_path / "own.duckdb"
    copy_db(aw_db, db)  # the import, as worker 'activitywatch'
    # The same day again as this computer's own worker ('local'): overlapping days from two sources.
    cli("import", "activitywatch", str(shared("activitywatch", "aw-server-0.12-export-1day.json")),
        "--worker", "local", "--db", str(db))
    monkeypatch.setenv("WORKPRINT_DB", str(db))
    at = open_page(DEFAULT)
    assert not exceptions(at), exceptions(at)
    shown = at.sidebar.selectbox(key="data")
    assert shown.value == "local" and shown.options[0].startswith("Captured on this computer")
    assert any(o.startswith("Imported: activitywatch") for o in shown.options)
    one_day = ui.hours(reference["active_window_hours"] * 3600)
    assert metrics(at)["Active per day"] == one_day  # not twice that
    shown.set_value("activitywatch").run()
    assert not exceptions(at), exceptions(at)
    assert metrics(at)["Active per day"] == one_day
    bookmarked = open_page(DEFAULT, query={"data": "Imported: activitywatch"})  # the choice is in the URL, for bookmarks
    assert bookmarked.sidebar.selectbox(key="data").value == "activitywatch"


def test_no_query_reads_every_worker_at_once(dashboard_db):
    """The data layer refuses a worker query without a worker: no page can add workers up."""
    from dashboard import data

    with pytest.raises(data.DataUnavailable, match="no worker"):
        data.query(data.Source(dashboard_db, True, None), "daily_activity",
                   start=dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc), end=dt.datetime.now(dt.timezone.utc))


@pytest.fixture(scope="module")
def android_db(tmp_path_factory) -> Path:
    """ActivityWatch's Android export: which app was in front, no AFK bucket."""
    db = tmp_path_factory.mktemp("android") / "workprint.duckdb"
    cli("import", "activitywatch", str(shared("activitywatch", "aw-android-plus-export.json")), "--db", str(db))
    return db


def test_today_without_activity_data_says_unknown_and_charts_time_in_front(android_db, monkeypatch):
    """Issue 9 #2: no input data is not idle. The page says activity is unknown,
    and shows the time each app was in front (not 0 active minutes and an empty chart)."""
    monkeypatch.setenv("WORKPRINT_DB", str(android_db))
    at = open_page(DEFAULT)
    assert not exceptions(at), exceptions(at)
    assert any("activity is unknown" in m for m in messages(at)), messages(at)
    start, end = shown_range(at, android_db, "activitywatch")
    kw = dict(db=android_db, worker="activitywatch", start=start, end=end)
    in_front = queries.run("app_time", active_only=False, **kw)
    days = queries.run("daily_activity", **kw)
    assert in_front["seconds"].sum() > 3600
    assert metrics(at)["In front per day"] == ui.hours(in_front["seconds"].sum() / days.height)
    shown_charts = charts(at)
    bars = shown_charts["chart-app_time"]["data"][0]
    top = in_front.head(12)
    assert dict(zip(bars["y"], bars["x"])) == pytest.approx(dict(zip(top["app"], top["seconds"] / 3600)))
    assert "time in front" in shown_charts["chart-app_time"]["layout"]["title"]["text"]
    per_day = shown_charts["chart-daily_activity"]["data"]
    assert [t["name"] for t in per_day] == ["an app in front (activity unknown)"]  # no "idle" anywhere
    assert "idle" not in json.dumps(shown_charts)


def test_today_filters_cover_every_app_figure_and_say_so(dashboard_db):
    """Issue 9 #3: with Apps = Code + Slack, active time, top apps, categories and
    focus stretches all count only those apps, and the page says which figures
    count every app."""
    at, who, start, end = open_as(DEFAULT, None, dashboard_db, query={"apps": ["Code", "Slack"]})
    kw = dict(db=dashboard_db, worker=who, start=start, end=end)
    apps = queries.run("app_time", active_only=True, **kw).filter(pl.col("app").is_in(["Code", "Slack"]))
    days = queries.run("daily_activity", **kw)
    focus = queries.run("focus_sessions", **kw).filter(pl.col("label").is_in(["Code", "Slack"]))
    shown_metrics = metrics(at)
    assert shown_metrics["Active per day"] == ui.hours(apps["seconds"].sum() / days.height)
    assert shown_metrics["Focus stretches ≥ 10 min"] == f"{focus.height:,}"
    assert "App switches per day (all apps)" in shown_metrics and "Typing speed (all apps)" in shown_metrics
    shown_charts = charts(at)
    app_bars = shown_charts["chart-app_time"]["data"][0]
    category_bars = shown_charts["chart-category_time"]["data"][0]
    assert sorted(app_bars["y"]) == ["Code", "Slack"]
    assert sum(category_bars["x"]) == pytest.approx(sum(app_bars["x"]))  # the same apps, the same seconds
    assert any("count every app" in c.value and "Code, Slack" in c.value for c in at.main.caption)


def test_timeline_without_activity_data_shows_no_idle(android_db, monkeypatch):
    """Issue 9 #2 on Timeline: the hours and the day are the app in front, not grey 'idle'."""
    monkeypatch.setenv("WORKPRINT_DB", str(android_db))
    at = open_page(PAGE["timeline"])
    assert not exceptions(at), exceptions(at)
    assert any("activity is unknown" in m for m in messages(at)), messages(at)
    shown_charts = charts(at)
    assert "idle" not in json.dumps(shown_charts["chart-hourly_activity"]).lower()
    assert not [t for t in shown_charts["chart-timeline"]["data"] if "idle" in (t.get("name") or "")]
    start, end = shown_range(at, android_db, "activitywatch")
    hourly = queries.run("hourly_activity", db=android_db, worker="activitywatch", start=start, end=end)
    last_day = hourly.filter(pl.col("day") == hourly["day"].max())
    assert metrics(at)["An app in front"] == ui.hours((last_day["active_s"] + last_day["idle_s"]).sum())


# --- issue 9: colours, units, names, downloads --------------------------------------------------


def _slack_colours(at: AppTest) -> set[str]:
    """Every colour Slack is drawn in on the page's charts (bars, timeline traces, Sankey nodes)."""
    found = set()
    for fig in charts(at).values():
        for trace in fig["data"]:
            marker = trace.get("marker", {}).get("color")
            if trace.get("name") == "Slack" and isinstance(marker, str):
                found.add(marker)
            if trace.get("type") == "bar" and isinstance(marker, list) and "Slack" in trace.get("y", []):
                found.add(marker[trace["y"].index("Slack")])
            node = trace.get("node", {})
            found |= {c for label, c in zip(node.get("label", []), node.get("color", [])) if label == "Slack"}
    return found


def test_an_app_has_one_colour_on_every_page_and_filter(dashboard_db):
    """Issue 9 #5: Slack was vermillion unfiltered and sky blue filtered. It is drawn in
    one colour on Today, Timeline and Workflow, with and without an app filter, and that
    colour follows from when it first appeared, not from this view's ranking."""
    from dashboard.charts import style

    seen = set()
    for page in ("overview", "timeline", "workflow"):
        for query in (None, {"apps": ["Code", "Slack"]}):
            at = open_page(PAGE[page], query=query)
            assert not exceptions(at), exceptions(at)
            colours = _slack_colours(at)
            assert colours, f"{page} {query}: Slack drawn nowhere"
            seen |= colours
    who = at.selectbox(key="who").value
    order = queries.run("app_first_seen", db=dashboard_db, worker=who)["app"].to_list()
    assert seen == {style.app_colours(["Slack"], order)["Slack"]}


def test_short_times_are_not_shown_in_hours():
    """Issue 9 #6: a first day read '0.001 h' on the axes. The unit follows the data."""
    from dashboard.charts import today

    short = pl.DataFrame({"app": ["Code", "Mail"], "seconds": [50.0, 20.0]})
    fig = today.time_bars(short, "app", "t")
    assert fig.layout.xaxis.title.text == "seconds" and sorted(fig.data[0].x) == [20.0, 50.0]
    fig = today.time_bars(short.with_columns(pl.col("seconds") * 60), "app", "t")
    assert fig.layout.xaxis.title.text == "minutes" and sorted(fig.data[0].x) == [20.0, 50.0]
    years = short.with_columns(pl.col("seconds") * 86400 * 20)
    assert today.time_bars(years, "app", "t").layout.xaxis.title.text == "days"
    day = pl.DataFrame({"day": [dt.date(2026, 11, 27)], "active_s": [900.0], "idle_s": [100.0]})
    fig = today.daily_active_idle(day)
    assert fig.layout.yaxis.title.text == "minutes" and fig.data[0].y == (15.0,)


def test_overview_says_what_it_shows(dashboard_db):
    """Issue 9 #15: the page is not titled 'Your last 7 days' nor 'Today', and on the
    first day of the data there is no 'usual day' to compare with, so none is promised:
    no comparison caption and no 'vs usual' deltas."""
    first, *_ = queries.run("data_range", db=dashboard_db, worker="w01").row(0)
    at = open_page(DEFAULT, query={"who": "w01"})
    at.date_input(key="dates").set_value((first, first)).run()  # (a URL with one day twice reads as half a range)
    assert not exceptions(at), exceptions(at)
    title = at.main.title[0].value
    assert "last" not in title and "Today" not in title and f"{first:%d %b %Y}" in title, title
    said = " ".join(c.value for c in at.main.caption)
    assert "usual" not in said, said
    assert not [m.proto.delta for m in at.main.metric if m.proto.delta], "a delta against nothing"
    at = open_page(DEFAULT, query={"who": "w01", "dates": ["2026-11-26", "2026-11-27"]})  # these have days before
    assert any("usual day" in c.value for c in at.main.caption)
    assert "Overview" == at.main.title[0].value


def test_downloads_name_the_view_and_round_seconds(dashboard_db, monkeypatch):
    """Issue 9 #18: every download was 'app_time.csv', whatever the dates or worker,
    with seconds like 3704.000000000582. A file says what, which dates and whose."""
    saved = {}

    def record(label, payload, file_name, *args, **kwargs):
        saved[file_name] = payload

    monkeypatch.setattr(st, "download_button", record)
    at = open_page(DEFAULT, query={"who": "w02", "dates": ["2026-11-24", "2026-11-26"]})
    assert not exceptions(at), exceptions(at)
    assert "workprint-app_time-2026-11-24-to-2026-11-26-w02.csv" in saved, sorted(saved)
    csv = pl.read_csv(saved["workprint-app_time-2026-11-24-to-2026-11-26-w02.csv"])
    assert csv["seconds"].to_list() == [round(s, 1) for s in csv["seconds"].to_list()]
    assert all(len(str(s).split(".")[-1]) <= 1 for s in csv["seconds"].to_list())


def test_while_capture_runs_the_whole_overview_refreshes_together(aw_db, monkeypatch):
    """Issue 9 #13: only the metrics row refreshed live, so 'Active per day 3 min' sat
    above a bar still showing 20 s. While capture runs, every metric, chart and table
    of the Overview is drawn by the one fragment that reruns every few seconds."""
    from dashboard import data

    monkeypatch.setenv("WORKPRINT_DB", str(aw_db))
    monkeypatch.setattr(data, "capture_status", lambda: {"paused": False, "events_written_this_run": 1,
                                                         "last_flush": 1.0})
    state = {"inside": False, "run_every": []}
    drawn: dict[str, bool] = {}
    original_fragment, original_chart = st.fragment, st.plotly_chart

    def fragment(func=None, *, run_every=None, **kwargs):
        if func is None:  # used as @st.fragment(run_every=...)
            return lambda f: fragment(f, run_every=run_every, **kwargs)

        def wrapped(*args):
            state["inside"] = True
            try:
                return func(*args)
            finally:
                state["inside"] = False
        state["run_every"].append(run_every)
        return original_fragment(wrapped, run_every=run_every, **kwargs)

    def plotly_chart(fig, *args, key=None, **kwargs):
        drawn[key] = state["inside"]
        return original_chart(fig, *args, key=key, **kwargs)

    monkeypatch.setattr(st, "fragment", fragment)
    monkeypatch.setattr(st, "plotly_chart", plotly_chart)
    from streamlit.delta_generator import DeltaGenerator

    original_metric = DeltaGenerator.metric

    def metric(self, label, *args, **kwargs):
        drawn[f"metric-{label}"] = state["inside"]
        return original_metric(self, label, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "metric", metric)
    at = open_page(DEFAULT)
    assert not exceptions(at), exceptions(at)
    assert [r for r in state["run_every"] if r], "nothing refreshes while capture runs"
    assert {"chart-app_time", "chart-category_time", "chart-daily_activity"} <= set(drawn), drawn
    assert all(drawn.values()), f"drawn outside the live fragment: {[k for k, v in drawn.items() if not v]}"
    assert any(k.startswith("metric-") for k in drawn)

