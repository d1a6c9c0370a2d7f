"""What each stored column means, in words a worker reads (the inventory, the
export's manifest).

One entry per stored table: how long its rows are kept (``raw``: the raw
events' period, ``derived``: the derived tables' period, ``file``: as long
as the file), the column that says which row is newest (the inventory's
example value is the newest non-empty one), and a meaning for every column.
tests/test_inventory.py fails when a stored column has no meaning here, or a
meaning names a column that is no longer stored.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    kept: str  # 'raw', 'derived' or 'file'
    newest_by: str
    what: str
    columns: dict[str, str]


_WORKER = "whose data: 'local' for what capture recorded here, else the import's or study participant's id"
_OFFSET = "your local UTC offset at that moment, in seconds (it places the hour on your local clock)"
_SOURCE = "what wrote the row: 'capture', 'derived', an importer ('activitywatch', 'import', ...) or 'demo'"
_BATCH = "the write that stored the row (a number), so a retried write is stored once"
_CASE = "the case an imported row belongs to (an event log's case, a typing study's sentence); empty for capture"

TABLES: dict[str, Table] = {
    "raw_events": Table("raw", "ts", "every input event, as recorded", {
        "ts": "when it happened, UTC, to the microsecond",
        "utc_offset": _OFFSET,
        "kind": "what happened: key_down, key_up, mouse_down, mouse_up, scroll, move, focus, idle_start, idle_end, "
                "pause, resume, start, stop",
        "key_class": "for keys, the class of the key: 'character' for any letter, digit or punctuation, or space, "
                     "enter, backspace, ...; never the key",
        "button": "for clicks, the mouse button (left, middle, right, back, forward, other)",
        "x": "for clicks and scrolls, the pointer's horizontal position on screen, in pixels",
        "y": "for clicks and scrolls, the pointer's vertical position on screen, in pixels",
        "dx": "for scrolls, the horizontal scroll steps",
        "dy": "for scrolls, the vertical scroll steps",
        "distance": "for moves, how far the pointer travelled within one second, in pixels (not its path)",
        "app": "for focus, the application that got focus (its WM_CLASS)",
        "title": "for focus, the window title, only where you allowed titles",
        "pid": "for focus, the process id of the focused application",
        "worker": _WORKER,
        "batch_id": _BATCH,
        "key_seq": "pairs a key's release with its press (a counter, never the key)",
        "case_id": _CASE,
    }),
    "input_totals": Table("raw", "start", "input counts over short periods, as ActivityWatch's input watcher keeps them", {
        "worker": _WORKER,
        "start": "when the period began, UTC",
        "duration_s": "how long the period lasted, in seconds",
        "presses": "key presses in the period",
        "clicks": "mouse clicks in the period",
        "delta_x": "horizontal pointer travel in the period, in pixels",
        "delta_y": "vertical pointer travel in the period, in pixels",
        "scroll_x": "horizontal scrolling in the period",
        "scroll_y": "vertical scrolling in the period",
        "source": _SOURCE,
        "batch_id": _BATCH,
    }),
    "spans": Table("derived", "start", "intervals: which app had focus, and when you were active", {
        "worker": _WORKER,
        "kind": "'focus' (an app had focus) or 'active' (capture ran and you were not idle)",
        "start": "when the interval began, UTC",
        "stop": "when it ended, UTC",
        "utc_offset": _OFFSET,
        "app": "for focus, the application",
        "title": "for focus, the window title, only where you allowed titles",
        "case_id": _CASE,
        "source": _SOURCE,
        "batch_id": _BATCH,
    }),
    "keystrokes": Table("derived", "press", "each key press paired with its release (key classes only)", {
        "worker": _WORKER,
        "case_id": _CASE,
        "press": "when the key went down, UTC",
        "release": "when it came up, UTC",
        "utc_offset": _OFFSET,
        "key_class": "the class of the key ('character', space, enter, ...), never the key",
        "source": _SOURCE,
        "iki_ms": "milliseconds since the previous press in the same typing burst",
        "new_burst": "true when this press starts a typing burst (after a pause of more than 2 s)",
        "rollover": "true when pressed before the previous key was released",
    }),
    "bursts": Table("derived", "start", "typing bursts: runs of key presses without a pause of more than 2 s", {
        "worker": _WORKER,
        "case_id": _CASE,
        "start": "the burst's first press, UTC",
        "stop": "its last press, UTC",
        "utc_offset": _OFFSET,
        "keys": "key presses in the burst",
        "printable": "of them, letters, digits, punctuation and spaces",
        "backspaces": "of them, backspace and delete",
    }),
    "hourly": Table("derived", "hour", "per hour and app: time in focus, active time, switches, input counts", {
        "worker": _WORKER,
        "hour": "the hour, UTC",
        "utc_offset": _OFFSET,
        "app": "the application",
        "focus_s": "seconds it had focus in the hour",
        "active_s": "of them, seconds you were active",
        "switches": "times you switched to it in the hour",
        "key_downs": "key presses while it had focus",
        "clicks": "mouse clicks while it had focus",
        "source": _SOURCE,
    }),
    "steps": Table("derived", "start", "the apps you worked in, in order, grouped into sessions (runs of activity "
                   "without a break of 3 minutes): what the workflow views read", {
        "worker": _WORKER,
        "session_start": "when the session the step belongs to began, UTC (empty before the first one)",
        "step": "the step's place in its session, from 1",
        "start": "when the app got focus, UTC",
        "stop": "when it lost focus, UTC",
        "utc_offset": _OFFSET,
        "app": "the application",
    }),
    "hourly_total": Table("derived", "hour", "per hour, all apps together", {
        "worker": _WORKER,
        "hour": "the hour, UTC",
        "utc_offset": _OFFSET,
        "focus_s": "seconds any app had focus in the hour",
        "active_s": "of them, seconds you were active",
        "switches": "app switches in the hour",
        "key_downs": "key presses in the hour",
        "clicks": "mouse clicks in the hour",
        "source": _SOURCE,
    }),
    "key_counts": Table("derived", "minute", "per minute, how many key presses were letters, digits and punctuation "
                        "(the events store all three as 'character')", {
        "worker": _WORKER,
        "minute": "the minute, UTC",
        "utc_offset": _OFFSET,
        "key_class": "letter, digit or punctuation",
        "presses": "how many presses of that class in the minute",
        "batch_id": _BATCH,
    }),
    "consent_texts": Table("file", "version", "every version of the consent text you were shown, exactly", {
        "version": "the version's number, from 1",
        "sha256": "the text's hash",
        "text": "the text, exactly as shown",
        "scope": "what it covers, as data (the apps you listed are kept only as hashes)",
        "created": "when it was first shown, UTC",
        "consent_scope": "which consent it asks for: 'capture' (recording on this computer) or 'team' (daily "
                         "releases of aggregates to a team you joined) or 'study:<id>' (releases to one study)",
    }),
    "derive_state": Table("derived", "since", "where the upkeep of the derived tables resumes", {
        "worker": _WORKER,
        "step": "which derived table",
        "since": "the time from which it is rebuilt next, UTC",
    }),
    "batches": Table("file", "written_at", "one row per write, so a retried write is stored once", {
        "batch_id": "the write's number",
        "source": "what wrote it: 'capture', an importer and its file, or 'demo'",
        "n_rows": "how many rows it stored",
        "written_at": "when it was stored, UTC",
    }),
    "consent_log": Table("file", "seq", "your consent: each accept and withdrawal", {
        "ts": "when, UTC",
        "action": "'accept' or 'withdraw'",
        "text_version": "the version of the consent text you answered",
        "worker": _WORKER,
        "seq": "the order the answers were given in (it decides, never the clock)",
        "account": "the login that gave the answer",
        "scope": "which consent was answered: 'capture', 'team' or 'study:<id>'; an answer to one never changes another",
    }),
    "team_membership": Table("file", "joined", "the teams you joined: where your daily releases go", {
        "joined": "when you joined, UTC",
        "team": "the team's name",
        "store": "where the team store is (a folder)",
        "worker_id": "the worker id your pseudonym is made from (your login, unless you gave another)",
        "pseudonym": "your pseudonym in the team store: HMAC-SHA256 of the worker id with the organisation's secret",
        "secret": "the organisation's pseudonym secret, kept only in this encrypted file (never shown here); "
                  "cleared when you leave",
        "text_version": "the version of the team consent text you accepted when joining",
        "left_at": "when you left the team (empty while you are in it), UTC",
    }),
    "team_releases": Table("file", "sent", "every daily release sent to a team, exactly as sent", {
        "team": "the team it went to",
        "day": "the local day it is about",
        "key": "its name in the team store",
        "sha256": "the hash of the file as sent, to check the store still holds exactly it",
        "bytes": "the file's size",
        "sent": "when it was last sent, UTC",
        "content": "the release's one row, as JSON: exactly the figures the team store got",
        "pseudonym": "the pseudonym it was released under",
        "store": "the team store it went to",
        "removed": "when you had it removed from the team store (empty while it is there), UTC",
    }),
    "study_membership": Table("file", "joined", "the studies you joined: where their releases go", {
        "joined": "when you joined, UTC",
        "study": "the study's id",
        "store": "where the team store holding the study is (a folder)",
        "definition": "the study as you consented to it (name, purpose, researcher, end date, measures, k), as JSON",
        "worker_id": "the worker id your study pseudonym is made from",
        "pseudonym": "your pseudonym in this study alone: keyed for the study, so no other study nor your team "
                     "can join its data on you",
        "secret": "the organisation's pseudonym secret, kept only in this encrypted file (never shown here); "
                  "cleared when you leave",
        "text_version": "the version of the study consent text you accepted when joining",
        "left_at": "when you left the study (empty while you are in it), UTC",
    }),
    "study_releases": Table("file", "sent", "every daily release sent to a study, exactly as sent", {
        "study": "the study it went to",
        "day": "the local day it is about",
        "key": "its name in the team store",
        "sha256": "the hash of the file as sent, to check the store still holds exactly it",
        "bytes": "the file's size",
        "sent": "when it was last sent, UTC",
        "content": "the release's one row, as JSON: exactly the figures the study got",
        "pseudonym": "the study pseudonym it was released under",
        "store": "the team store it went to",
        "removed": "when it was removed from the store, on leaving the study (empty while it is there), UTC",
    }),
    "access_log": Table("file", "seq", "every read of your data by anyone or anything but you", {
        "seq": "the entry's number, from 1",
        "ts": "when the data was read, UTC",
        "who": "who or what read it (the program, its process id and command line)",
        "what": "what was read: the query or the export and its format",
        "params": "its parameters, as JSON",
        "why": "the reason given",
        "prev_hash": "the previous entry's hash: each entry is chained to the one before",
        "hash": "this entry's hash (sha256 over it and prev_hash): a changed entry no longer matches",
    }),
    "workers": Table("file", "worker", "who is in which team", {
        "worker": _WORKER,
        "team": "the team, if any",
    }),
    "category_rules": Table("file", "priority", "the rules that put apps in categories (yours to edit)", {
        "priority": "the order the rules are tried in, lowest first",
        "pattern": "a regular expression matched against the app's name, any case",
        "category": "the category an app matching it goes to",
    }),
    "meta": Table("file", "key", "the file's own settings", {
        "key": "the setting's name (the schema's version, the macros' digest, whether this is a demo)",
        "value": "its value",
    }),
}


# Columns whose value the inventory never shows as an example (it is on screen and in the CLI's output).
HIDDEN = frozenset({("team_membership", "secret"), ("study_membership", "secret")})


def kept(table: str, raw_days: int, derived_months: int) -> str:
    """How long the table's rows are kept, in words."""
    period = TABLES[table].kept if table in TABLES else "file"
    if period == "raw":
        return f"{raw_days} days"
    if period == "derived":
        return f"{derived_months} months"
    return "as long as the file"


def meaning(table: str, column: str) -> str | None:
    entry = TABLES.get(table)
    return entry.columns.get(column) if entry else None
