"""The capture daemon: one per database, refusing to start without consent.

It owns the database file for as long as it runs (DuckDB allows one writing
process), writes through :class:`~capture.writer.Writer`, and answers readers
and control commands on a private Unix socket (:mod:`capture.server`).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import logging
import os
import signal
import threading
import time
from dataclasses import dataclass, field

import store
from store import accesslog, deletion, inventory, retention, statements
from store.events import START, STOP
from store.paths import Paths, private_folder
from store.server import QueryServer

from . import backends, clock, consent_text, study_control, team_control
from . import settings as settings_file
from .policy import Policy
from .recorder import Recorder
from .writer import Writer

log = logging.getLogger("workprint.daemon")


FILE_LOST = 5  # exit code: the database file was deleted or replaced under the daemon


class DaemonStartError(RuntimeError):
    """The daemon cannot start; the message says why and what to do."""

    exit_code = 2


class AlreadyRunning(DaemonStartError):
    exit_code = 4


CAPTURED = "local"  # the worker capture records; retention purges their rows (imports are kept until deleted)
TICK = 0.5  # seconds between looks at the settings file, the clock and the backend


@dataclass
class Settings:
    """How this run works (the command line's options). What is recorded,
    when, and for how long is in the settings file (capture.settings)."""

    backend: str | None = None
    backend_options: dict = field(default_factory=dict)
    idle_threshold: float = 180.0
    flush_interval: float = 1.0
    lock_wait: float = 10.0


class InstanceLock:
    """An flock on ``<db>.lock``: released by the kernel even after SIGKILL."""

    def __init__(self, paths: Paths) -> None:
        self.path = paths.lock
        self.db = paths.db
        self._fd: int | None = None

    def acquire(self) -> None:
        private_folder(self.path.parent)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"another capture daemon (pid {holder}) is already running on {self.db}; "
                "stop it with: python -m capture stop"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


# How often the daemon purges expired rows (it also does at start); tests set it shorter.
PURGE_SECONDS = float(os.environ.get("WORKPRINT_PURGE_SECONDS", retention.PURGE_INTERVAL.total_seconds()))
WRITE_OP_SECONDS = 600.0  # a deletion or purge with its compaction, on a large file
# After a release that failed (the team store unreachable, say), the next try waits this long.
RELEASE_RETRY_SECONDS = float(os.environ.get("WORKPRINT_RELEASE_RETRY_SECONDS", 300))


class Daemon:
    def __init__(self, paths: Paths, settings: Settings, purge_seconds: float = PURGE_SECONDS) -> None:
        self.paths = paths
        self.settings = settings
        self.purge_seconds = purge_seconds
        self._purge_at = 0.0
        self._purging = None  # the daily purge's Future while it runs
        self._released_on: dt.date | None = None  # the local day the daily release last ran on
        self._release_at = 0.0  # no release try before this (monotonic), after a failed one
        self._releasing = None  # the daily release's Future while it runs
        self.db = store.Database(paths.db)
        self.recorder = Recorder()
        self.file_settings: settings_file.Settings | None = None
        self.policy: Policy | None = None
        self.settings_error: str | None = None
        self.consent: dict = {}
        self._stamp: tuple | None = None
        self._applied_at: float | None = None
        self._tick_lock = threading.Lock()
        self._last_tick_ns = clock.now_ns()
        self.started = dt.datetime.now(dt.timezone.utc)
        self.stop_requested = threading.Event()
        self.exit_reason: str | None = None
        self._lock = InstanceLock(paths)
        self.backend = None
        self.writer: Writer | None = None
        self.server: QueryServer | None = None

    # --- start ------------------------------------------------------------------
    def _open_and_check_consent(self) -> None:
        deadline = time.monotonic() + self.settings.lock_wait
        while True:
            try:
                cursor = self.db.cursor()
                break
            except store.LockedError as exc:
                if time.monotonic() > deadline:
                    raise DaemonStartError(f"{exc}; close it and start capture again") from None
                time.sleep(0.2)
            except store.StoreError as exc:
                raise DaemonStartError(str(exc)) from None
        try:
            if store.marked_demo(cursor):
                raise DaemonStartError(f"{self.paths.db} {store.DEMO_REFUSED}")
            try:
                store.settle_withdrawal(cursor, self.paths.withdrawal)
            except Exception as exc:  # noqa: BLE001 - any failure to write it keeps capture off
                raise DaemonStartError(
                    f"consent was withdrawn, and that could not be written to {self.paths.db} yet ({exc}); "
                    "capture cannot start until it is"
                ) from None
            if not store.consent_given(cursor):
                raise DaemonStartError(
                    "capture needs your consent first. Read what Workprint records "
                    "(python -m capture consent), then accept with: python -m capture consent --accept"
                )
        finally:
            cursor.close()

    def _load_settings(self) -> None:
        """The settings file as capture starts: an invalid one stops the start."""
        self._stamp = settings_file.stamp(self.paths.settings)
        try:
            self._apply(settings_file.load(self.paths.settings))
        except settings_file.SettingsError as exc:
            raise DaemonStartError(f"{exc}; fix it, or remove it for the defaults") from None

    def _apply(self, new: settings_file.Settings) -> None:
        """Put new settings in force: the policy at once, then consent."""
        self.file_settings = new
        self._applied_at = time.time()
        self.policy = Policy(new)
        self.recorder.set_policy(self.policy)
        self.settings_error = None
        self.recorder.hold("settings", None)
        self._check_consent()

    def _check_consent(self) -> None:
        """Hold capture unless the accepted consent covers what the settings record."""
        try:
            cursor = self.db.cursor()
            try:
                self.consent = consent_text.standing(cursor, self.file_settings, self.paths.db, register=True)
            finally:
                cursor.close()
        except Exception as exc:  # noqa: BLE001 - without a kept text, nothing is recorded
            self.consent = {"covered": False, "error": str(exc)}
            self.recorder.hold("consent", f"the consent text could not be kept in the database ({exc})")
            return
        if self.consent["covered"]:
            self.recorder.hold("consent", None)
        elif self.consent["given"]:
            self.recorder.hold("consent", f"waiting for your consent to version {self.consent['version']}: the "
                                          f"settings record more ({'; '.join(self.consent['more'])})")
        else:
            self.recorder.hold("consent", "consent was withdrawn")

    def tick(self, force: bool = False) -> None:
        """Apply a changed settings file, and the holds the clock decides
        (a pause for a while, work hours), stamped when they began."""
        with self._tick_lock:
            now = clock.now_ns()
            stamp = settings_file.stamp(self.paths.settings)
            if force or stamp != self._stamp:
                self._stamp = stamp
                try:
                    new = settings_file.load(self.paths.settings)
                except settings_file.SettingsError as exc:
                    if self.settings_error != str(exc):
                        log.error("%s: nothing is recorded until it is fixed", exc)
                    self.settings_error = str(exc)
                    self.recorder.hold("settings", f"the settings file is not valid: {exc}")
                else:
                    if new != self.file_settings or self.settings_error:
                        log.info("settings changed: now in force")
                    self._apply(new)
            self._hold_by_clock(self._last_tick_ns, now)
            self._last_tick_ns = now

    def _hold_by_clock(self, before_ns: int, now_ns: int) -> None:
        def blocked(t_ns: int) -> str | None:
            return self.policy.why_not_recording(dt.datetime.fromtimestamp(t_ns / 1e9, dt.timezone.utc))

        reason = blocked(now_ns)
        if (reason is None) == ("clock" not in self.recorder.holds):
            self.recorder.hold("clock", reason)  # only its wording may have changed
            return
        lo, hi = before_ns, now_ns  # the change came in (lo, hi]: find when, to the microsecond
        while hi - lo > 1000:
            mid = (lo + hi) // 2
            if (blocked(mid) is None) == (reason is None):
                hi = mid
            else:
                lo = mid
        self.recorder.hold("clock", reason, t_ns=hi)

    def start(self) -> None:
        self._lock.acquire()
        try:
            self._open_and_check_consent()
            self.recorder.mark(START)  # before any hold's pause mark: capture starts, held
            self._last_tick_ns = clock.now_ns()
            self._load_settings()
            self._purge_quietly()  # nothing else writes yet: the writer starts after this
            self.tick()
            try:
                self.backend = backends.load(self.settings.backend, self.settings.backend_options)
            except (backends.BackendUnavailable, RuntimeError) as exc:
                raise DaemonStartError(str(exc)) from None
            self.writer = Writer(
                self.recorder,
                self.db,
                flush_interval=self.settings.flush_interval,
                idle_threshold=self.settings.idle_threshold,
            )
            self.server = QueryServer(self.paths.socket, self)
            self.writer.start()
            self.backend.start(self.recorder)
            self.server.start()
        except BaseException:
            self._shutdown()
            raise
        log.info("capture started on %s with the %s backend (pid %d)", self.paths.db, self.backend.name, os.getpid())

    # --- run --------------------------------------------------------------------
    def run(self) -> int:
        """Start, capture until asked to stop or the backend dies; return an exit code."""
        self.start()
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, lambda *_: self.stop_requested.set())
        code = 0
        while not self.stop_requested.wait(TICK):
            self.tick()
            self._purge_when_due()
            self._release_when_due()
            failure = self.backend.failure()
            if failure:
                self.exit_reason = f"{failure}: flushed everything and stopped"
                log.error("%s", self.exit_reason)
                code = 3
                break
            if self.writer.file_lost:
                code = FILE_LOST
                break
        self._shutdown()
        return code

    def _shutdown(self) -> None:
        if self.backend is not None:
            self.backend.stop()
        if self.writer is not None and self.writer.is_alive():
            self.recorder.mark(STOP)
            self.writer.stop(timeout=30)
        if self.server is not None:
            self.server.stop()
        if self.writer is not None and self.writer.file_lost:
            self._keep_aside()
            self.db.abandon()  # the process ends with os._exit: see cli's cmd_run
        else:
            self.db.close()
        self._lock.release()
        if self.writer is not None:
            stats = self.writer.stats
            log.info(
                "capture stopped: %d events written this run, %d still unwritten, %d dropped",
                stats.events_written,
                stats.buffered,
                stats.dropped,
            )

    def _keep_aside(self) -> None:
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        aside = self.paths.db.with_name(f"{self.paths.db.name}.rescued-{stamp}.arrow")
        try:
            kept = self.writer.rescue(aside)
        except OSError as exc:
            kept, aside = 0, f"nowhere ({exc})"
        self.exit_reason = f"{self.writer.file_lost}; {kept} unwritten events kept in {aside}; capture stopped"
        log.error("%s", self.exit_reason)

    # --- control, served over the socket -------------------------------------
    def control_ops(self) -> dict:
        """Operations served on the socket; each takes the request dict."""
        return {
            "status": lambda _: self.status(),
            "pause": lambda _: {"changed": self.recorder.set_paused(True)},
            "resume": lambda _: {"changed": self.recorder.set_paused(False)},
            "stop": lambda _: self._request_stop(),
            "withdraw": lambda _: self._withdraw(),
            "accept": self._accept,
            "reload": lambda _: self._reload(),
            "categories": self._categories,
            "purge": lambda _: self.writer.call(self.purge, WRITE_OP_SECONDS),
            "delete_preview": self._delete_preview,
            "delete": self._delete,
            "inventory": self._inventory,
            "access_log": self._access_log,
            "retention": self._retention,
            "team_join": lambda r: self._team(lambda con: team_control.join_on(con, r["offered"], r.get("sha256"))),
            "team_leave": lambda r: self._team(lambda con: team_control.leave_on(con, bool(r.get("remove")))),
            "team_release": lambda r: self._team(lambda con: team_control.release_on(
                con, self.paths.access_head, dt.date.fromisoformat(r["day"]) if r.get("day") else None)),
            "team_status": lambda _: self._team(team_control.status_on),
            "team_overview": lambda _: self._team(team_control.overview_on),
            "study_join": lambda r: self._team(lambda con: study_control.join_on(con, r["offered"], r.get("sha256"))),
            "study_leave": lambda r: self._team(lambda con: study_control.leave_on(con, r["study"])),
            "study_release": lambda r: self._team(lambda con: study_control.release_on(
                con, self.paths.access_head, dt.date.fromisoformat(r["day"]) if r.get("day") else None,
                r.get("study"))),
            "study_status": lambda _: self._team(study_control.status_on),
            "study_overview": lambda _: self._team(study_control.overview_on),
        }

    def _team(self, action) -> dict:
        """A team action on the file, in the writer thread (it writes the ledger and the record)."""
        return self.writer.call(lambda: team_control.plain(action(self.db.writer())), WRITE_OP_SECONDS)

    # --- the daily release --------------------------------------------------------
    def _release_when_due(self) -> None:
        """Once a local day (and at start), release the completed days not yet
        sent, in the writer thread; a failure is logged and tried again later."""
        if self._releasing is not None and self._releasing.done():
            self._releasing = None
        today = dt.date.today()
        if self._releasing is None and self._released_on != today and time.monotonic() >= self._release_at:
            self._releasing = self.writer.submit(lambda: self._release_quietly(today))

    def _release_quietly(self, today: dt.date) -> None:
        failed = False
        try:
            con = self.db.writer()
            if team_control.eligible_days(con, today) is not None:
                sent = team_control.release_on(con, self.paths.access_head, today=today)
                for release in sent:
                    log.info("released %s to the team store (%s, %d bytes)", release["day"], release["key"],
                             release["bytes"])
        except Exception as exc:  # noqa: BLE001 - capture goes on; the next try comes later
            log.warning("could not send the daily team release (tried again in %.0f s): %s",
                        RELEASE_RETRY_SECONDS, exc)
            failed = True
        try:  # the studies joined, beside the team: one failing never holds the other back
            for release in study_control.release_on(self.db.writer(), self.paths.access_head, today=today):
                log.info("released %s to study %s (%s, %d bytes)", release["day"], release["study"], release["key"],
                         release["bytes"])
        except Exception as exc:  # noqa: BLE001 - capture goes on; the next try comes later
            log.warning("could not send the daily study releases (tried again in %.0f s): %s",
                        RELEASE_RETRY_SECONDS, exc)
            failed = True
        if failed:
            self._release_at = time.monotonic() + RELEASE_RETRY_SECONDS
        else:
            self._released_on = today

    def _retention(self, _request: dict) -> dict:
        cursor = self.db.cursor()
        try:
            return retention.state(cursor)
        finally:
            cursor.close()

    def _reload(self) -> dict:
        self.tick(force=True)
        return self.status()

    def _accept(self, request: dict) -> dict:
        """Consent to the current text, given as the version the worker read."""
        with self._tick_lock:
            current = self.consent.get("version")
            if current is None or str(request.get("version")) != str(current):
                raise ValueError(f"the consent text changed since you read it (it is now version {current}); "
                                 "read it again, then accept")
            cursor = self.db.cursor()
            try:
                store.record_consent(cursor, accepted=True, version=current)
            finally:
                cursor.close()
            self._check_consent()
        log.info("consent to version %s given", current)
        return self.status()

    # --- retention and deletion -------------------------------------------------
    def purge(self) -> dict:
        """Purge what the periods have expired, then compact if anything went.
        Run where nothing else writes: in the writer thread, or before it starts."""
        kept = self.file_settings.retention
        deleted = retention.purge(self.db.writer(), dt.datetime.now(dt.timezone.utc),
                                  kept.raw_days, kept.derived_months, worker=CAPTURED)
        compaction = self.db.compact() if any(deleted.values()) else None
        self._purge_at = time.monotonic() + self.purge_seconds
        return {"deleted": deleted, "compaction": compaction}

    def _purge_quietly(self) -> None:
        try:
            outcome = self.purge()
        except Exception as exc:  # noqa: BLE001 - capture goes on; the next purge tries again
            log.warning("could not purge expired rows: %s", exc)
            self._purge_at = time.monotonic() + min(self.purge_seconds, 3600)
        else:
            if any(outcome["deleted"].values()):
                log.info("purged expired rows: %s", outcome["deleted"])

    def _purge_when_due(self) -> None:
        if self._purging is not None and self._purging.done():
            self._purging = None
        if self._purging is None and time.monotonic() >= self._purge_at:
            self._purge_at = time.monotonic() + self.purge_seconds
            self._purging = self.writer.submit(self._purge_quietly)

    @staticmethod
    def _selection(request: dict) -> dict:
        when = {k: dt.datetime.fromisoformat(request[k]) if request.get(k) else None for k in ("start", "stop")}
        return {**when, "app": request.get("app"), "everything": bool(request.get("everything")),
                "worker": request.get("worker")}

    def _delete_preview(self, request: dict) -> dict:
        chosen = self._selection(request)
        return self.writer.call(lambda: deletion.preview(self.db.writer(), **chosen), WRITE_OP_SECONDS)

    def _delete(self, request: dict) -> dict:
        chosen = self._selection(request)

        def delete() -> dict:
            result = deletion.delete(self.db.writer(), **chosen)
            return {**result, "compaction": self.db.compact()}

        return self.writer.call(delete, WRITE_OP_SECONDS)

    def _inventory(self, request: dict) -> dict:
        raw_days = int(request.get("raw_days", inventory.RAW_DAYS))
        derived_months = int(request.get("derived_months", inventory.DERIVED_MONTHS))
        cursor = self.db.cursor()
        try:
            return {"rows": inventory.inventory(cursor, raw_days, derived_months)}
        finally:
            cursor.close()

    def _access_log(self, _request: dict) -> dict:
        cursor = self.db.cursor()
        try:
            return accesslog.report(cursor, self.paths.access_head)
        finally:
            cursor.close()

    def _categories(self, request: dict) -> dict:
        cursor = self.db.cursor()
        try:
            return {"rules": store.edit_category_rules(cursor, request.get("add"), request.get("remove"))}
        finally:
            cursor.close()

    def _request_stop(self) -> dict:
        self.stop_requested.set()
        return {"pid": os.getpid()}

    def _withdraw(self) -> dict:
        """Capture stops at once and keeps nothing captured from now on, even
        when the withdrawal cannot be written (it is then marked beside the
        file and written by whoever opens it next)."""
        self.writer.cut_off(clock.now_ns())
        self.writer.final_retry = min(self.writer.final_retry, 1.0)  # what is left predates the withdrawal
        self.stop_requested.set()
        outcome = store.withdraw(self._record_withdrawal, self.paths.withdrawal)
        log.info("consent withdrawn: capture stops (the withdrawal is %s)", outcome)
        return {"pid": os.getpid(), "recorded": outcome == "written"}

    def _record_withdrawal(self) -> None:
        cursor = self.db.cursor()
        try:
            store.record_consent(cursor, accepted=False)
        finally:
            cursor.close()

    def status(self) -> dict:
        stats = self.writer.stats
        try:
            cursor = self.db.cursor()
            try:
                stored = statements.scalar(cursor, "events_stored")
            finally:
                cursor.close()
        except Exception:  # noqa: BLE001 - status must answer even when the file cannot be read
            stored = None
        last_flush = (
            dt.datetime.fromtimestamp(stats.last_flush, dt.timezone.utc).isoformat() if stats.last_flush else None
        )
        return {
            "running": True,
            "pid": os.getpid(),
            "since": self.started.isoformat(),
            "db": str(self.paths.db),
            "backend": self.backend.name,
            "paused": "paused" in self.recorder.holds,
            "holds": dict(self.recorder.holds),
            "excluded_in_focus": self.recorder.excluded,
            "consent": {k: v.isoformat() if isinstance(v, dt.datetime) else v
                        for k, v in self.consent.items() if k != "text"},
            "settings_error": self.settings_error,
            "settings": self.file_settings.model_dump(mode="json") if self.file_settings else None,
            "settings_applied": self._applied_at,
            "events_stored": stored,
            "events_written_this_run": stats.events_written,
            "last_flush": last_flush,
            "buffered": stats.buffered,
            "dropped": stats.dropped,
            "withdrawn": stats.withdrawn,
            "last_error": stats.last_error,
        }
