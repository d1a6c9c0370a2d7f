"""Controlling capture from outside the daemon: the one place the command line
and the dashboard both go through.

It gives and withdraws consent, starts the daemon detached, stops, pauses and
resumes it, reports its status (or an offline status when nothing runs),
edits category rules, brings an older database forward, makes the demo,
and answers the worker's rights: export, the inventory, the access log.
While a daemon runs for the database it asks the daemon over its socket
(the daemon holds the file); otherwise it opens the file itself. Every
failure is a :class:`ControlError` whose message is meant for the worker.

It never imports the daemon, the backends or the writer: starting capture
runs ``python -m capture run`` in its own session, which outlives whoever
started it.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb

import store
from store import accesslog, client, statements
from store import export as store_export
from store import inventory as store_inventory
from store.paths import PROJECT_ROOT, Paths, export_dir, private_files, private_folder

CONSENT_TEXT = """\
Workprint records how your computer work flows, on this machine only:
  - when keys go down and up, as a class only (letter, digit, space, ...):
    never which character, so what you type cannot be reconstructed;
  - mouse clicks (button and position), scrolling, and how far the pointer
    travelled each second (not its path);
  - which application has focus, and when (window titles only if you allow them);
  - when you are idle, and when capture is paused, started and stopped.
It is stored in {db} and never leaves this machine unless you share an
aggregate yourself. You can pause capture at any time (python -m capture pause)
and withdraw consent (python -m capture consent --withdraw), which stops it.
"""

START_TIMEOUT = 15.0
STOP_TIMEOUT = 60.0


class ControlError(RuntimeError):
    """What the worker asked for could not be done; the message says why."""


class NotRunning(ControlError):
    """No capture daemon runs for this database."""


def consent_text(paths: Paths) -> str:
    return CONSENT_TEXT.format(db=paths.db)


# --- status -----------------------------------------------------------------
def running(paths: Paths, timeout: float = 2.0) -> dict | None:
    """The daemon's status, or None when no daemon answers for this database."""
    try:
        return client.request(paths, "status", timeout=timeout)
    except (client.NotRunning, client.DaemonError, OSError):
        return None


def offline_status(paths: Paths) -> dict:
    """What the file says while no daemon runs (a ``note`` when it cannot be read)."""
    status = {"running": False, "db": str(paths.db)}
    if withdrawal_pending(paths):
        status["withdrawal_pending"] = True
    try:
        con = store.open_read_only(paths.db)
    except store.StoreError as exc:
        status["note"] = str(exc)
        return status
    try:
        status["events_stored"] = statements.scalar(con, "events_stored")
        last = statements.scalar(con, "last_stop")
        status["last_stop"] = last.isoformat() if last else None
        status["consent"] = store.consent_given(con) and not withdrawal_pending(paths)
    finally:
        con.close()
    return status


def status(paths: Paths) -> dict:
    """The running daemon's status, else the offline one."""
    return running(paths) or offline_status(paths)


def _lock_free(paths: Paths) -> bool:
    """True unless a daemon still holds ``<db>.lock`` (it lets go after closing the file)."""
    try:
        fd = os.open(paths.lock, os.O_RDONLY)
    except FileNotFoundError:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing releases the flock if we got it
    return True


def wait_stopped(paths: Paths, timeout: float = STOP_TIMEOUT) -> bool:
    """Wait until the daemon for ``paths`` has gone: its socket removed and the
    file closed (its lock released), so the file can be opened at once. False
    on time-out."""
    deadline = time.monotonic() + timeout
    while paths.socket.exists() or not _lock_free(paths):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# --- consent ----------------------------------------------------------------
def _with_file(paths: Paths, action):
    """Run ``action(con)`` on the file opened for writing (no daemon holds it)."""
    try:
        con = store.open_writable(paths.db)
    except store.LockedError:
        raise ControlError(
            f"{paths.db} is in use by another program (an import, or capture starting or stopping). "
            "Try again in a moment."
        ) from None
    except store.StoreError as exc:
        raise ControlError(str(exc)) from None
    try:
        return action(con)
    except duckdb.Error as exc:
        raise ControlError(f"{paths.db} could not be written: {exc}") from None
    finally:
        con.close()


