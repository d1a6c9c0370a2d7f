"""Controlling capture from outside the daemon: the one place the command line
and the dashboard both go through.

It gives and withdraws consent, starts the daemon detached, stops, pauses and
resumes it, reports its status (or an offline status when nothing runs),
edits category rules, purges expired rows and deletes what the worker asks
(both compacting the file), brings an older database forward, makes the demo,
and answers the worker's rights: export, the inventory, the access log.
While a daemon runs for the database it asks the daemon over its socket
(the daemon holds the file); otherwise it opens the file itself. Every
failure is a :class:`ControlError` whose message is meant for the worker.

It never imports the daemon, the backends or the writer: starting capture
runs ``python -m capture run`` in its own session, which outlives whoever
started it.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import tomlkit

import store
from store import accesslog, client, compact, deletion, retention, statements
from store import export as store_export
from store import inventory as store_inventory
from store.paths import PROJECT_ROOT, Paths, export_dir, private_files, private_folder

from . import consent_text as consent_text_of
from . import settings as settings_file

START_TIMEOUT = 15.0
STOP_TIMEOUT = 60.0


class ControlError(RuntimeError):
    """What the worker asked for could not be done; the message says why."""


class NotRunning(ControlError):
    """No capture daemon runs for this database."""


# --- settings -------------------------------------------------------------------
def load_settings(paths: Paths) -> settings_file.Settings:
    """The settings in force for this database; ControlError says what is wrong with the file."""
    try:
        return settings_file.load(paths.settings)
    except settings_file.SettingsError as exc:
        raise ControlError(str(exc)) from None


def change_settings(paths: Paths, changes: dict) -> settings_file.Settings:
    """Change dotted keys of the settings file (None removes one). A running
    daemon puts them in force at once (it would within a second anyway).
    SettingsError (a ValueError) names what is wrong; nothing is written then."""
    private_files()
    private_folder(paths.settings.parent)
    new = settings_file.update(paths.settings, changes)
    try:
        client.request(paths, "reload", timeout=5)
    except (client.NotRunning, client.DaemonError, OSError):
        pass  # not running: it reads the file when it starts
    return new


def pause_until(paths: Paths, until: dt.datetime | None) -> settings_file.Settings:
    """Pause capture until ``until`` (aware), kept in the settings so a
    restart keeps it; None ends it."""
    return change_settings(paths, {"pause.until": until})


_DURATION = re.compile(r"^\s*(?:(\d+)\s*d(?:ays?)?)?\s*(?:(\d+)\s*h(?:ours?)?)?\s*(?:(\d+)\s*m(?:in(?:utes?)?)?)?\s*$")


def parse_duration(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """When a pause "for 30m" (or 2h, 1h30m, 1d, 45 min) ends; ValueError if unclear."""
    match = _DURATION.match(text or "")
    if not match or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration: give e.g. 30m, 2h, 1h30m or 1d")
    days, hours, minutes = (int(g or 0) for g in match.groups())
    span = dt.timedelta(days=days, hours=hours, minutes=minutes)
    if not dt.timedelta(0) < span <= dt.timedelta(days=366):
        raise ValueError(f"{text!r}: a pause lasts from a minute to a year")
    return (now or dt.datetime.now(dt.timezone.utc)) + span


def tomorrow(now: dt.datetime | None = None) -> dt.datetime:
    """The start of tomorrow, local time (DST-correct)."""
    local = (now or dt.datetime.now(dt.timezone.utc)).astimezone()
    day = local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time()).astimezone()


def parse_when(text: str, now: dt.datetime | None = None) -> dt.datetime:
    """When a pause "until ..." ends: tomorrow, 17:30 (the next one), or an ISO time."""
    now = now or dt.datetime.now(dt.timezone.utc)
    text = (text or "").strip().lower()
    if text == "tomorrow":
        return tomorrow(now)
    try:
        clock_time = dt.time.fromisoformat(text)
    except ValueError:
        pass
    else:
        local = now.astimezone()
        at = dt.datetime.combine(local.date(), clock_time).astimezone()
        return at if at > now else dt.datetime.combine(local.date() + dt.timedelta(days=1), clock_time).astimezone()
    try:
        at = dt.datetime.fromisoformat(text.upper())
    except ValueError:
        raise ValueError(f"{text!r} is not a time: give tomorrow, 17:30, or 2026-12-01T17:30+01:00") from None
    at = at if at.tzinfo else at.astimezone()
    if at <= now:
        raise ValueError(f"{text!r} has passed already")
    return at


def settings_toml(settings: settings_file.Settings) -> str:
    """The settings in force, as TOML (what a file with them would say)."""
    data = settings.model_dump(mode="python", exclude_none=True)
    return tomlkit.dumps(data)


def setting(settings: settings_file.Settings, key: str):
    """One setting by its dotted key; ValueError names a key that is not there."""
    value = settings.model_dump(mode="python")
    for part in key.split("."):
        if not isinstance(value, dict) or part not in value:
            raise ValueError(f"no setting {key!r}; see: python -m capture settings")
        value = value[part]
    return value


def consent_text(paths: Paths) -> str:
    """The consent text for the settings now in the file."""
    return consent_text_of.generate(load_settings(paths), paths.db)


def consent_standing(paths: Paths) -> dict:
    """Where consent stands (capture.consent_text.standing), from the running
    daemon or the file. ``version`` is None for a text not yet kept (it is
    kept when accepted)."""
    settings = load_settings(paths)
    text = consent_text_of.generate(settings, paths.db)
    answer = running(paths)
    if answer and answer.get("consent", {}).get("sha256") == consent_text_of.digest(text):
        standing = {**answer["consent"], "text": text}  # the daemon's, for the text the file's settings give
        if standing.get("accepted_at"):
            standing["accepted_at"] = dt.datetime.fromisoformat(standing["accepted_at"])
        return standing
    empty = {"text": text, "sha256": consent_text_of.digest(text), "version": None, "given": False,
             "accepted_version": None, "accepted_at": None, "action": None, "more": [], "covered": False}
    if not paths.db.exists():
        return empty
    try:
        con = store.open_read_only(paths.db)
    except store.StoreError as exc:
        raise ControlError(str(exc)) from None
    try:
        if store.needs_upgrade(con):
            return empty | {"note": "the database was written by an older Workprint: it is upgraded when capture "
                                    "starts or consent is given"}
        return consent_text_of.standing(con, settings, paths.db, register=False)
    finally:
        con.close()


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
    if status["consent"]:
        try:
            standing = consent_standing(paths)
        except ControlError as exc:
            status["settings_error"] = str(exc)
        else:
            status["consent_version"] = standing["accepted_version"]
            status["consent_more"] = standing["more"]
    return status


def unreadable(paths: Paths) -> str | None:
    """Why the database cannot be read at all (its key is gone, a newer format,
    a corrupt file), or None: it reads, is missing, or is busy for a moment."""
    if not paths.db.exists() or running(paths):
        return None
    try:
        store.open_read_only(paths.db).close()
    except store.LockedError:
        return None
    except store.StoreError as exc:
        return str(exc)
    return None


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


def accept(paths: Paths, sha256: str | None = None) -> int:
    """Consent to the current consent text; capture may record from now on.
    ``sha256`` is the hash of the text the worker read: if the text has
    changed since (the settings did), nothing is recorded and ControlError
    says so. A withdrawal still waiting to be written (see withdraw) is
    written first. Returns the version accepted."""
    settings = load_settings(paths)
    text = consent_text_of.generate(settings, paths.db)
    if sha256 is not None and sha256 != consent_text_of.digest(text):
        raise ControlError("that hash is not the consent text's now: the settings changed since you read it, or "
                           "the hash was mistyped; read it again (python -m capture consent), with its hash")
    if running(paths):
        try:
            current = client.request(paths, "reload")["consent"]  # the daemon reads the same settings first
            if current.get("sha256") != consent_text_of.digest(text):
                raise ControlError("the consent text changed since you read it (the settings changed); read it again")
            answer = client.request(paths, "accept", version=current["version"])
        except client.DaemonError as exc:
            raise ControlError(str(exc)) from None
        except client.NotRunning:
            return accept(paths, sha256)
        return answer["consent"]["accepted_version"]

    def record(con):
        if store.marked_demo(con):
            raise ControlError(f"{paths.db} {store.DEMO_REFUSED}")
        store.settle_withdrawal(con, paths.withdrawal)
        version = store.register_text(con, text, consent_text_of.scope_json(settings))
        store.record_consent(con, accepted=True, version=version)
        return version

    return _with_file(paths, record)


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


def _unreadable_demo(db: Path) -> bool:
    """True if the file at the demo's place cannot be opened by this Workprint
    at all: written by DuckDB 2.0, or encrypted with a key that is gone."""
    try:
        store.open_read_only(db).close()
    except (store.FormatTooNewError, store.KeyMissingError, store.WrongKeyError):
        return True
    except store.StoreError:
        return False
    return False


def demo_ready(db: Path) -> bool:
    """True if a current demo this Workprint can open is at ``db`` (else ensure_demo makes one)."""
    return db.exists() and not needs_upgrade(db) and not _unreadable_demo(db)


def ensure_demo(db: Path) -> None:
    """Generate the demo database at ``db`` unless a current one is there.

    An outdated demo is made again rather than migrated: it is generated data.
    A file there that is not a demo (real data, or not readable) is never
    deleted: ControlError says so. One this Workprint cannot open at all
    (DuckDB 2.0's format, or its key gone) is renamed aside and made again.
    """
    if db.exists() and _unreadable_demo(db):
        # Generated data that this Workprint cannot open (DuckDB 2.0's format, its key gone): set
        # aside, never deleted (whatever it is), and made again.
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for stale in (db, db.with_name(db.name + ".wal")):
            if stale.exists():
                stale.rename(stale.with_name(f"{stale.name}.unreadable-{stamp}"))
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



# --- retention and deletion ---------------------------------------------------
WRITE_TIMEOUT = 660.0  # a deletion or purge and its compaction, on a large file (the daemon allows 600 s)


def _through_daemon_or_file(paths: Paths, op: str, fields: dict, offline):
    """Ask the daemon to run ``op``; without one, ``offline()`` on the file.
    A refusal of the daemon's comes back as ControlError."""
    try:
        return client.request(paths, op, timeout=WRITE_TIMEOUT, **fields)
    except client.NotRunning:
        pass
    except client.DaemonError as exc:
        raise ControlError(f"the capture daemon could not {op.replace('_', ' ')}: {exc}") from None
    try:
        return offline()
    except store.LockedError:
        raise ControlError(f"{paths.db} is in use by another program (an import, or capture starting or stopping). "
                           "Try again in a moment.") from None
    except store.StoreError as exc:
        raise ControlError(str(exc)) from None


def purge(paths: Paths) -> dict:
    """Purge what capture recorded beyond the retention periods (the settings'),
    now, and compact the file: ``{"deleted": {table: rows}, "compaction": {...}
    or None}``. Imported data is kept until deleted."""
    kept = load_settings(paths).retention

    def offline():
        con = store.open_writable(paths.db)
        try:
            deleted = retention.purge(con, dt.datetime.now(dt.timezone.utc), kept.raw_days, kept.derived_months,
                                      worker="local")
        finally:
            con.close()
        return {"deleted": deleted, "compaction": compact.compact_file(paths.db) if any(deleted.values()) else None}

    return _through_daemon_or_file(paths, "purge", {}, offline)


def retention_state(paths: Paths) -> dict:
    """What the page shows of retention: the periods in force (the settings),
    per table the oldest row held and how many, when the file was last purged
    and when the next purge is due (a running daemon purges then; capture not
    running purges when it starts)."""
    kept = load_settings(paths).retention
    if not paths.db.exists():
        state = {"tables": {}, "last_purge": None}
    else:
        try:
            state = client.call(paths, "retention", retention.state)
        except store.StoreError as exc:
            raise ControlError(str(exc)) from None
        except client.DaemonError as exc:
            raise ControlError(f"the capture daemon could not say what it holds: {exc}") from None
    last = dt.datetime.fromisoformat(state["last_purge"]) if state["last_purge"] else None
    tables = {t: {"oldest": dt.datetime.fromisoformat(v["oldest"]) if v["oldest"] else None, "rows": v["rows"],
                  "kept": f"{kept.raw_days} days" if t in retention.RAW_TABLES else f"{kept.derived_months} months"}
              for t, v in state["tables"].items()}
    return {"raw_days": kept.raw_days, "derived_months": kept.derived_months, "tables": tables,
            "last_purge": last, "next_purge": retention.next_purge(last), "running": bool(running(paths))}


def _fields(chosen: deletion.Selection) -> dict:
    return {"start": chosen.start.isoformat() if chosen.start else None,
            "stop": chosen.stop.isoformat() if chosen.stop else None,
            "app": chosen.app, "everything": chosen.everything, "worker": chosen.worker}


def delete_preview(paths: Paths, start=None, stop=None, app=None, everything: bool = False,
                   worker: str | None = None) -> dict:
    """What delete with the same arguments would remove (store.deletion.preview).
    ValueError says what is wrong with the request, before anything is read."""
    chosen = deletion.selection(start, stop, app, everything, worker)

    def offline():
        if not paths.db.exists():
            raise store.StoreError(f"no database at {paths.db} yet: nothing to delete")
        con = store.open_writable(paths.db)
        try:
            return deletion.preview(con, chosen.start, chosen.stop, chosen.app, everything=chosen.everything,
                                    worker=chosen.worker)
        finally:
            con.close()

    return _through_daemon_or_file(paths, "delete_preview", _fields(chosen), offline)


def delete(paths: Paths, start=None, stop=None, app=None, everything: bool = False, worker: str | None = None) -> dict:
    """Delete a range, an app or everything, rebuild the derived tables for
    what remains and compact the file, so the deleted bytes are gone from it
    (through the daemon while it runs). ValueError says what is wrong with the
    request, and nothing is deleted."""
    chosen = deletion.selection(start, stop, app, everything, worker)

    def offline():
        if not paths.db.exists():
            raise store.StoreError(f"no database at {paths.db} yet: nothing to delete")
        return deletion.delete_file(paths.db, chosen.start, chosen.stop, chosen.app, everything=chosen.everything,
                                    worker=chosen.worker)

    return _through_daemon_or_file(paths, "delete", _fields(chosen), offline)

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


def inventory(paths: Paths, raw_days: int | None = None, derived_months: int | None = None) -> list[dict]:
    """What is kept: one dict per stored column (table, column, type, meaning,
    example, kept, rows), from the file's own schema; ``raw_days`` and
    ``derived_months`` are the retention periods to state (default: the settings')."""
    kept = load_settings(paths).retention
    raw_days = kept.raw_days if raw_days is None else raw_days
    derived_months = kept.derived_months if derived_months is None else derived_months
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
