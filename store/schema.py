"""The on-disk schema, versioned and migrated forward automatically.

Internally events live in ``raw_events`` with ENUM columns (compact, fast to
filter). Researchers and scripts use the documented, stable ``events`` view,
whose columns only ever gain new ones at the end:

============  =============  ===============================================
column        type           meaning
============  =============  ===============================================
ts            TIMESTAMPTZ    when it happened, UTC, microseconds
utc_offset    INTEGER        the worker's local UTC offset then, in seconds
kind          VARCHAR        key_down, key_up, mouse_down, mouse_up, scroll,
                             move, focus, idle_start, idle_end, pause,
                             resume, start, stop
key_class     VARCHAR        character (any letter, digit or punctuation),
                             space, enter, tab, backspace, modifier,
                             navigation, function, other
button        VARCHAR        left, middle, right, back, forward, other
x, y          INTEGER        pointer position (mouse_down/up, scroll)
dx, dy        INTEGER        scroll steps
distance      DOUBLE         pointer travel in pixels within one wall-clock
                             second, stamped at its first movement (move)
app           VARCHAR        focused application (focus)
title         VARCHAR        window title, only where the title policy allows
pid           INTEGER        process id of the focused app, where known
worker        VARCHAR        pseudonymous worker id ('local' when captured here)
key_seq       BIGINT         pairs a key_up with its key_down (a counter)
case_id       VARCHAR        the case an imported event belongs to
============  =============  ===============================================
"""

from __future__ import annotations

from .errors import SchemaTooNewError
from .txn import transaction

# The vocabulary of what is stored. Append-only: the ENUM order is what is on
# disk; a new value goes at the end, with a migration.
# A key is reduced to one of these classes inside the capture callback; the
# character itself is never stored, logged or queued.
KEY_CLASSES = (
    "letter",
    "digit",
    "punctuation",
    "space",
    "enter",
    "tab",
    "backspace",  # backspace and delete
    "modifier",
    "navigation",
    "function",
    "other",
    # Since version 5 what is stored for every letter, digit and punctuation
    # key: their classes gave away the shape of what was typed (word lengths,
    # capitals, numbers). Per-minute counts of the three stay (key_counts).
    "character",
)
# The classes key_counts counts per minute, and which "character" replaces in events.
CHARACTER_CLASSES = ("letter", "digit", "punctuation")
# The tables that hold what was recorded (not the bookkeeping: meta, batches,
# the consent ledger, category rules): what the consent text lists.
DATA_TABLES = ("raw_events", "spans", "keystrokes", "bursts", "key_counts", "hourly", "hourly_total", "input_totals",
               "steps")
EVENT_KINDS = (
    "key_down",
    "key_up",
    "mouse_down",
    "mouse_up",
    "scroll",
    "move",
    "focus",
    "idle_start",
    "idle_end",
    "pause",
    "resume",
    "start",
    "stop",
)
BUTTONS = ("left", "middle", "right", "back", "forward", "other")


def _enum(values: tuple[str, ...]) -> str:
    # The values are our own constants (never user input), quoted as SQL literals.
    return "ENUM (" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + ")"


