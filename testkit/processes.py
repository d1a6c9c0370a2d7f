"""Running Workprint as a user would: its command line, the real daemon, and
reading a database file directly."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from store import client
from store import paths as config

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


def shared(*parts: str) -> Path:
    """A file of ../shared/data, read in place; fails loudly when it is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        raise AssertionError(f"{path} is missing: these tests read ../shared/data in place (see its README)")
    return path


def cli(*args: str, env: dict | None = None, timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess:
    """Run ``python -m capture ARGS`` as a user would."""
    result = subprocess.run(
        [sys.executable, "-m", "capture", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"capture {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result


class DaemonProcess:
    """``python -m capture run`` in a subprocess, waited on until it answers."""

    def __init__(self, db: Path, *args: str, env: dict | None = None) -> None:
        self.db = db
        self.paths = config.paths(db)
        self.args = ["--db", str(db), *args]
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen | None = None

    def start(self, wait: float = 20) -> "DaemonProcess":
        self.stderr_path = self.db.with_name(self.db.name + f".stderr-{time.time_ns()}")
        self._stderr = open(self.stderr_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "capture", "run", *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"daemon exited {self.proc.returncode}: {self.stderr()}")
            try:
                client.request(self.paths, "status", timeout=2)
                return self
            except (client.NotRunning, OSError):
                time.sleep(0.05)
        raise AssertionError(f"daemon did not answer within {wait}s: {self.stderr()}")

    def stderr(self) -> str:
        if not self._stderr.closed:
            self._stderr.flush()
        return self.stderr_path.read_text()

    def status(self) -> dict:
        return client.request(self.paths, "status")

    def read(self, sql: str, params: dict | None = None) -> list[tuple]:
        """Query through the daemon's socket, as the dashboard does while capture runs."""
        table = client.read(self.paths, sql, params)
        return list(zip(*(column.to_pylist() for column in table.columns)))

    # --- waiting for the daemon, instead of sleeping ---------------------------
    def wait_until(self, predicate: Callable[[dict], object], what: str, timeout: float = 30) -> dict:
        """Poll the daemon's status until ``predicate(status)`` is true; return that status.

        Fails, naming ``what`` and the last status seen, when ``timeout``
        seconds pass or the daemon exits first.
        """
        deadline = time.monotonic() + timeout
        last: object = "no answer yet"
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"the daemon exited ({self.proc.returncode}) while waiting for {what}; "
                    f"last status: {last}\n{self.stderr()}"
                )
            try:
                status = self.status()
            except (client.NotRunning, client.DaemonError, OSError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                last = status
                if predicate(status):
                    return status
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; last status: {last}")
            time.sleep(0.05)

    def wait_for_events(self, n: int, timeout: float = 30) -> dict:
        """Wait until this run has written at least ``n`` events (its start marker included)."""
        return self.wait_until(lambda s: s["events_written_this_run"] >= n, f"{n} events written this run", timeout)

    def wait_flushed(self, since: float | None = None, timeout: float = 30) -> dict:
        """Wait for a flush (after ``since``, a ``time.time()`` value, if given)
        that left nothing waiting in the write buffer."""

        def flushed(status: dict) -> bool:
            if status["last_flush"] is None or status["buffered"]:
                return False
            return since is None or dt.datetime.fromisoformat(status["last_flush"]).timestamp() >= since

        return self.wait_until(flushed, "a flush leaving nothing buffered", timeout)

    def wait_for_rows(
        self, sql: str, predicate: Callable[[list[tuple]], object], what: str,
        params: dict | None = None, timeout: float = 30,
    ) -> list[tuple]:
        """Poll a query through the daemon until ``predicate(rows)`` is true; return those rows.
        Fails naming ``what`` and the last rows seen."""
        seen: dict = {}

        def check(_status: dict) -> object:
            seen["rows"] = self.read(sql, params)
            return predicate(seen["rows"])

        try:
            self.wait_until(check, what, timeout)
        except AssertionError as exc:
            raise AssertionError(f"{exc}\nlast rows of {sql!r}: {seen.get('rows', 'none read')}") from None
        return seen["rows"]

    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(timeout)
        self._stderr.close()
        return code

    def kill9(self) -> None:
        self.proc.kill()
        self.proc.wait(10)
        self._stderr.close()

    def __enter__(self) -> "DaemonProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.stop()


def connect(db: Path, read_only: bool = False):
    """A DuckDB connection on the file itself, with its key (store.attach:
    ``duckdb.connect()``, then ``ATTACH ... (ENCRYPTION_KEY ...)`` and ``USE``),
    not locked down: for tests that look at or tamper with the file directly.
    A plaintext file (WORKPRINT_PLAINTEXT, or one made by hand) opens as it is."""
    from store import attach

    return attach.open_file(Path(db), read_only=read_only)[0]


def copy_db(source: Path, target: Path) -> Path:
    """Copy a database file to ``target``, and its key with it (keys go by
    the file's path: a copy alone would have none). Returns ``target``."""
    import shutil

    from store import keys

    shutil.copy(source, target)
    key = keys.find(Path(source))
    if key is not None:
        keys.add(Path(target), key.secret)
    return Path(target)


def rows(db: Path, sql: str, params: dict | None = None) -> list[tuple]:
    """Query a database file directly, read-only, as a researcher's script would (with its key)."""
    con = connect(db, read_only=True)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def on_a_terminal(argv: list[str], stream: str = "stdout", timeout: float = 60) -> tuple[int, bytes, str]:
    """Run ``argv`` (from the project folder) with ``stream`` ("stdout" or
    "stderr") on a pseudo-terminal, as a worker's terminal would be, and the
    other one piped: (exit code, what the terminal showed, the piped output)."""
    import pty
    import select

    leader, follower = pty.openpty()
    piped = subprocess.PIPE
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=follower if stream == "stdout" else piped,
                            stderr=follower if stream == "stderr" else piped)
    os.close(follower)
    shown = b""
    while select.select([leader], [], [], timeout)[0]:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process has gone
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    other = (proc.stderr if stream == "stdout" else proc.stdout).read().decode()
    return proc.wait(timeout), shown, other


class MovableClock:
    """A clock a test moves instead of sleeping: call it for the time, ``move(minutes=5)``."""

    START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)

    def __init__(self, at: dt.datetime | None = None) -> None:
        self.at = at or self.START

    def __call__(self) -> dt.datetime:
        return self.at

    def move(self, **delta) -> None:
        self.at += dt.timedelta(**delta)


def stop_group(proc: subprocess.Popen, timeout: float = 10) -> None:
    """End a process started in its own group (start_new_session) and its children:
    SIGTERM, then SIGKILL after ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout)
