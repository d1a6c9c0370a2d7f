from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import store
from store import derive
from store import events as ev
from testkit import MovableClock, XSession


def pytest_configure(config):
    """One key folder for the whole session (keys go by the database's path, so
    session-wide fixtures' files keep theirs), never the user's own keyring or
    ~/.config/workprint/keys; subprocesses inherit it. A hook, not import-time
    code: a test's subprocess that imports this module keeps the environment
    the test gave it (WORKPRINT_PLAINTEXT)."""
    os.environ["WORKPRINT_KEY_DIR"] = tempfile.mkdtemp(prefix="wp-keys-")
    os.environ.pop("WORKPRINT_PLAINTEXT", None)


def pytest_unconfigure(config):
    """The session's key folder goes with the session."""
    folder = os.environ.get("WORKPRINT_KEY_DIR", "")
    if Path(folder).name.startswith("wp-keys-"):
        shutil.rmtree(folder, ignore_errors=True)

# Hand-written events are (seconds after T0, kind, *fields) tuples: the writer's
# tuples (see store.events) with a readable time instead of nanoseconds.
S = 1_000_000_000  # nanoseconds per second
T0 = 1_767_261_600 * S  # 2026-01-01 10:00 UTC (a Thursday)
LETTER = ev.KEY_CLASS_INDEX["letter"]

# The hand-worked day the derivation and query tests work out their answers on.
# Spans: active 0-12, 200-300, 400-4000; focus Code 1-10, Firefox 10-205,
# Code 205-300 and 400-4000. Keys: holds 100, 100, 150, 100 ms; the first
# three presses are one burst (intervals 1000 and 50 ms, the 50 ms one a
# rollover), the fourth, an hour later, another.
DAY = (
    (0, ev.START),
    (1, ev.FOCUS, "Code", None, 11),
    (2, ev.KEY_DOWN, LETTER, 1),
    (2.1, ev.KEY_UP, LETTER, 1),
    (3, ev.KEY_DOWN, LETTER, 2),
    (3.05, ev.KEY_DOWN, LETTER, 3),  # rollover: pressed before 2 is released
    (3.1, ev.KEY_UP, LETTER, 2),
    (3.2, ev.KEY_UP, LETTER, 3),
    (10, ev.FOCUS, "Firefox", None, 12),
    (12, ev.IDLE_START),
    (200, ev.IDLE_END),
    (200, ev.MOUSE_DOWN, 0, 5, 5),
    (205, ev.FOCUS, "Code", None, 11),
    (300, ev.PAUSE),
    (400, ev.RESUME),
    (400, ev.FOCUS, "Code", None, 11),
    (3700, ev.KEY_DOWN, LETTER, 4),  # the next hour
    (3700.1, ev.KEY_UP, LETTER, 4),
    (4000, ev.STOP),
)