_V1 = [
    f"CREATE TYPE event_kind AS {_enum(EVENT_KINDS)}",
    f"CREATE TYPE key_class AS {_enum(KEY_CLASSES)}",
    f"CREATE TYPE mouse_button AS {_enum(BUTTONS)}",
    """CREATE TABLE raw_events (
        ts TIMESTAMPTZ NOT NULL,
        utc_offset INTEGER NOT NULL,
        kind event_kind NOT NULL,
        key_class key_class,
        button mouse_button,
        x INTEGER,
        y INTEGER,
        dx INTEGER,
        dy INTEGER,
        distance DOUBLE,
        app VARCHAR,
        title VARCHAR,
        pid INTEGER,
        worker VARCHAR NOT NULL DEFAULT 'local',
        batch_id UBIGINT NOT NULL
    )""",
    # One row per stored batch: a batch whose id is already here is not stored
    # again, so a retried write can never duplicate events.
    """CREATE TABLE batches (
        batch_id UBIGINT NOT NULL,
        source VARCHAR NOT NULL,
        n_rows INTEGER NOT NULL,
        written_at TIMESTAMPTZ NOT NULL
    )""",
    """CREATE TABLE consent_log (
        ts TIMESTAMPTZ NOT NULL,
        action VARCHAR NOT NULL,
        text_version VARCHAR NOT NULL,
        worker VARCHAR NOT NULL DEFAULT 'local'
    )""",
    """CREATE VIEW events AS
        SELECT ts, utc_offset, kind::VARCHAR AS kind, key_class::VARCHAR AS key_class,
               button::VARCHAR AS button, x, y, dx, dy, distance, app, title, pid, worker
        FROM raw_events""",
]

# Version 2: what the analytics need.
# - key_seq pairs a key_up with its key_down (a counter, never the key), and
#   case_id groups imported events into their case (an event log's case, a
#   typing study's sentence).
# - spans: intervals, derived from raw_events for capture (focus: which app
#   had focus; active: capture running and not idle) and written directly by
#   importers of interval data (ActivityWatch) and event logs (zero-length
#   focus spans, one per event, grouped by case_id).
# - keystrokes: each key press paired with its release.
# - hourly: per worker, UTC hour and app: focus and active seconds, input
#   counts. Small enough to aggregate a thousand workers' year quickly.
# - input_totals: coarse input counts over periods (ActivityWatch's 5-second
#   os.hid.input totals), kept apart from exact events.
_V2 = [
    "ALTER TABLE raw_events ADD COLUMN key_seq BIGINT",
    "ALTER TABLE raw_events ADD COLUMN case_id VARCHAR",
    "CREATE TYPE span_kind AS ENUM ('focus', 'active')",
    """CREATE TABLE spans (
        worker VARCHAR NOT NULL,
        kind span_kind NOT NULL,
        start TIMESTAMPTZ NOT NULL,
        stop TIMESTAMPTZ NOT NULL,
        utc_offset INTEGER NOT NULL,
        app VARCHAR,
        title VARCHAR,
        case_id VARCHAR,
        source VARCHAR NOT NULL,
        batch_id UBIGINT
    )""",
    # new_burst: this press starts a typing burst (the first of its case, or,
    # for captured typing, after a pause of more than 2 s); inside a burst,
    # iki_ms is the time since the previous press and rollover says it came
    # before the previous key was released (both NULL on a burst's first key).
    """CREATE TABLE keystrokes (
        worker VARCHAR NOT NULL,
        case_id VARCHAR,
        press TIMESTAMPTZ NOT NULL,
        release TIMESTAMPTZ,
        utc_offset INTEGER NOT NULL,
        key_class key_class NOT NULL,
        source VARCHAR NOT NULL,
        iki_ms DOUBLE,
        new_burst BOOLEAN NOT NULL,
        rollover BOOLEAN
    )""",
    # Typing bursts: runs of keystrokes (see keystrokes.new_burst).
    """CREATE TABLE bursts (
        worker VARCHAR NOT NULL,
        case_id VARCHAR,
        start TIMESTAMPTZ NOT NULL,
        stop TIMESTAMPTZ NOT NULL,
        utc_offset INTEGER NOT NULL,
        keys INTEGER NOT NULL,
        printable INTEGER NOT NULL,
        backspaces INTEGER NOT NULL
    )""",
    """CREATE TABLE hourly (
        worker VARCHAR NOT NULL,
        hour TIMESTAMPTZ NOT NULL,
        utc_offset INTEGER NOT NULL,
        app VARCHAR,
        focus_s DOUBLE NOT NULL,
        active_s DOUBLE NOT NULL,
        switches INTEGER NOT NULL,
        key_downs INTEGER NOT NULL,
        clicks INTEGER NOT NULL,
        source VARCHAR NOT NULL
    )""",
    """CREATE TABLE input_totals (
        worker VARCHAR NOT NULL,
        start TIMESTAMPTZ NOT NULL,
        duration_s DOUBLE NOT NULL,
        presses INTEGER,
        clicks INTEGER,
        delta_x INTEGER,
        delta_y INTEGER,
        scroll_x INTEGER,
        scroll_y INTEGER,
        source VARCHAR NOT NULL,
        batch_id UBIGINT
    )""",
    # Where incremental derivation resumes, per worker.
    """CREATE TABLE derive_state (
        worker VARCHAR NOT NULL,
        step VARCHAR NOT NULL,
        since TIMESTAMPTZ NOT NULL,
        PRIMARY KEY (worker, step)
    )""",
    # Who is in which team; a worker not listed here is in no team.
    """CREATE TABLE workers (
        worker VARCHAR PRIMARY KEY,
        team VARCHAR
    )""",
    # Apps (and titles) to categories: user-editable regular expressions,
    # matched case-insensitively, lowest priority number first.
    """CREATE TABLE category_rules (
        priority INTEGER NOT NULL,
        pattern VARCHAR NOT NULL,
        category VARCHAR NOT NULL
    )""",
    """INSERT INTO category_rules VALUES
        (10, 'zoom|teams|meet|webex|skype|jitsi', 'Meetings'),
        (20, 'slack|signal|discord|mattermost|telegram|whatsapp|element', 'Chat'),
        (30, 'outlook|thunderbird|mail|evolution|geary', 'Email'),
        (40, 'code|pycharm|jetbrains|intellij|vim|emacs|sublime|eclipse|android studio|xcode|dbeaver', 'Development'),
        (50, 'terminal|alacritty|kitty|konsole|xterm|iterm|tmux|wezterm|gnome-terminal', 'Terminal'),
        (60, 'word|writer|excel|calc|powerpoint|impress|libreoffice|sheets|docs|obsidian|notion|onenote|evince|acrobat|pdf', 'Documents'),
        (70, 'jira|confluence|asana|trello|linear|figma|miro', 'Planning & design'),
        (80, 'firefox|chrome|chromium|safari|edge|brave|browser|opera', 'Web'),
        (90, 'spotify|youtube|netflix|music|vlc', 'Media'),
        (100, 'nautilus|finder|explorer|dolphin|thunar|files', 'Files')""",
    "DROP VIEW events",
    """CREATE VIEW events AS
        SELECT ts, utc_offset, kind::VARCHAR AS kind, key_class::VARCHAR AS key_class,
               button::VARCHAR AS button, x, y, dx, dy, distance, app, title, pid, worker,
               key_seq, case_id
        FROM raw_events""",
]

