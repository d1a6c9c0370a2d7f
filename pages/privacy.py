"""Privacy & data: what is recorded, your consent, capture controls, and a live sample of your own rows.

Always about the worker's own database (data.own_db()), never the demo: consent and capture are yours.
"""

import datetime as dt
import re

import polars as pl
import streamlit as st

from capture import control, study_control, study_seen, team_control, team_seen
from dashboard import data, frame, ui

frame.enter()

paths = data.own_paths()
own = data.Source(paths.db, False, None)
_NOTE = "privacy_note"  # a message to show after the rerun an action ends with


def consent_markdown(text: str) -> str:
    """The consent text the command line prints, as Markdown: its '  - ' items
    as a list, the file and the commands as code."""
    lines = []
    for line in text.replace(str(paths.db), f"`{paths.db}`").splitlines():
        if line.startswith("  - "):
            if lines and lines[-1] and not lines[-1].startswith(("- ", "  ")):
                lines.append("")  # a list needs a blank line before it
            line = "- " + line[4:]
        elif line.startswith("    "):
            line = "  " + line[4:]
        elif line and lines and lines[-1].startswith(("- ", "  ")):
            lines.append("")  # the paragraph after the list
        lines.append(line)
    text = "\n".join(lines).replace("*", "\\*")  # the patterns' wildcards are not emphasis
    return re.sub(r"(python -m capture [a-z][a-z-]*(?: --[a-z]+)?)", r"`\1`", text)  # commands as code


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

broken = control.unreadable(paths)
if broken:
    st.error(f"{broken[:1].upper()}{broken[1:]}", icon=":material/error:")
    st.caption("Until it can be read, nothing is captured into it, and the sections below that read it are "
               "left empty. Withdrawing consent still works.")
try:
    standing = control.consent_standing(paths)
except control.ControlError as exc:
    standing = None
    if not broken:
        st.error(f"{exc}. Until the settings file is fixed (or removed, for the defaults), capture records nothing.",
                 icon=":material/error:")

st.subheader("What Workprint records")
if standing:
    st.markdown(consent_markdown(standing["text"]))
    version = f"version {standing['version']}" if standing["version"] else "a new version (numbered when accepted)"
    st.caption(f"This text is generated from the database's schema and your settings below, so it cannot drift "
               f"from what is recorded. It is {version}; sha256 `{standing['sha256'][:16]}…`.")

st.subheader("Your consent")
note("consent")
accepted = bool(standing) and standing["covered"]
if standing and standing.get("note"):
    st.info(standing["note"][:1].upper() + standing["note"][1:] + ".", icon=":material/info:")
if standing and standing["given"]:
    when = standing["accepted_at"].astimezone() if standing.get("accepted_at") else None
    on = f" on {when:%a %d %b %Y at %H:%M}" if when else ""
    if standing["covered"]:
        st.success(f"You accepted version {standing['accepted_version']}{on}; it covers what is recorded now. "
                   "Capture may run.", icon=":material/check_circle:")
    else:
        st.warning(f"You accepted version {standing['accepted_version']}{on}, but your settings now record more: "
                   f"{'; '.join(standing['more'])}. Nothing is recorded until you accept the text above.",
                   icon=":material/warning:")
    if st.button("Withdraw consent", icon=":material/block:",
                 help="Stops capture at once; it will not start again until you accept again."):
        act(attempt, control.withdraw, paths, where="consent",
            done="Consent withdrawn. Capture is stopped and will not start until you accept. To delete what was "
                 "recorded too, use Delete below.")
elif standing:
    st.info("You withdrew consent, so nothing is captured. You can delete what was recorded below."
            if standing["action"] == "withdraw" else "You have not given consent yet, so nothing is captured.",
            icon=":material/block:")
if standing and not standing["covered"]:
    read = st.checkbox("I have read this: what Workprint records (above), and that I can pause or withdraw "
                       "at any time.", key="consent_read")
    if st.button("Accept", type="primary", icon=":material/check:", disabled=not read):
        act(attempt, control.accept, paths, standing["sha256"], where="consent",
            done="Consent recorded. Capture records again." if standing["given"]
            else "Consent recorded. You can start capture below.")