def accept(paths: Paths) -> None:
    """Record the worker's consent; capture may start from now on. A withdrawal
    still waiting to be written (see withdraw) is written first."""
    if running(paths):  # a daemon only runs with consent: nothing to record
        return

    def record(con):
        if store.marked_demo(con):
            raise ControlError(f"{paths.db} {store.DEMO_REFUSED}")
        store.settle_withdrawal(con, paths.withdrawal)
        store.record_consent(con, accepted=True)

    _with_file(paths, record)


def withdrawal_pending(paths: Paths) -> bool:
    """True while a withdrawal is in effect but not yet written to the file."""
    return paths.withdrawal.exists()


def withdraw(paths: Paths) -> bool:
    """Withdraw consent. A running daemon stops capture at once and keeps
    nothing captured from then on. When the withdrawal cannot be written (a
    full disk), it is marked beside the file instead (withdrawal_pending):
    capture cannot start until it is written, which happens at the next open.
    Returns True if capture was running (and has stopped)."""
    try:
        client.request(paths, "withdraw")
    except client.NotRunning:
        written = store.withdraw(lambda: _with_file(paths, lambda con: store.record_consent(con, accepted=False)),
                                 paths.withdrawal)
        if written == "unrecorded":
            raise ControlError(f"the withdrawal could not be written to {paths.db}, nor noted beside it; "
                               "capture is not running, so nothing is being recorded") from None
        return False
    except client.DaemonError as exc:
        raise ControlError(f"the capture daemon could not take the withdrawal: {exc}") from None
    if not wait_stopped(paths):
        raise ControlError("consent is withdrawn, but capture is taking long to stop")
    return True


# --- the daemon ---------------------------------------------------------------
def _request(paths: Paths, op: str, **fields) -> dict:
    try:
        return client.request(paths, op, **fields)
    except client.NotRunning:
        raise NotRunning(f"no capture daemon is running for {paths.db}") from None
    except client.DaemonError as exc:
        raise ControlError(f"the capture daemon could not {op}: {exc}") from None