# Version 3: hourly_total, the hourly rollup without the app: per worker and
# UTC hour. Day, hour and week views read it, a quarter of hourly's rows, so a
# thousand workers' year stays quick. Filled from hourly when migrating.
_HOURLY_TOTAL = """CREATE TABLE hourly_total (
        worker VARCHAR NOT NULL,
        hour TIMESTAMPTZ NOT NULL,
        utc_offset INTEGER NOT NULL,
        focus_s DOUBLE NOT NULL,
        active_s DOUBLE NOT NULL,
        switches INTEGER NOT NULL,
        key_downs INTEGER NOT NULL,
        clicks INTEGER NOT NULL,
        source VARCHAR NOT NULL
    )"""
TOTAL_FROM_HOURLY = """SELECT worker, hour, any_value(utc_offset), sum(focus_s), sum(active_s),
           sum(switches)::INTEGER, sum(key_downs)::INTEGER, sum(clicks)::INTEGER, source
    FROM hourly GROUP BY worker, hour, source"""
_V3 = [_HOURLY_TOTAL, "INSERT INTO hourly_total " + TOTAL_FROM_HOURLY]

# Version 4: the consent ledger is ordered by its own sequence (seq), never by
# the clock: a withdrawal recorded after an accept wins whatever the time
# stamps say (a clock set ahead once must not outlive a withdrawal). Rows
# already there are numbered in the order they were written.
_V4 = [
    "ALTER TABLE consent_log ADD COLUMN seq BIGINT",
    """UPDATE consent_log SET seq = numbered.n
        FROM (SELECT rowid AS rid, row_number() OVER (ORDER BY rowid) AS n FROM consent_log) numbered
        WHERE consent_log.rowid = numbered.rid""",
]