@st.fragment(run_every=3 if status else None)
def capture_panel():
    note("capture")
    status = data.capture_status()
    if status:
        holds = status.get("holds") or {}
        state = ("paused: " + "; ".join(holds.values()) + ", so no input is recorded") if holds else "capturing"
        if status.get("excluded_in_focus") and not holds:
            state = "an excluded app has focus, so no input is recorded"
        since = dt.datetime.fromisoformat(status["since"]).astimezone()
        st.success(f"Running ({state}) since {since:%a %d %b %H:%M}; {status['events_stored'] or 0:,} events "
                   f"stored.", icon=":material/radio_button_checked:")
        with st.container(horizontal=True):
            paused = "paused" in holds
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
    if broken:
        ui.empty("The database cannot be read: see the top of this page.")
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


def lines(text: str) -> list[str]:
    """A text area's non-empty lines (patterns may hold commas: one per line)."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def settings_panel() -> None:
    """The settings file, as a form; saving puts it in force in the running capture."""
    note("settings")
    try:
        current = control.load_settings(paths)
    except control.ControlError as exc:
        st.error(f"{exc}. Fix it in `{paths.settings}`, or remove that file for the defaults.",
                 icon=":material/error:")
        return
    until = current.pause.until
    with st.container(horizontal=True, vertical_alignment="center"):
        if until and until > dt.datetime.now(dt.timezone.utc):
            st.markdown(f"**Paused until {until.astimezone():%a %d %b %H:%M}.**")
            if st.button("Resume now", icon=":material/play_arrow:"):
                act(attempt, control.pause_until, paths, None, where="settings", done="The pause is over.")
        else:
            st.markdown("Pause for a while:")
            now = dt.datetime.now(dt.timezone.utc)
            for label, end in (("30 min", now + dt.timedelta(minutes=30)), ("1 hour", now + dt.timedelta(hours=1)),
                               ("until tomorrow", control.tomorrow(now))):
                if st.button(label, icon=":material/pause:", key=f"pause_{label}"):
                    act(attempt, control.pause_until, paths, end, where="settings",
                        done=f"Paused until {end.astimezone():%a %d %b %H:%M}; kept even if capture restarts.")
    with st.form("settings"):
        st.markdown("**Excluded apps**: while one has focus, no input at all is recorded.")
        excluded = st.text_area("App name patterns (WM_CLASS; `*` and `?` as wildcards), one per line",
                                "\n".join(current.exclude.apps), placeholder="keepassxc\nsignal")
        prompts = st.checkbox("Also exclude password prompts, password managers and lock screens",
                              current.exclude.password_prompts)
        record_name = st.checkbox("Record which excluded app had focus (off: only that one did)",
                                  current.exclude.record_name)
        st.markdown("**Window titles**: stored only for the apps listed, after e-mail addresses, URL paths and "
                    "queries and long numbers are removed.")
        titles = st.text_area("Apps whose titles are stored (patterns, one per line; `*` for every app)",
                              "\n".join(current.titles.apps))
        redact = st.text_area("Also remove what these regular expressions match, one per line",
                              "\n".join(current.titles.redact), placeholder="Project \\w+")
        st.markdown("**Work hours**: outside them nothing is captured. None listed: any time.")
        hours = st.text_area("One line per day range, e.g. `mon-fri = 09:00-12:30, 13:30-17:30`",
                             "\n".join(f"{k} = {v}" for k, v in current.work_hours.days.items()))
        zone = st.text_input("Time zone (`local`, or a name such as Europe/Berlin)", current.work_hours.timezone)
        st.markdown("**Retention**: Workprint deletes older rows itself, and removes them from the file.")
        left, right = st.columns(2)
        raw_days = left.number_input("Raw events, days", 1, 3650, current.retention.raw_days)
        derived_months = right.number_input("Hourly and derived tables, months", 1, 120,
                                            current.retention.derived_months)
        if st.form_submit_button("Save settings", type="primary", icon=":material/save:"):
            days = {}
            for line in lines(hours):
                spec, _, ranges = line.partition("=")
                days[spec.strip()] = ranges.strip()
            changes = {"exclude.apps": lines(excluded),
                       "exclude.password_prompts": prompts, "exclude.record_name": record_name,
                       "titles.apps": lines(titles), "titles.redact": lines(redact),
                       "work_hours.days": days, "work_hours.timezone": zone.strip() or "local",
                       "retention.raw_days": int(raw_days), "retention.derived_months": int(derived_months)}
            act(save, changes, where="settings", done="Settings saved; capture put them in force.")
    st.caption(f"Kept in `{paths.settings}`; you can also edit that file, or use `python -m capture settings`.")


def save(changes: dict) -> str | None:
    try:
        control.change_settings(paths, changes)
    except ValueError as exc:
        return str(exc)
    standing = control.consent_standing(paths)
    if standing["given"] and not standing["covered"]:
        return ("Saved, but these settings record more than you consented to, so nothing is recorded until you "
                "read and accept the new text under Your consent.")
    return None


st.subheader("Capture")
capture_panel()

st.subheader("Settings")
settings_panel()


def when(t: dt.datetime | None) -> str:
    return f"{t.astimezone():%a %d %b %Y, %H:%M}" if t else "never"


def kept_panel() -> None:
    """Retention: the periods, what the file holds per table, the purges; and every stored column."""
    if broken:
        ui.empty("The database cannot be read: see the top of this page.")
        return
    try:
        state = control.retention_state(paths)
    except control.ControlError as exc:
        ui.empty(str(exc))
        return
    next_purge = ("now, then daily" if state["next_purge"] <= dt.datetime.now(dt.timezone.utc)
                  else when(state["next_purge"])) if state["running"] else "when capture next starts"
    st.markdown(f"What capture records is deleted by Workprint itself: raw events after **{state['raw_days']} "
                f"days**, the hourly and derived tables after **{state['derived_months']} months**, and the "
                f"deleted rows are then removed from the file. Last purge: **{when(state['last_purge'])}**; "
                f"next: **{next_purge}**. What you import is kept until you delete it.")
    if state["tables"]:
        held = pl.DataFrame([{"table": t, "rows": v["rows"], "oldest row": v["oldest"], "kept": v["kept"]}
                             for t, v in state["tables"].items()],
                            schema={"table": pl.String, "rows": pl.Int64, "oldest row": pl.Datetime("us", "UTC"),
                                    "kept": pl.String})
        st.dataframe(held.with_columns(local("oldest row")), hide_index=True, width="stretch", column_config={
            "rows": st.column_config.NumberColumn(format="localized"),
            "oldest row": st.column_config.DatetimeColumn("oldest row (local)", format="D MMM YYYY HH:mm")})
    with st.expander("Every stored column: what it means, an example from your data, how long it is kept"):
        try:
            inventory = control.inventory(paths) if paths.db.exists() else None
            columns = None if inventory is None else pl.DataFrame(  # examples are of every type: shown as text
                [{**c, "example": None if c["example"] is None else str(c["example"])} for c in inventory],
                infer_schema_length=None)
        except control.ControlError as exc:
            ui.empty(str(exc))
            return
        if columns is None or columns.is_empty():
            ui.empty("Nothing is stored yet.")
        else:
            st.dataframe(columns.select("table", "column", "meaning", "example", "kept", "rows"),
                         hide_index=True, width="stretch",
                         column_config={"rows": st.column_config.NumberColumn(format="localized")})


def export_panel() -> None:
    note("export")
    if broken:
        ui.empty("The database cannot be read: see the top of this page.")
        return
    folder = control.export_folder()
    left, right = st.columns([1, 2])
    fmt = left.radio("Format", control.EXPORT_FORMATS, horizontal=True, key="export_format", format_func={
        "parquet": "Parquet", "json": "JSON lines", "activitywatch": "ActivityWatch"}.get)
    name = right.text_input("Name (a new folder or file in the export folder; empty: dated)", key="export_name")
    st.caption(f"Exports go to `{folder}` only, readable by you alone. Parquet and JSON: one file per table and "
               "a manifest of what every column means. ActivityWatch: one file that ActivityWatch (and "
               "Workprint's importer) reads back with the same time per app.")
    if st.button("Export everything", icon=":material/download:"):
        def run() -> str | None:
            try:
                done = control.export(paths, fmt, name.strip() or None, why="exported from the Privacy page")
            except control.ControlError as exc:
                return str(exc)
            st.session_state["export_done"] = done
            return None
        act(run, where="export", done="Exported.")
    done = st.session_state.get("export_done")
    if done:
        st.caption(f"Last export: `{done['path']}` ({done['bytes'] / 1e6:,.1f} MB).")


def delete_panel() -> None:
    note("delete")
    if broken:
        ui.empty("The database cannot be read: see the top of this page.")
        return
    what = st.radio("What", ("A time range", "An app", "Everything"), horizontal=True, key="delete_what")
    chosen: dict = {}
    if what == "A time range":
        left, right = st.columns(2)
        today = dt.date.today()
        first = left.date_input("From (local time, midnight)", today, key="delete_from")
        last = right.date_input("Up to (not including)", today + dt.timedelta(days=1), key="delete_to")
        chosen = {"start": dt.datetime.combine(first, dt.time()).astimezone(),
                  "stop": dt.datetime.combine(last, dt.time()).astimezone()}
    elif what == "An app":
        try:
            apps = data.query(own, "stored_apps")["app"].to_list() if paths.db.exists() else []
        except data.DataUnavailable as exc:
            ui.empty(str(exc))
            return
        if not apps:
            ui.empty("No app is stored.")
            return
        chosen = {"app": st.selectbox("App", apps, key="delete_app")}
        st.caption("Its focus time, and everything typed, clicked or scrolled while it had focus, goes; the time "
                   "stays as time in no app.")
    else:
        chosen = {"everything": True}
        st.caption("Every captured, imported and derived row. Your consent record, settings and the access log "
                   "stay.")
    if st.button("Show what would go", icon=":material/preview:"):
        try:
            st.session_state["delete_preview"] = (chosen, control.delete_preview(paths, **chosen))
        except (ValueError, control.ControlError) as exc:
            st.session_state.pop("delete_preview", None)
            st.error(str(exc)[:1].upper() + str(exc)[1:])
    shown = st.session_state.get("delete_preview")
    if not shown or shown[0] != chosen:
        return
    preview = shown[1]
    gone = {table: n for table, n in preview["rows"].items() if n}
    if not gone:
        ui.empty("Nothing is stored there: there is nothing to delete.")
        return
    span = (f", from {when(dt.datetime.fromisoformat(preview['first']))} to "
            f"{when(dt.datetime.fromisoformat(preview['last']))}") if preview.get("first") else ""
    st.warning(f"This deletes {sum(gone.values()):,} rows{span}, for good:", icon=":material/warning:")
    st.dataframe(pl.DataFrame({"table": list(gone), "rows": list(gone.values())}), hide_index=True,
                 column_config={"rows": st.column_config.NumberColumn(format="localized")})
    sure = st.checkbox("I understand this cannot be undone", key="delete_sure")
    if st.button("Delete", type="primary", icon=":material/delete_forever:", disabled=not sure):
        def run() -> str | None:
            try:
                control.delete(paths, **chosen)
            except (ValueError, control.ControlError) as exc:
                return str(exc)
            st.session_state.pop("delete_preview", None)
            return None
        act(run, where="delete", done=f"Deleted {sum(gone.values()):,} rows; the derived tables were rebuilt "
                                      "for what remains and the file compacted.")


def access_panel() -> None:
    if broken:
        ui.empty("The database cannot be read: see the top of this page.")
        return
    try:
        log = control.access_log(paths) if paths.db.exists() else None
    except control.ControlError as exc:
        ui.empty(str(exc))
        return
    if log is None:
        ui.empty("No database yet: nobody has read anything.")
        return
    if not log["intact"]:
        st.error(f"The access log is {log['state']}: it was changed outside Workprint.", icon=":material/gpp_bad:")
    elif not log["entries"]:
        st.success("Nobody and nothing but you has read your data.", icon=":material/verified_user:")
    else:
        st.success(f"The access log is {log['state']}: every entry is chained to the one before and the last is "
                   "pinned beside the file, so a changed, removed or cut-off entry would show.",
                   icon=":material/verified_user:")
    if log["entries"]:
        # What fits 800 px: when, what, which program and why; the full entry (its process, command line and
        # parameters) is one hover away, and whole in `python -m capture access-log`.
        entries = pl.DataFrame([{"seq": e["seq"], "when": e["when"], "what": e["what"],
                                 "who": e["who"].split(" (", 1)[0], "why": e["why"],
                                 "in full": f"{e['who']}; parameters: {e['params']}"} for e in log["entries"]],
                               infer_schema_length=None)
        st.dataframe(entries.with_columns(pl.col("when").str.to_datetime(time_zone="UTC")).with_columns(
            local("when")).sort("seq", descending=True), hide_index=True, width="stretch",
            column_order=("when", "what", "who", "why", "in full"),
            column_config={"when": st.column_config.DatetimeColumn("when (local)", format="D MMM HH:mm:ss"),
                           "in full": st.column_config.TextColumn(width="small")})
    st.caption("An entry is written for every export and every read through the capture socket by a program "
               "that is not your own dashboard or command line.")


st.subheader("What is kept, and for how long")
kept_panel()

st.subheader("Your copy")
export_panel()

st.subheader("Delete")
delete_panel()

st.subheader("Who read your data")
access_panel()


def team_join_form() -> None:
    """Join a team: the store, the team and the secret's file, then the team consent text to read and accept."""
    st.info("You are in no team: nothing about you leaves this computer.", icon=":material/group_off:")
    with st.expander("Join a team"):
        left, right = st.columns(2)
        where = left.text_input("Team store (a folder)", key="team_store")
        name = right.text_input("Team", key="team_name")
        secret = st.text_input("File holding your organisation's pseudonym secret", key="team_secret",
                               help="The file's path, never the secret itself.")
        if not (where and name and secret):
            return
        try:
            offered = team_control.offer(paths, where, name, secret)
        except control.ControlError as exc:
            st.error(str(exc)[:1].upper() + str(exc)[1:])
            return
        st.markdown(consent_markdown(offered["text"]))
        st.caption(f"Team consent text, sha256 `{offered['sha256'][:16]}…`.")
        read = st.checkbox("I have read what a release holds, and that I can revoke at any time.", key="team_read")
        if st.button("Join and consent", type="primary", disabled=not read, key="team_join"):
            act(attempt, team_control.join, paths, where, name, secret, None, offered["sha256"], where="team",
                done=f"You joined team {name}: completed days from tomorrow on are released once a day.")


