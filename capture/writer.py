"""The writer thread: drain the queue, track idle time, flush batches.

Flushes at least every ``flush_interval`` seconds. A failed write (disk full,
file locked, database invalidated) keeps the batch, with its id, in a bounded
buffer and retries with the same id, so nothing is lost and nothing is stored
twice. Only when the buffer is full are the newest events dropped, and counted.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass

import store
from capture import clock
from store import derive
from store import events as ev

log = logging.getLogger("workprint.writer")


class IdleTracker:
    """Turns gaps in input into idle_start / idle_end events.

    An idle period starts at the last input before a gap of at least
    ``threshold_s`` and ends at the first input after it, so it covers exactly
    the time without input. It is only noticed once the threshold has passed.
    """

    def __init__(self, threshold_s: float, now_ns: int) -> None:
        self.threshold_ns = int(threshold_s * 1e9)
        self.last_input_ns = now_ns
        self.idle = False
        self.suspended = False
        self.paused = False
        self.excluded = False

    def observe(self, rows: list[tuple]) -> list[tuple]:
        """Rows in time order; returns them with idle markers merged in.

        Input stamped between a pause and its resume is dropped here, and so
        is input while an excluded app has focus: the recorder's flags are
        checked without a lock, so a keystroke racing the pause command or
        the switch could otherwise slip in.
        """
        out = []
        for row in rows:
            kind = row[1]
            if kind in ev.INPUT_KINDS:
                if self.paused:
                    continue
                self.active(row[0], out)
                if self.excluded:  # a key that raced the switch to an excluded app: never stored
                    continue
            elif kind == ev.FOCUS:
                self.excluded = len(row) > 5 and bool(row[5])
            elif kind == ev.PAUSE or kind == ev.STOP:
                if self.idle:
                    out.append((row[0], ev.IDLE_END))
                    self.idle = False
                self.suspended = True
                self.paused = kind == ev.PAUSE
            elif kind == ev.RESUME or kind == ev.START:
                self.suspended = self.paused = False
                self.last_input_ns = row[0]
            out.append(row)
        return out

    def active(self, t_ns: int, out: list) -> None:
        """Input at ``t_ns`` (stored or not): it ends an idle period."""
        if self.paused:
            return
        if self.idle:
            out.append((t_ns, ev.IDLE_END))
            self.idle = False
        self.last_input_ns = max(self.last_input_ns, t_ns)

    def tick(self, now_ns: int) -> tuple | None:
        if self.idle or self.suspended:
            return None
        if now_ns - self.last_input_ns >= self.threshold_ns:
            self.idle = True
            return (self.last_input_ns, ev.IDLE_START)
        return None


@dataclass
class WriterStats:
    events_written: int = 0
    batches_written: int = 0
    last_flush: float | None = None
    buffered: int = 0
    dropped: int = 0
    last_error: str | None = None
    failures: int = 0
    derive_error: str | None = None
    withdrawn: int = 0  # captured after a withdrawal, and so never stored


class Writer(threading.Thread):
    """Drains ``recorder.queue`` into the database held by ``db``."""

    def __init__(
        self,
        recorder,
        db,
        *,
        flush_interval: float = 1.0,
        idle_threshold: float = 180.0,
        max_buffer: int = 1_000_000,
        source: str = "capture",
        final_retry: float = 10.0,
        worker: str = "local",
        derive_interval: float = 10.0,
    ) -> None:
        super().__init__(name="workprint-writer", daemon=True)
        self.recorder = recorder
        self.db = db
        self.flush_interval = flush_interval
        self.max_buffer = max_buffer
        self.source = source
        self.final_retry = final_retry
        self.worker = worker
        # Derived tables (spans, keystrokes, hourly) lag events by up to this
        # long; deriving after every 1 s flush would cost several times the
        # CPU of capture itself.
        self.derive_interval = derive_interval
        self._derive_at = 0.0
        self.idle = IdleTracker(idle_threshold, clock.now_ns())
        self.offsets = ev.OffsetCache()
        self.stats = WriterStats()
        self._pending: list[tuple[int, list[tuple]]] = []  # (batch id, rows)
        self._halt = threading.Event()
        self._retry_at = 0.0
        self._backoff = 0.5
        self._cutoff: int | None = None  # a withdrawal: nothing captured from then on is stored
        self.file_lost: str | None = None  # why the database file is no longer ours to write
        self._calls: queue.Queue = queue.Queue()  # (function, future): work that writes, run between flushes

    def cut_off(self, t_ns: int) -> None:
        """Store nothing captured at or after ``t_ns`` (consent was withdrawn
        then): what is queued, what waits in the buffer, what still arrives.
        The stop marker is kept, stamped at ``t_ns``. Applied by the writer
        thread before its next write."""
        self._cutoff = t_ns

    def submit(self, fn) -> Future:
        """Run ``fn()`` in the writer thread after its next flush, never beside
        a write (a purge, a deletion, a compaction); its Future. Refused with
        RuntimeError once the writer has stopped."""
        future: Future = Future()
        if not self.is_alive() or self._halt.is_set():
            future.set_exception(RuntimeError("capture is stopping: try again once it has stopped"))
        else:
            self._calls.put((fn, future))
        return future

    def call(self, fn, timeout: float | None = None):
        """``submit(fn)`` and wait for its result (or its exception)."""
        return self.submit(fn).result(timeout)

    def _run_calls(self, refuse: bool = False) -> None:
        while True:
            try:
                fn, future = self._calls.get_nowait()
            except queue.Empty:
                return
            if refuse:
                future.set_exception(RuntimeError("capture stopped before this could run"))
                continue
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001 - handed to whoever asked
                future.set_exception(exc)

    # --- thread ---------------------------------------------------------------
    def run(self) -> None:
        while not self._halt.wait(self.flush_interval):
            self.cycle(clock.now_ns())
            if self.file_lost is None:
                self._run_calls()
        # Final drain after the daemon queued its stop marker; give a failing
        # disk a little while to recover before giving up on what is left.
        self.cycle(clock.now_ns(), final=True)
        deadline = time.monotonic() + self.final_retry
        while self._pending and self.file_lost is None and time.monotonic() < deadline:
            time.sleep(0.5)
            self._flush(force=True)
        self._run_calls(refuse=True)

    def stop(self, timeout: float | None = None) -> None:
        self._halt.set()
        self.join(timeout)

    # --- one flush ------------------------------------------------------------
    def cycle(self, now_ns: int, final: bool = False) -> None:
        self.recorder.flush_move(0 if final else now_ns)
        rows = self._drain()
        rows.sort(key=lambda r: r[0])
        rows = self.idle.observe(rows)
        unseen = self.recorder.excluded_activity_ns
        if unseen > self.idle.last_input_ns:  # input in an excluded app: active, though nothing of it is kept
            self.idle.active(unseen, rows)
        marker = None if final else self.idle.tick(now_ns)
        if marker:
            rows.append(marker)
        if rows:
            self._buffer(rows)
        self._flush(force=final)

    def _drain(self) -> list[tuple]:
        q = self.recorder.queue
        rows = []
        try:
            while True:
                rows.append(q.get_nowait())
        except queue.Empty:
            return rows

    def _withdrawn(self, rows: list[tuple]) -> list[tuple]:
        cutoff = self._cutoff
        if cutoff is None:
            return rows
        kept = [r if r[1] != ev.STOP or r[0] < cutoff else (cutoff, ev.STOP)
                for r in rows if r[0] < cutoff or r[1] == ev.STOP]
        self.stats.withdrawn += len(rows) - len(kept)
        return kept

    def _buffer(self, rows: list[tuple]) -> None:
        rows = self._withdrawn(rows)
        room = self.max_buffer - self.stats.buffered
        if len(rows) > room:
            self.stats.dropped += len(rows) - max(room, 0)
            log.warning(
                "write buffer full (%d events waiting): dropped %d new events",
                self.stats.buffered,
                len(rows) - max(room, 0),
            )
            rows = rows[: max(room, 0)]
        if rows:
            self._pending.append((store.new_batch_id(), rows))
            self.stats.buffered += len(rows)

    def _flush(self, force: bool = False) -> None:
        if not self._pending or (not force and time.monotonic() < self._retry_at):
            return
        self.offsets.refresh()
        waiting = self.stats.buffered
        while self._pending:
            batch_id, rows = self._pending[0]
            if self._cutoff is not None:
                kept = self._withdrawn(rows)
                self.stats.buffered -= len(rows) - len(kept)
                rows = kept
                self._pending[0] = (batch_id, rows)
            try:
                self.db.check_same_file()
            except store.FileReplacedError as exc:
                if self.file_lost is None:
                    log.error("%s", exc)
                self.file_lost = self.stats.last_error = str(exc)
                return
            try:
                con = self.db.writer()
                table = ev.to_table(rows, self.offsets)
                written = store.write_batch(con, batch_id, table, self.source)
            except Exception as exc:  # noqa: BLE001 - any failure keeps the batch
                self._failed(exc)
                return
            self._pending.pop(0)
            self.stats.buffered -= len(rows)
            self.stats.events_written += written
            self.stats.batches_written += 1
            self.stats.last_flush = time.time()
            self._backoff = 0.5
            if self.stats.last_error:
                log.warning("writing works again; the %d events kept in memory are being stored", waiting)
                self.stats.last_error = None
            log.debug("flushed batch %d rows=%d", batch_id, written)
        if (force or time.monotonic() >= self._derive_at) and self.file_lost is None:
            self._derive()

    def rescue(self, path) -> int:
        """Write what is still unwritten to ``path`` (an Arrow IPC file, in the
        events' Arrow form); returns how many events. For a database file lost
        under capture."""
        import pyarrow as pa

        rows = [row for _, batch in self._pending for row in batch]
        if not rows:
            return 0
        table = ev.to_table(rows, self.offsets)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))  # the worker's events: owner-only
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as out:
            out.write_table(table)
        return len(rows)

    def _derive(self) -> None:
        self._derive_at = time.monotonic() + self.derive_interval
        # The events are safely stored by now; a failure here only delays the
        # derived tables, which the next flush rebuilds from where they stood.
        try:
            derive.refresh(self.db.writer(), self.worker)
        except Exception as exc:  # noqa: BLE001
            if self.stats.derive_error != str(exc):
                log.warning("could not update the derived tables: %s", exc)
            self.stats.derive_error = str(exc)
        else:
            self.stats.derive_error = None

    def _failed(self, exc: Exception) -> None:
        self.stats.failures += 1
        message = f"{type(exc).__name__}: {exc}"
        if message != self.stats.last_error:
            log.warning(
                "could not write to the database (%s); keeping %d events in memory and retrying",
                message,
                self.stats.buffered,
            )
        self.stats.last_error = message
        self.db.reset()
        self._retry_at = time.monotonic() + self._backoff
        self._backoff = min(self._backoff * 2, 5.0)