# Version 5: privacy.
# - Stored events no longer tell letters, digits and punctuation apart: all
#   three become "character", in raw_events and keystrokes; key_counts keeps
#   how many of each were pressed per minute (first filled from the events
#   already stored). The ENUM cannot gain a value in place, so the columns go
#   through a temporary type.
# - The consent ledger keeps every version of the consent text (consent_texts:
#   its exact text, hash, and what it covers) and which account gave each
#   consent. In a file where consent was given before, version 1 is the
#   fixed text earlier Workprints showed; elsewhere the first text generated is.
_CLASSES_V5 = _enum(KEY_CLASSES)
_CHARACTER_SQL = "(" + ", ".join(f"'{c}'" for c in CHARACTER_CLASSES) + ")"
LEGACY_CONSENT_TEXT = """\
Workprint records how your computer work flows, on this machine only:
  - when keys go down and up, as a class only (letter, digit, space, ...):
    never which character, so what you type cannot be reconstructed;
  - mouse clicks (button and position), scrolling, and how far the pointer
    travelled each second (not its path);
  - which application has focus, and when (window titles only if you allow them);
  - when you are idle, and when capture is paused, started and stopped.
It is stored in the database file and never leaves this machine unless you share an
aggregate yourself. You can pause capture at any time (python -m capture pause)
and withdraw consent (python -m capture consent --withdraw), which stops it.
"""


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _LIST(values: tuple[str, ...]) -> str:  # noqa: N802 - reads as the SQL it writes
    return "[" + ", ".join(_literal(v) for v in values) + "]"


_V5 = [
    # First, while the tables are as version 1 of the text covered them: it,
    # and what it covered as data (capture.consent_text.scope), the columns read
    # from the catalog as they stand.
    """CREATE TABLE consent_texts (
        version INTEGER PRIMARY KEY,
        sha256 VARCHAR NOT NULL,
        text VARCHAR NOT NULL,
        scope VARCHAR NOT NULL,
        created TIMESTAMPTZ NOT NULL
    )""",
    f"""INSERT INTO consent_texts SELECT 1, sha256({_literal(LEGACY_CONSENT_TEXT)}), {_literal(LEGACY_CONSENT_TEXT)},
        json_object(
            'columns', (SELECT list(table_name || '.' || column_name ORDER BY table_name, column_index)
                        FROM duckdb_columns() WHERE schema_name = 'main' AND list_contains({_LIST(DATA_TABLES)}, table_name)),
            'key_classes', {_LIST(KEY_CLASSES[:11])}, 'titles', [], 'redact', [], 'excluded', [],
            'record_excluded_name', false, 'hours', NULL, 'timezone', 'local', 'raw_days', NULL,
            'derived_months', NULL)::VARCHAR,
        TIMESTAMPTZ '2026-01-01 00:00:00+00'
        WHERE EXISTS (SELECT 1 FROM consent_log)""",  # noqa: S608 - our own constants
    f"CREATE TYPE key_class_v5 AS {_CLASSES_V5}",
    "DROP VIEW events",
    "ALTER TABLE raw_events ALTER COLUMN key_class SET DATA TYPE key_class_v5",
    "ALTER TABLE keystrokes ALTER COLUMN key_class SET DATA TYPE key_class_v5",
    "DROP TYPE key_class",
    f"CREATE TYPE key_class AS {_CLASSES_V5}",
    "ALTER TABLE raw_events ALTER COLUMN key_class SET DATA TYPE key_class",
    "ALTER TABLE keystrokes ALTER COLUMN key_class SET DATA TYPE key_class",
    "DROP TYPE key_class_v5",
    # Presses per minute of each class that events now store as "character".
    """CREATE TABLE key_counts (
        worker VARCHAR NOT NULL,
        minute TIMESTAMPTZ NOT NULL,
        utc_offset INTEGER NOT NULL,
        key_class key_class NOT NULL,
        presses INTEGER NOT NULL,
        batch_id UBIGINT
    )""",
    f"""INSERT INTO key_counts
        SELECT worker, date_trunc('minute', ts), any_value(utc_offset), key_class, count(*)::INTEGER, any_value(batch_id)
        FROM raw_events WHERE kind = 'key_down' AND key_class IN {_CHARACTER_SQL}
        GROUP BY worker, date_trunc('minute', ts), key_class""",  # noqa: S608 - our own constants
    f"UPDATE raw_events SET key_class = 'character' WHERE key_class IN {_CHARACTER_SQL}",  # noqa: S608 - constants
    f"UPDATE keystrokes SET key_class = 'character' WHERE key_class IN {_CHARACTER_SQL}",  # noqa: S608 - constants
    """CREATE VIEW events AS
        SELECT ts, utc_offset, kind::VARCHAR AS kind, key_class::VARCHAR AS key_class,
               button::VARCHAR AS button, x, y, dx, dy, distance, app, title, pid, worker,
               key_seq, case_id
        FROM raw_events""",
    "ALTER TABLE consent_log ADD COLUMN account VARCHAR",
]