def team_release(seen: dict, lines=team_seen.rows) -> None:
    """One release as the team store holds it, and how it keeps the promise (``lines``: its rows' meanings)."""
    mark = {team_seen.AS_SENT: "", team_seen.GONE: " — GONE from the team store",
            team_seen.CHANGED: " — CHANGED in the team store", team_seen.REMOVED: " — removed by you",
            team_seen.UNREACHABLE: " — the store cannot be read"}[seen["state"]]
    with st.expander(f"{seen['day']}{mark}", expanded=bool(seen["problems"])):
        if seen["state"] == team_seen.CHANGED:
            st.error("This file is not the one sent: its sha256 differs from the local record.",
                     icon=":material/gpp_bad:")
        elif seen["state"] == team_seen.GONE:
            st.warning("The file sent is no longer in the team store.", icon=":material/warning:")
        shown = seen["row"] or seen["recorded"]
        st.caption("As the team store holds it now:" if seen["row"] else "As sent (the local record):")
        st.dataframe(pl.DataFrame(lines(shown)), hide_index=True, width="stretch")
        if seen["problems"]:
            st.error("Differences from what the consent text promised:\n" +
                     "\n".join(f"- {p}" for p in seen["problems"]), icon=":material/rule:")
        elif seen["row"]:
            st.success("Matches what the consent text promised.", icon=":material/check_circle:")
        st.caption(f"`{seen['key']}`, {seen['bytes']:,} bytes, sha256 `{seen['sha256'][:16]}…`, sent "
                   f"{when(dt.datetime.fromisoformat(str(seen['sent'])))}.")


