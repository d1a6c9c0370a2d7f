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
from store import accesslog, inventory, statements
from store.events import START, STOP
from store.paths import Paths, private_folder
from store.server import QueryServer

from . import backends, clock
from .recorder import Recorder
from .writer import Writer

log = logging.getLogger("workprint.daemon")


FILE_LOST = 5  # exit code: the database file was deleted or replaced under the daemon


class DaemonStartError(RuntimeError):
    """The daemon cannot start; the message says why and what to do."""

    exit_code = 2


class AlreadyRunning(DaemonStartError):
    exit_code = 4


@dataclass
class Settings:
    backend: str | None = None
    backend_options: dict = field(default_factory=dict)
    idle_threshold: float = 180.0
    flush_interval: float = 1.0
    store_titles: bool = False
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


class Daemon:
    def __init__(self, paths: Paths, settings: Settings) -> None:
        self.paths = paths
        self.settings = settings
        self.db = store.Database(paths.db)
        self.recorder = Recorder(store_titles=settings.store_titles)
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

    def start(self) -> None:
        self._lock.acquire()
        try:
            self._open_and_check_consent()
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
            self.recorder.mark(START)
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
        while not self.stop_requested.wait(0.5):
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
            "categories": self._categories,
            "inventory": self._inventory,
            "access_log": self._access_log,
        }

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
            "paused": self.recorder.paused,
            "events_stored": stored,
            "events_written_this_run": stats.events_written,
            "last_flush": last_flush,
            "buffered": stats.buffered,
            "dropped": stats.dropped,
            "withdrawn": stats.withdrawn,
            "last_error": stats.last_error,
        }