def _at(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp((T0 + int(seconds * S)) / S, dt.timezone.utc)


def _write_events(con, events, batch: int = 1, offset_of=None) -> None:
    rows = [(T0 + int(e[0] * S), *e[1:]) for e in events]
    offsets = (lambda t_ns: offset_of((t_ns - T0) / S)) if offset_of else None
    store.write_batch(con, batch, ev.to_table(rows, offsets), "test")


def _derived_db(path: Path, events) -> Path:
    con = store.open_writable(path)
    _write_events(con, events)
    derive.refresh(con, "local")
    con.close()
    return path


@pytest.fixture(scope="session")
def at():
    """``at(seconds)``: the UTC instant that many seconds after T0."""
    return _at


@pytest.fixture(scope="session")
def write_events():
    """``write_events(con, events, batch=1, offset_of=None)``: store hand-written
    events as one flush of the writer would; ``offset_of(seconds)`` gives each
    event's UTC offset (default: this machine's)."""
    return _write_events


@pytest.fixture(scope="session")
def derived_db():
    """``derived_db(path, events)``: a database at path holding events, derived."""
    return _derived_db


@pytest.fixture
def day_events():
    """The hand-worked day (see DAY), as a list to write or extend."""
    return list(DAY)


@pytest.fixture(scope="session")
def day_db(tmp_path_factory) -> Path:
    """The hand-worked day in a derived database, once per session. Shared: read
    it, never write it (writable_day_db is a private one)."""
    return _derived_db(tmp_path_factory.mktemp("day") / "day.duckdb", DAY)


@pytest.fixture
def writable_day_db(db: Path) -> Path:
    """The hand-worked day in this test's own database, to change."""
    return _derived_db(db, DAY)


@pytest.fixture
def replay_recording(tmp_path: Path):
    """``replay_recording(records=None, keys=300, span_s=1.0)``: a JSON-lines file
    for ``--backend replay --replay file=PATH``. Without records, ``keys`` letter
    presses each followed by its release, spread evenly over span_s seconds."""
    made = []

    def make(records=None, keys: int = 300, span_s: float = 1.0) -> Path:
        if records is None:
            step = span_s / (2 * keys)
            records = [{"t": step * i, "kind": "key_up" if i % 2 else "key_down", "key_class": "letter",
                        "key_seq": i // 2 + 1} for i in range(2 * keys)]
        path = tmp_path / f"replay-{len(made)}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in records))
        made.append(path)
        return path

    return make


class Holder:
    """Another process with the database file open (DuckDB locks it: a writable
    connection against everyone, a read-only one against writers)."""

    def __init__(self, path: Path, read_only: bool) -> None:
        code = (f"import sys; from testkit import connect; c = connect({str(path)!r}, read_only={read_only}); "
                "print('ok', flush=True); sys.stdin.read()")
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        if self.proc.stdout.readline().strip() != "ok":
            self.proc.kill()
            raise AssertionError(f"could not hold {path} open (exit {self.proc.wait(10)})")

    def release(self) -> None:
        """Close the file and wait until the process has gone."""
        if self.proc.poll() is None:
            self.proc.stdin.close()
            self.proc.wait(10)


@pytest.fixture
def hold_db(db: Path):
    """``hold_db(path=db, read_only=False)``: another process holding a Workprint
    database open (made first if missing) until ``.release()`` or the test ends."""
    holders = []

    def hold(path: Path = db, read_only: bool = False) -> Holder:
        if not Path(path).exists():
            store.open_writable(path).close()
        holders.append(Holder(Path(path), read_only))
        return holders[-1]

    yield hold
    for holder in holders:
        if holder.proc.poll() is None:
            holder.proc.kill()
            holder.proc.wait(10)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A path for a fresh database in a private temp folder."""
    return tmp_path / "workprint.duckdb"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """Keep tests off the user's own database, socket folder and exports.

    The socket folder is short on purpose: Unix socket paths are limited to
    108 bytes, which pytest's tmp_path can exceed.
    """
    run_dir = tempfile.mkdtemp(prefix="wp-")
    monkeypatch.setenv("WORKPRINT_DB", str(tmp_path / "default.duckdb"))
    monkeypatch.setenv("WORKPRINT_RUNTIME_DIR", run_dir)
    monkeypatch.setenv("WORKPRINT_EXPORT_DIR", str(tmp_path / "exports"))
    monkeypatch.delenv("WORKPRINT_BACKEND", raising=False)
    monkeypatch.delenv("WORKPRINT_REPLAY", raising=False)
    yield
    shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def xsession(tmp_path_factory):
    """A real X server with openbox, for the module's tests."""
    session = XSession(tmp_path_factory.mktemp("x")).start()
    yield session
    session.stop()


@pytest.fixture
def consented(db: Path) -> Path:
    from testkit import cli

    cli("consent", "--accept", "--db", str(db))
    return db


# The dashboard tests' demo database: generated once per session, small, and
# ending on a fixed day so that its dates (and screenshots) do not move.
DASHBOARD_DEMO_ARGS = ("--workers", "3", "--teams", "1", "--days", "7", "--end", "2026-11-27")


@pytest.fixture(scope="session")
def dashboard_db(tmp_path_factory) -> Path:
    """A demo database for the dashboard (3 workers, 1 team, 7 days), made by
    ``python -m capture demo`` once per session. Shared: read it, never write it."""
    from testkit import cli

    path = tmp_path_factory.mktemp("dashboard") / "demo.duckdb"
    cli("demo", "--db", str(path), *DASHBOARD_DEMO_ARGS)
    return path


@pytest.fixture
def old_database():
    """``old_database(path, version)``: an empty file as Workprint at schema ``version`` left it."""
    import duckdb

    from store import schema

    def make(path: Path, version: int) -> Path:
        con = duckdb.connect(str(path))
        con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        for step in schema.MIGRATIONS[:version]:
            for statement in step:
                con.execute(statement)
        con.execute("INSERT INTO meta VALUES ('schema_version', $v)", {"v": str(version)})
        con.close()
        return path

    return make


@pytest.fixture
def running_server(monkeypatch):
    """AppTest runs as on a running Streamlit server (see tests/test_dashboard.py's
    _dashboard): without it a click's rerun loses the click. Returns a setter:
    ``running_server(False)`` makes the next runs first visits again."""
    from streamlit.runtime.pages_manager import PagesManager

    state = {"running": True}
    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        if state["running"]:
            PagesManager.uses_pages_directory = False
        original(self, *args, **kwargs)

    monkeypatch.setattr(PagesManager, "__init__", init)
    return lambda running: state.update(running=running)



@pytest.fixture
def clock(monkeypatch):
    """The team server's clock (team.accounts.now), moved by a test instead of slept."""
    from team import accounts

    c = MovableClock()
    monkeypatch.setattr(accounts, "now", c)
    return c