def leave(remove: bool) -> str | None:
    try:
        done = team_control.leave(paths, remove)
    except control.ControlError as exc:
        return str(exc)
    if done["remove_error"]:
        return f"You left the team, but your released files could not be removed: {done['remove_error']}"
    return None


def team_panel() -> None:
    note("team")
    try:
        state = team_seen.releases(paths)
    except control.ControlError as exc:
        ui.empty(str(exc))
        return
    member = state["membership"]
    if not state["in_team"]:
        if member:
            st.caption(f"You left team {member['team']} on {when(dt.datetime.fromisoformat(str(member['left_at'])))}:"
                       " no release is sent.")
        team_join_form()
    else:
        st.success(f"You are in team **{member['team']}** (store `{member['store']}`), pseudonym "
                   f"`{member['pseudonym'][:16]}…`; team consent version {state['consent']['version']} given "
                   f"{when(dt.datetime.fromisoformat(str(state['consent']['at'])))}.", icon=":material/groups:")
        remove = st.checkbox("Also remove every file I released from the team store", key="team_remove")
        if st.button("Revoke team consent and leave", icon=":material/block:", key="team_leave"):
            act(leave, remove, where="team",
                done="You left the team: nothing more is released." + (" Your released files were removed."
                                                                      if remove else ""))
    if state["store_error"]:
        st.warning(f"The team store cannot be read: {state['store_error']}", icon=":material/cloud_off:")
    if state["seen"]:
        st.markdown(f"**Every release sent ({len(state['seen'])}), newest first, read back from the team store:**")
        for seen in state["seen"]:
            team_release(seen)
    if member:
        team_access(member)


