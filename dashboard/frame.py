"""The frame around every page: which data, whose view, which dates and apps.

app.py calls :func:`sidebar` on every run, before the page; pages call
:func:`context` to get what it chose. The filters are widgets bound to the URL
(``?dates=...&apps=...``), so a view can be bookmarked, and they keep their
values across pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import polars as pl
import streamlit as st

from capture import control
from store import paths

from . import data

_CTX = "_workprint_context"
_WHY = "_workprint_nothing_because"
NOTHING_YET = ("Nothing has been captured or imported yet. Start capture (see the Privacy & data page), "
               "import ActivityWatch data with `python -m capture import activitywatch FILE`, or look at the "
               "demo data (button in the sidebar).")
NO_DATABASE = ("There is no database at `{db}` yet: nothing has been captured or imported.\n\n"
               "- **To start capturing**, read what is recorded and agree on the **Privacy & data** page, then "
               "start capture there; or in a terminal: `python -m capture consent --accept`, then "
               "`python -m capture run`.\n"
               "- **To bring in data you already have**: `python -m capture import activitywatch FILE` "
               "(or `keystrokes`, `eventlog`; see the README).\n"
               "- Or look at the **demo data** (button in the sidebar).")


@dataclass(frozen=True)
class Context:
    source: data.Source
    first_day: dt.date
    last_day: dt.date
    start_day: dt.date
    end_day: dt.date  # inclusive
    utc_offset: int
    apps: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    app_category: dict = field(default_factory=dict)

    @property
    def start(self) -> dt.datetime:
        """UTC time of local midnight at the start of the range."""
        return self._utc(self.start_day)

    @property
    def end(self) -> dt.datetime:
        return self._utc(self.end_day + dt.timedelta(days=1))

    def _utc(self, day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(), tzinfo=dt.timezone(dt.timedelta(seconds=self.utc_offset)))
        return local.astimezone(dt.timezone.utc)

    @property
    def days(self) -> int:
        return (self.end_day - self.start_day).days + 1

    def keep_apps(self, frame: pl.DataFrame, column: str = "app") -> pl.DataFrame:
        """Rows whose app passes the app and category filters."""
        if not (self.apps or self.categories) or frame.is_empty():
            return frame
        allowed = {a for a, c in self.app_category.items()
                   if (not self.apps or a in self.apps) and (not self.categories or c in self.categories)}
        return frame.filter(pl.col(column).is_in(sorted(allowed)))

    def query(self, name: str, **params) -> pl.DataFrame:
        """A named query over the chosen dates (and worker)."""
        from queries import catalog

        wanted = catalog()[name].params
        if "start" in wanted:
            params.setdefault("start", self.start)
            params.setdefault("end", self.end)
        return data.query(self.source, name, **params)


def enter() -> None:
    """Every page calls this first (context() does it for you).

    Streamlit treats a folder named ``pages/`` as its legacy navigation until
    a script has called st.navigation once in the server process: a link
    straight to /timing on a fresh server would run the page alone, without
    app.py's sidebar. Leaving legacy mode and rerunning sends the same URL
    through app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def current() -> Context | None:
    """What the sidebar chose on this run, or None (nothing to show), without stopping the page."""
    return st.session_state.get(_CTX)


def context() -> Context:
    """What the sidebar chose on this run; if there is nothing to show, say why and stop the page."""
    enter()
    ctx = st.session_state.get(_CTX)
    if ctx is None:
        st.info(st.session_state.get(_WHY) or "Nothing to show yet.", icon=":material/info:")
        st.stop()
    return ctx


# Measured: 8 s on an idle 2-core machine, 16 s on a loaded one, over 60 s on a
# busy one (python -m capture demo prints its own timings).
DEMO_WAIT = ("Generating the demo data: two weeks of a made-up team, so that every page has something to show. "
             "This happens once and takes 10 to 30 seconds, a minute or more on a busy machine...")


def _choose_source() -> data.Source:
    own = data.own_db()
    status = data.capture_status()
    has_own = status is not None or data.has_own_data(str(own))
    mode = st.session_state.setdefault("source_mode", "own" if has_own else "demo")
    try:
        if mode == "demo":
            demo = data.demo_db()
            if not control.demo_ready(demo):
                with st.spinner(DEMO_WAIT):
                    control.ensure_demo(demo)
            return data.Source(demo, True, None)
        control.upgrade(paths.paths(own))
    except control.ControlError as exc:
        raise data.DataUnavailable(str(exc)) from None
    return data.Source(own, False, None)