def start(paths: Paths, args: tuple[str, ...] = (), timeout: float = START_TIMEOUT) -> dict:
    """Start the daemon detached (it outlives the caller) and return its status
    once it answers. ControlError carries what it said if it did not start."""
    already = running(paths)
    if already:
        return already
    private_files()
    private_folder(paths.db.parent)
    seen = paths.log.stat().st_size if paths.log.exists() else 0
    with open(os.open(paths.log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "ab") as log:
        os.chmod(paths.log, 0o600)  # a log an older Workprint left open to others
        daemon = subprocess.Popen(
            [sys.executable, "-m", "capture", "run", "--db", str(paths.db), *args],
            cwd=PROJECT_ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and daemon.poll() is None:
        answer = running(paths)
        if answer:
            return answer
        time.sleep(0.1)
    answer = running(paths)
    if answer:
        return answer
    raise ControlError(_said_since(paths.log, seen) or f"capture did not start within {timeout:.0f} s")


def _said_since(log: Path, offset: int, lines: int = 6) -> str:
    """The last few distinct lines the log got since ``offset``."""
    with open(log, "rb") as handle:
        handle.seek(offset)
        said = list(dict.fromkeys(handle.read().decode(errors="replace").splitlines()))
    return "\n".join(said[-lines:])


def stop(paths: Paths, timeout: float = STOP_TIMEOUT) -> None:
    """Stop the daemon and wait until it has flushed everything and gone."""
    _request(paths, "stop")
    if not wait_stopped(paths, timeout):
        raise ControlError(f"capture is taking longer than {timeout:.0f} s to stop")


def set_paused(paths: Paths, paused: bool) -> bool:
    """Pause or resume recording input; True if that changed anything."""
    return bool(_request(paths, "pause" if paused else "resume").get("changed"))


def edit_categories(paths: Paths, add: dict | None = None, remove: str | None = None) -> list[list]:
    """Change the category rules (through the daemon while it runs); every rule, by priority.
    With nothing to change, only reads them. ValueError says what the change got wrong
    (an invalid pattern, a rule that is not there)."""
    if add is None and remove is None:
        try:
            table = client.read(paths, statements.named()["category_rules_all"].sql)
        except store.StoreError as exc:
            raise ControlError(str(exc)) from None
        return [list(row) for row in zip(*(column.to_pylist() for column in table.columns))]
    try:
        return client.request(paths, "categories", add=add, remove=remove)["rules"]
    except client.NotRunning:
        return _with_file(paths, lambda con: store.edit_category_rules(con, add, remove))
    except client.DaemonError as exc:
        raise ValueError(str(exc)) from None


# --- upgrading ----------------------------------------------------------------
def needs_upgrade(db: Path) -> bool:
    """True if the file at ``db`` was written by an older Workprint (schema or macros)."""
    if not db.exists():
        return False
    try:
        con = store.open_read_only(db)
    except store.StoreError:
        return False  # a reader will say what is wrong with it
    try:
        return store.needs_upgrade(con)
    finally:
        con.close()


def upgrade(paths: Paths) -> None:
    """Bring an older database forward. A running daemon did so when it opened
    the file; a file that cannot be opened is left untouched."""
    if running(paths) or not needs_upgrade(paths.db):
        return
    try:
        store.open_writable(paths.db, set_aside_corrupt=False).close()
    except store.StoreError as exc:
        raise ControlError(f"{paths.db} was written by an older Workprint and could not be upgraded: {exc}") from None


def _is_demo(db: Path) -> bool:
    try:
        con = store.open_read_only(db)
    except store.StoreError:
        return False
    try:
        return store.is_demo(con)
    finally:
        con.close()


def ensure_demo(db: Path) -> None:
    """Generate the demo database at ``db`` unless a current one is there.

    An outdated demo is made again rather than migrated: it is generated data.
    A file there that is not a demo (real data, or not readable) is never
    deleted: ControlError says so.
    """
    if db.exists() and needs_upgrade(db):
        if not _is_demo(db):
            raise ControlError(f"{db} is where the demo goes, but it is not a demo database: it is left as it is; "
                               "point WORKPRINT_DEMO_DB elsewhere")
        for stale in (db, db.with_name(db.name + ".wal")):
            stale.unlink(missing_ok=True)
    if db.exists():
        return
    private_folder(db.parent)
    result = subprocess.run(
        [sys.executable, "-m", "capture", "demo", "--db", str(db)],
        cwd=PROJECT_ROOT, capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise ControlError(f"could not generate the demo data: {result.stderr.strip() or result.stdout.strip()}")



# --- export, inventory, access log ---------------------------------------------
EXPORT_FORMATS = store_export.FORMATS


def export_folder() -> Path:
    """The one folder exports go to (``~/Workprint exports``, or ``$WORKPRINT_EXPORT_DIR``)."""
    return export_dir()


def export(paths: Paths, fmt: str, to: str | None = None, why: str | None = None) -> dict:
    """Export everything held in the database as ``fmt`` (EXPORT_FORMATS) to
    ``to``, a name under export_folder() (default: dated). Works while capture
    runs. The export is written to the access log. Returns the path, format,
    bytes and rows per table (or events per ActivityWatch bucket)."""
    try:
        return store_export.write(paths, fmt, to, why)
    except store_export.ExportError as exc:
        raise ControlError(str(exc)) from None
    except store.LockedError:
        raise ControlError(f"{paths.db} is in use by another program (an import, or capture starting or "
                           "stopping). Try again in a moment.") from None
    except store.StoreError as exc:
        raise ControlError(str(exc)) from None
    except client.DaemonError as exc:
        raise ControlError(f"the capture daemon could not export: {exc}") from None


def inventory(paths: Paths, raw_days: int = store_inventory.RAW_DAYS,
              derived_months: int = store_inventory.DERIVED_MONTHS) -> list[dict]:
    """What is kept: one dict per stored column (table, column, type, meaning,
    example, kept, rows), from the file's own schema; ``raw_days`` and
    ``derived_months`` are the retention periods to state."""
    try:
        return client.call(paths, "inventory", lambda con: {"rows": store_inventory.inventory(con, raw_days, derived_months)},
                           raw_days=raw_days, derived_months=derived_months)["rows"]
    except store.StoreError as exc:
        raise ControlError(str(exc)) from None
    except client.DaemonError as exc:
        raise ControlError(f"the capture daemon could not list what is kept: {exc}") from None


def access_log(paths: Paths) -> dict:
    """The access log: ``entries`` (seq, when, who, what, params, why), and the
    chain's state: ``intact`` (bool), ``bad_entry`` (the first bad one's
    number, or None) and ``state`` ("intact (N entries)" or "broken at entry
    N: ...")."""
    upgrade(paths)  # a file from before the access log gets its (empty) table
    try:
        return client.call(paths, "access_log", lambda con: accesslog.report(con, paths.access_head))
    except store.StoreError as exc:
        raise ControlError(str(exc)) from None
    except client.DaemonError as exc:
        raise ControlError(f"the capture daemon could not read the access log: {exc}") from None