def team_access(member: dict, log: dict | None = None, server: str = "team server") -> None:
    log = log or team_seen.access(paths, member["pseudonym"], member["store"])
    if log["error"]:
        st.warning(f"The team store's access log cannot be read: {log['error']}", icon=":material/cloud_off:")
        return
    if not log["intact"]:
        st.error(f"The team store's access log for your pseudonym is {log['state']}: it was changed outside "
                 "Workprint, so who read your figures cannot be trusted.", icon=":material/gpp_bad:")
    elif not log["entries"]:
        st.success(f"Nobody on the {server} has read figures that include you.", icon=":material/verified_user:")
    else:
        st.success(f"The team store's access log for you is {log['state']}.", icon=":material/verified_user:")
    if log["entries"]:
        st.dataframe(pl.DataFrame(log["entries"]).sort("seq", descending=True), hide_index=True, width="stretch",
                     column_order=("when", "who", "what", "params", "why"))


st.subheader("Your team: what your team sees")
team_panel()


def study_leave(study: str) -> str | None:
    try:
        done = study_control.leave(paths, study)
    except control.ControlError as exc:
        return str(exc)
    if done["remove_error"]:
        return f"You left the study, but the files you sent could not be removed yet: {done['remove_error']}"
    if done.get("kept"):
        return (f"You left the study and the files you sent were removed, but {len(done['kept'])} file(s) under your "
                "pseudonym were left, because this database did not send them: another worker may use the same "
                "worker id. Ask your organisation for an id of your own.")
    return None