def _source_panel(source: data.Source) -> data.Source:
    with st.sidebar:
        if source.demo:
            st.caption(":material/science: Showing **demo data**.")
            if st.button("Switch to my own data", icon=":material/person:", width="stretch"):
                st.session_state["source_mode"] = "own"
                st.rerun()
            workers = data.workers(source)
            if workers:
                who = st.selectbox("View as demo worker", workers, key="who", bind="query-params")
                source = data.Source(source.db, True, who)
        else:
            status = data.capture_status()
            if status:
                state = "paused" if status.get("paused") else "capturing"
                st.success(f"Capture is running ({state}).", icon=":material/radio_button_checked:")
            else:
                st.info("Capture is not running.", icon=":material/pause_circle:")
            if st.button("Show demo data instead", icon=":material/science:", width="stretch"):
                st.session_state["source_mode"] = "demo"
                st.rerun()
            source = _own_source(source)
    return source


ACTIVITY_UNKNOWN = ("This source records which app was in front, not whether you were at the computer (no input "
                    "or AFK data), so activity is unknown: the figures below count the time each app was in front.")
SOURCES_HELP = ("Each source is shown on its own and never added to another: an import of days you also "
                "captured would otherwise count those days twice.")


def _own_source(source: data.Source) -> data.Source:
    """The worker's own view shows one source of the file: the capture, or one import."""
    if not source.db.exists():
        return source  # the page says how to start (NO_DATABASE)
    found = data.sources(source)
    if found.is_empty():
        return source
    workers = found["worker"].to_list()
    if len(workers) == 1:
        return data.Source(source.db, False, workers[0])
    who = st.selectbox("Data shown", workers, format_func=data.source_label, key="data", bind="query-params",
                       help=SOURCES_HELP)
    first, last = found.filter(pl.col("worker") == who).select("first_day", "last_day").row(0)
    st.caption(f"{first:%-d %b %Y}" + ("" if first == last else f" to {last:%-d %b %Y}") + ". " + SOURCES_HELP)
    return data.Source(source.db, False, who)


def source_records_activity(source: data.Source) -> bool:
    """False for a source that only says which app had the focus (no input, no AFK)."""
    found = data.sources(source).filter(pl.col("worker") == source.worker)
    return found.is_empty() or bool(found["records_activity"][0])


def _dates_outside(asked: list[str], first: dt.date, last: dt.date) -> str | None:
    """The URL's dates, as said to the user, when any is outside [first, last]; else None."""
    days = []
    for text in asked:
        try:
            days.append(dt.date.fromisoformat(text))
        except ValueError:
            return None  # not a date at all: dropped for the defaults, as before
    if not any(d < first or d > last for d in days):
        return None
    return " – ".join(f"{d:%d %b %Y}" for d in sorted(days))


def sidebar() -> Context | None:
    """Render the shared sidebar; store and return the context (None: nothing to show)."""
    st.session_state.pop(_CTX, None)
    st.session_state[_WHY] = None
    try:
        source = _source_panel(_choose_source())
        if not source.demo and not source.db.exists():  # the dead end said only 'no database at ...' (issue 9 #14)
            st.session_state[_WHY] = NO_DATABASE.format(db=source.db)
            return None
        bounds = data.data_range(source) if source.worker is not None else None
    except data.DataUnavailable as exc:
        st.session_state[_WHY] = str(exc)
        return None
    if bounds is None:
        st.session_state[_WHY] = NOTHING_YET
        return None
    first, last, offset = bounds
    outside = _dates_outside(st.query_params.get_all("dates"), first, last)
    with st.sidebar:
        default = (max(first, last - dt.timedelta(days=6)), last)
        picked = st.date_input("Dates (local)", value=default, min_value=first, max_value=last,
                               key="dates", bind="query-params")
        if not isinstance(picked, (tuple, list)) or len(picked) != 2:
            st.session_state[_WHY] = "Pick the last day of the date range too (in the sidebar)."
            return None
        start_day, end_day = sorted(picked)  # a hand-edited URL may give them reversed
        try:
            mapping = dict(data.query(source, "app_categories").iter_rows())
        except data.DataUnavailable as exc:
            st.session_state[_WHY] = str(exc)
            return None
        categories = st.multiselect("Categories", sorted(set(mapping.values())), key="cats", bind="query-params",
                                    placeholder="all categories")
        apps = st.multiselect("Apps", sorted(mapping), key="apps", bind="query-params", placeholder="all apps")
    if outside:  # Streamlit replaces them silently; say so (issue 9 #8)
        st.warning(f"The link asked for {outside}, outside the data ({first:%d %b %Y} – {last:%d %b %Y}), "
                   f"so these pages show {start_day:%d %b %Y} – {end_day:%d %b %Y} instead.", icon=":material/event_busy:")
    ctx = Context(source, first, last, start_day, end_day, offset or 0, tuple(apps), tuple(categories), mapping)
    st.session_state[_CTX] = ctx
    return ctx
