"""Privacy & data: what is recorded, your consent, capture controls, and a live sample of your own rows.

Always about the worker's own database (data.own_db()), never the demo: consent and capture are yours.
"""

import datetime as dt
import re

import polars as pl
import streamlit as st

from capture import control
from dashboard import data, frame, ui

frame.enter()

paths = data.own_paths()
own = data.Source(paths.db, False, None)
_NOTE = "privacy_note"  # a message to show after the rerun an action ends with


def consent_markdown() -> str:
    """The consent text the command line prints, as Markdown: its '  - ' items as a list."""
    lines = []
    for line in control.CONSENT_TEXT.format(db=f"`{paths.db}`").splitlines():
        if line.startswith("  - "):
            line = "- " + line[4:]
        elif not line.startswith("    ") and lines and lines[-1].startswith(("- ", "  ")):
            lines.append("")  # the paragraph after the list
        lines.append(line)
    text = "\n".join(lines)
    return re.sub(r"(python -m capture [a-z]+(?: --[a-z]+)?)", r"`\1`", text)  # commands as code


def attempt(action, *args) -> str | None:
    """Run a controller action; None when done, else what went wrong (for the worker)."""
    try:
        action(*args)
    except control.ControlError as exc:
        if action is control.start:
            return f"Capture did not start. It said:\n```\n{exc}\n```"
        return str(exc)[:1].upper() + str(exc)[1:]
    return None


def local(column: str) -> pl.Expr:
    """A UTC timestamp column as this machine's local time."""
    offset = dt.datetime.now().astimezone().utcoffset()
    return (pl.col(column).dt.convert_time_zone("UTC").dt.replace_time_zone(None) + offset).alias(column)


def act(fn, *args, done: str, where: str) -> None:
    error = fn(*args)
    st.session_state[_NOTE] = (where, "error", error) if error else (where, "success", done)
    st.rerun()


def note(where: str) -> None:
    """What the last action (in this section) did."""
    if st.session_state.get(_NOTE, ("",))[0] == where:
        _, kind, text = st.session_state.pop(_NOTE)
        (st.success if kind == "success" else st.error)(text)


st.title("Privacy & data")
st.caption(f"This page is always about **your own** database, `{paths.db}`, even while other pages show demo "
           "data. Nothing in it leaves this machine.")
status = data.capture_status()

st.subheader("What Workprint records")
st.markdown(consent_markdown())
st.caption("Key characters are never stored, logged or shown: only the class of each key.")

st.subheader("Your consent")
note("consent")
consent = None
if paths.db.exists():
    try:
        rows = data.query(own, "consent_state")
        consent = rows.row(0, named=True) if rows.height else None
    except data.DataUnavailable as exc:
        consent = {"action": "unknown", "why": str(exc)}
accepted = bool(consent) and consent["action"] == "accept"
if consent and consent["action"] == "unknown":
    st.warning(f"Your consent cannot be read just now: {consent['why']} To withdraw it meanwhile, in a terminal: "
               "`python -m capture consent --withdraw`.", icon=":material/warning:")
elif accepted:
    st.success(f"You accepted on {consent['ts'].astimezone():%a %d %b %Y at %H:%M}. Capture may run.",
               icon=":material/check_circle:")
    if st.button("Withdraw consent", icon=":material/block:",
                 help="Stops capture if it runs; it will not start again until you accept again."):
        act(attempt, control.withdraw, paths,
            done="Consent withdrawn. Capture is stopped and will not start until you accept.", where="consent")
else:
    st.info(f"You withdrew consent on {consent['ts'].astimezone():%a %d %b %Y at %H:%M}, so nothing is captured."
            if consent else "You have not given consent yet, so nothing is captured.", icon=":material/block:")
    read = st.checkbox("I have read this: what Workprint records (above), and that I can pause or withdraw "
                       "at any time.", key="consent_read")
    if st.button("Accept", type="primary", icon=":material/check:", disabled=not read):
        act(attempt, control.accept, paths, done="Consent recorded. You can start capture below.", where="consent")


@st.fragment(run_every=3 if status else None)
def capture_panel():
    note("capture")
    status = data.capture_status()
    if status:
        state = "paused: no input is recorded" if status["paused"] else "capturing"
        since = dt.datetime.fromisoformat(status["since"]).astimezone()
        st.success(f"Running ({state}) since {since:%a %d %b %H:%M}; {status['events_stored'] or 0:,} events "
                   f"stored.", icon=":material/radio_button_checked:")
        with st.container(horizontal=True):
            paused = status["paused"]
            if st.button("Resume" if paused else "Pause", icon=":material/play_arrow:" if paused else ":material/pause:"):
                act(attempt, control.set_paused, paths, not paused,
                    done="Capture resumed." if paused else "Capture paused.", where="capture")
            if st.button("Stop", icon=":material/stop:"):
                act(attempt, control.stop, paths, done="Capture stopped.", where="capture")
        st.caption(f"Capture keeps running when you close the dashboard. Its log: `{paths.log}`.")
    else:
        st.info("Capture is not running.", icon=":material/pause_circle:")
        if st.button("Start capture", icon=":material/play_arrow:", disabled=not accepted,
                     help=None if accepted else "Accept consent above first."):
            with st.spinner("Starting capture..."):
                act(attempt, control.start, paths, done="Capture started.", where="capture")

    st.subheader("Your newest rows, exactly as stored")
    if not paths.db.exists():
        ui.empty(f"No database yet at `{paths.db}`: nothing has been recorded. Accept consent, then start capture.")
        return
    try:
        sample = data.query(own, "recent_events", limit=20)
        counts = data.query(own, "event_counts")
    except data.DataUnavailable as exc:
        ui.empty(str(exc))
        return
    if sample.is_empty():
        ui.empty("Nothing stored yet. Rows appear here within seconds of starting capture.")
        return
    left, right = st.columns([3, 2])
    left.dataframe(sample.with_columns(local("ts")), hide_index=True, width="stretch", column_config={
        "ts": st.column_config.DatetimeColumn("time (local)", format="D MMM HH:mm:ss.SSS"),
        "key_class": "key class (never the key)"})
    right.dataframe(counts.select("kind", "n", local("last_ts")), hide_index=True, width="stretch",
                    column_config={"n": st.column_config.NumberColumn("events", format="localized"),
                                   "last_ts": st.column_config.DatetimeColumn("last (local)",
                                                                              format="D MMM HH:mm")})
    st.caption("Refreshes every 3 seconds while capture runs." if status else
               "Start capture to watch new rows arrive.")


st.subheader("Capture")
capture_panel()