# Version 6: the access log (store/accesslog.py): who read data that includes the
# worker's, what, when and why, each entry chained to the one before by its
# hash. Append-only by use: nothing in Workprint updates or deletes a row.
_ACCESS_LOG = [
    """CREATE TABLE access_log (
        seq BIGINT NOT NULL,
        ts TIMESTAMPTZ NOT NULL,
        who VARCHAR NOT NULL,
        what VARCHAR NOT NULL,
        params VARCHAR NOT NULL,
        why VARCHAR NOT NULL,
        prev_hash VARCHAR NOT NULL,
        hash VARCHAR NOT NULL
    )""",
]

# Version 7: steps, the focus spans outside event-log cases in the sessions
# the workflow queries use (runs of activity merged across gaps under 180 s),
# each numbered within its session and a repeat of the app before it left out:
# store/derive.py keeps it up to date as it does hourly, so a year's
# transitions, sequences and variants read it instead of working out every
# session again. Filled from the spans already stored right after migrating
# (store.db.open_writable: derive.rebuild_steps).
_STEPS = [
    """CREATE TABLE steps (
        worker VARCHAR NOT NULL,
        session_start TIMESTAMPTZ,
        step INTEGER NOT NULL,
        start TIMESTAMPTZ NOT NULL,
        stop TIMESTAMPTZ NOT NULL,
        utc_offset INTEGER NOT NULL,
        app VARCHAR NOT NULL
    )""",
]
STEPS_VERSION = 7

