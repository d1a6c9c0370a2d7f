"""An import is all or nothing (hardening #5): events and every derived table
commit together. Killed with SIGKILL at a random moment, again and again, an
import leaves the database exactly as before it or exactly as after it, and
running it again completes it. Ctrl-C stops it within a second, says so, and
leaves the database as before (hardening #9).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

import pytest

import store
from testkit import ROOT, cli, rows, shared

TABLES = ("raw_events", "spans", "keystrokes", "bursts", "hourly", "hourly_total", "input_totals", "derive_state",
          "batches")

IMPORTS = {
    "keystrokes": ("keystrokes", str(shared("keystrokes", "aalto136m-every6th.tar.gz")), "--format", "aalto136m",
                   "--skip-bad-rows"),
    "activitywatch": ("activitywatch", str(shared("activitywatch", "aw-android-plus-export.json"))),
    "eventlog": ("eventlog", str(shared("eventlogs", "reviewing.csv")), "--case", "case:concept:name",
                 "--activity", "concept:name", "--time", "time:timestamp"),
}


def _state(db) -> dict:
    """Every data table's rows, counted, and a digest of the derived ones."""
    state = {t: rows(db, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES}  # noqa: S608 - our table names
    state["keystrokes_digest"] = rows(db, "SELECT sum(hash(worker, press, iki_ms)) FROM keystrokes")[0][0]
    state["spans_digest"] = rows(db, "SELECT sum(hash(worker, start, stop, app)) FROM spans")[0][0]
    return state


def _import(db, args, output=subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "capture", "import", *args, "--db", str(db)], cwd=ROOT,
                            stdout=output, stderr=output, text=True)


def _empty(db) -> tuple:
    """A new, empty database at ``db`` and its state."""
    store.open_writable(db).close()
    return db, _state(db)


_FULL: dict[str, tuple[float, dict]] = {}


def _full_import(name, tmp_path_factory) -> tuple[float, dict]:
    """How long the whole import takes, and the state after it (once per importer)."""
    if name not in _FULL:
        after_db = tmp_path_factory.mktemp("after") / "after.duckdb"
        t0 = time.monotonic()
        cli("import", *IMPORTS[name], "--db", str(after_db))
        _FULL[name] = time.monotonic() - t0, _state(after_db)
    return _FULL[name]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_an_import_killed_at_random_moments_is_all_or_nothing(name, tmp_path, tmp_path_factory):
    args = IMPORTS[name]
    took, after = _full_import(name, tmp_path_factory)

    db, before = _empty(tmp_path / "killed.duckdb")
    rng = random.Random(name)
    outcomes = {"before": 0, "after": 0}
    for _ in range(6):
        proc = _import(db, args)
        time.sleep(rng.uniform(0.3, max(0.5, took)))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        state = _state(db)
        assert state in (before, after), f"half an import was left: {state}"
        outcomes["before" if state == before else "after"] += 1
        if state == after:
            break
    cli("import", *args, "--db", str(db))  # completes (or finds it complete)
    assert _state(db) == after
    assert outcomes["before"] >= 1, f"no kill landed inside the import ({took:.1f} s long): {outcomes}"


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_ctrl_c_stops_an_import_at_once_and_writes_nothing(name, tmp_path, tmp_path_factory):
    args = IMPORTS[name]
    took, after = _full_import(name, tmp_path_factory)
    db, before = _empty(tmp_path / "interrupted.duckdb")
    startup = _startup_seconds()
    landed, stopped_in = 0, []
    for fraction in (0.2, 0.5, 0.85):
        proc = _import(db, args, subprocess.PIPE)
        time.sleep(max(fraction * took, 2 * startup))
        proc.send_signal(signal.SIGINT)
        t0 = time.monotonic()
        _, stderr = proc.communicate(timeout=30)
        stopped_in.append(time.monotonic() - t0)
        if proc.returncode == 0:  # it had finished: nothing to interrupt
            assert _state(db) == after
            break
        assert _state(db) == before
        if "nothing was imported" not in stderr:  # Python was still starting (a busy machine): not the import yet
            continue
        landed += 1
        assert proc.returncode == 130 and stderr.startswith("error: interrupted: nothing was imported"), stderr
        assert "Traceback" not in stderr, stderr
    assert max(stopped_in) < 2.0, f"Ctrl-C took {max(stopped_in):.2f} s to stop the import"
    if took > 10 * startup:
        assert landed >= 2, f"only {landed} of 3 Ctrl-Cs landed inside a {took:.1f} s import"


def _startup_seconds() -> float:
    """How long Python takes here, now, to load the command (the machine may be busy)."""
    t0 = time.monotonic()
    subprocess.run([sys.executable, "-m", "capture", "import", "--help"], cwd=ROOT, capture_output=True, check=True)
    return time.monotonic() - t0



# Runs an import with Ctrl-C sent the moment only its commit is left.
_CTRL_C_AT_COMMIT = """
import os, signal, sys
import importers
from cli import main
hold = importers.Interrupt.hold
def hold_then_ctrl_c(self):
    hold(self)
    os.kill(os.getpid(), signal.SIGINT)
importers.Interrupt.hold = hold_then_ctrl_c
sys.exit(main(["import", *sys.argv[2:], "--db", sys.argv[1]]))
"""


def test_ctrl_c_while_committing_completes_the_import_and_says_so(tmp_path, tmp_path_factory):
    """A Ctrl-C that lands as the import commits must not report "nothing was
    imported" over a database that holds the whole import (a CI run saw it)."""
    _, after = _full_import("eventlog", tmp_path_factory)
    db = tmp_path / "committing.duckdb"
    done = subprocess.run([sys.executable, "-c", _CTRL_C_AT_COMMIT, str(db), *IMPORTS["eventlog"]], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    assert _state(db) == after
    assert done.returncode == 0, done.stderr
    assert "nothing was imported" not in done.stderr
    assert "Ctrl-C came while the import was being committed; it is complete" in done.stderr
    assert done.stdout.startswith("reviewing"), done.stdout