def studies_panel() -> None:
    """Each study joined or left: what it received, read back from the store, and who read it."""
    note("studies")
    try:
        state = study_seen.releases(paths)
    except control.ControlError as exc:
        ui.empty(str(exc))
        return
    if not state["studies"]:
        st.info("You are in no study: nothing about you goes to any researcher. To join one: "
                "`python -m capture study list --store PATH`, then `study join`.", icon=":material/science:")
    for entry in state["studies"]:
        member = entry["membership"]
        st.markdown(f"**{entry['name']}** (`{entry['study']}`{', demo' if entry['demo'] else ''}) by "
                    f"{entry['researcher']}, until {entry['ends']}; k = {entry['k']}; asks for "
                    f"{', '.join(entry['measures'])}.")
        if entry["in_study"]:
            st.success(f"You are in this study, pseudonym `{member['pseudonym'][:16]}…` (this study's alone); "
                       f"consent version {entry['consent']['version']}.", icon=":material/science:")
            if st.button("Leave this study and remove what it received", icon=":material/block:",
                         key=f"study_leave_{entry['study']}"):
                act(study_leave, entry["study"], where="studies",
                    done="You left the study: nothing more is sent, and the files it received were removed.")
        else:
            st.caption(f"You left on {when(dt.datetime.fromisoformat(str(member['left_at'])))}: nothing is sent, "
                       f"{entry['removed']} file(s) it received were removed.")
            if entry["releases"]:  # the store was away when you left: leaving again retries the removal
                st.warning(f"{entry['releases']} file(s) it received are not removed yet.", icon=":material/warning:")
                if st.button("Remove them now", key=f"study_remove_{entry['study']}"):
                    act(study_leave, entry["study"], where="studies", done="The files the study received were removed.")
        if entry["store_error"]:
            st.warning(f"The store cannot be read: {entry['store_error']}", icon=":material/cloud_off:")
        for seen in entry["seen"]:
            team_release(seen, lambda row, m=entry["measures"]: study_seen.rows(row, m))
        team_access(member, study_seen.access(paths, entry), "research server")


st.subheader("Studies: what each study received")
studies_panel()