# Version 8: team mode, the worker's side (capture/team_control.py, sharing/release.py).
# - Consent per scope: every consent answer and every kept text says which
#   consent it is: 'capture' (recording on this computer, everything before
#   this version) or 'team' (daily releases to a team). Rows already there
#   are 'capture', so capture consent stays exactly as it was.
# - team_membership: the team joined, where its store is, the organisation's
#   pseudonym secret (in this encrypted file, never a plain file; cleared on
#   leaving) and the pseudonym it gives; one row per join.
# - team_releases: every release sent, with the exact row as JSON, so the
#   worker can see what left and check the store still holds exactly that.
_TEAM = [
    "ALTER TABLE consent_log ADD COLUMN scope VARCHAR DEFAULT 'capture'",
    "UPDATE consent_log SET scope = 'capture' WHERE scope IS NULL",
    "ALTER TABLE consent_texts ADD COLUMN consent_scope VARCHAR DEFAULT 'capture'",
    "UPDATE consent_texts SET consent_scope = 'capture' WHERE consent_scope IS NULL",
    """CREATE TABLE team_membership (
        joined TIMESTAMPTZ NOT NULL,
        team VARCHAR NOT NULL,
        store VARCHAR NOT NULL,
        worker_id VARCHAR NOT NULL,
        pseudonym VARCHAR NOT NULL,
        secret VARCHAR,
        text_version INTEGER NOT NULL,
        left_at TIMESTAMPTZ
    )""",
    """CREATE TABLE team_releases (
        team VARCHAR NOT NULL,
        day DATE NOT NULL,
        key VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        bytes BIGINT NOT NULL,
        sent TIMESTAMPTZ NOT NULL,
        content VARCHAR NOT NULL,
        pseudonym VARCHAR NOT NULL,
        store VARCHAR NOT NULL,
        removed TIMESTAMPTZ,
        PRIMARY KEY (store, key)
    )""",
]
TEAM_VERSION = 8

# Version 9: studies, the worker's side (capture/study_control.py, sharing/study_release.py).
# - study_membership: each study joined (several at once), where its store is,
#   the study's definition exactly as consented to (its measures and end date
#   decide what is sent, whatever the store says later), the organisation's
#   secret (cleared on leaving) and the study pseudonym; one row per join.
# - study_releases: every study release sent, with the exact row as JSON, and
#   when it was removed from the store (leaving removes what was sent).
# Study consent is in the consent ledger under the scope 'study:<id>'.
_STUDIES = [
    """CREATE TABLE study_membership (
        joined TIMESTAMPTZ NOT NULL,
        study VARCHAR NOT NULL,
        store VARCHAR NOT NULL,
        definition VARCHAR NOT NULL,
        worker_id VARCHAR NOT NULL,
        pseudonym VARCHAR NOT NULL,
        secret VARCHAR,
        text_version INTEGER NOT NULL,
        left_at TIMESTAMPTZ
    )""",
    """CREATE TABLE study_releases (
        study VARCHAR NOT NULL,
        day DATE NOT NULL,
        key VARCHAR NOT NULL,
        sha256 VARCHAR NOT NULL,
        bytes BIGINT NOT NULL,
        sent TIMESTAMPTZ NOT NULL,
        content VARCHAR NOT NULL,
        pseudonym VARCHAR NOT NULL,
        store VARCHAR NOT NULL,
        removed TIMESTAMPTZ,
        PRIMARY KEY (store, key)
    )""",
]
STUDY_VERSION = 9

# MIGRATIONS[i] takes a database from version i to version i + 1.
MIGRATIONS: list[list[str]] = [_V1, _V2, _V3, _V4, _V5, _ACCESS_LOG, _STEPS, _TEAM, _STUDIES]
SCHEMA_VERSION = len(MIGRATIONS)


def current_version(con) -> int:
    has_meta = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'meta' AND schema_name = 'main'"
    ).fetchall()[0][0]
    if not has_meta:
        return 0
    rows = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    return int(rows[0][0]) if rows else 0


def migrate(con) -> int:
    """Bring the schema up to SCHEMA_VERSION, one transaction per step.

    Raises SchemaTooNewError rather than touching a database from the future.
    Returns the version found before migrating.
    """
    found = current_version(con)
    if found > SCHEMA_VERSION:
        raise SchemaTooNewError(
            f"database schema version {found} is newer than this Workprint "
            f"understands ({SCHEMA_VERSION}); upgrade Workprint"
        )
    for version in range(found, SCHEMA_VERSION):
        with transaction(con):
            if version == 0:
                con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
            for statement in MIGRATIONS[version]:
                con.execute(statement)
            con.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', $v)",
                {"v": str(version + 1)},
            )
    return found
