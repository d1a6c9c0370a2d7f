"""A worker running an import on a terminal sees what it is doing; a pipe or a
log gets the summary alone."""

import io
import subprocess
import sys

from importers.progress import Progress
from testkit import ROOT, shared
from testkit.processes import on_a_terminal

EVENTLOG = ["import", "eventlog", str(shared("eventlogs", "reviewing.csv")), "--case", "case:concept:name",
            "--activity", "concept:name", "--time", "time:timestamp"]


def _import(db, stderr) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "capture", *EVENTLOG, "--db", str(db)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=stderr)


def test_a_piped_import_prints_its_summary_and_nothing_else(db):
    """Progress is for eyes: stderr sent to a pipe or a log gets none of it."""
    proc = _import(db, subprocess.PIPE)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert err == b""
    assert out.decode().startswith("reviewing.csv: imported events")


def test_an_import_on_a_terminal_shows_its_progress(db):
    """On a terminal the import says which step it is in and how far it got,
    and clears that line before the summary."""
    code, shown, out = on_a_terminal([sys.executable, "-m", "capture", *EVENTLOG, "--db", str(db)], "stderr")
    assert code == 0
    text = shown.decode()
    assert "reviewing.csv: reading the file" in text
    assert "reviewing.csv: writing: 0 of " in text and "rows" in text
    assert "reviewing.csv: updating the derived tables" in text
    assert text.endswith("\r\x1b[K")  # the last progress line is cleared
    assert out.startswith("reviewing.csv: imported events")


class Terminal(io.StringIO):
    def isatty(self):
        return True


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_progress_gives_rate_and_time_left_where_the_size_is_known():
    """25,000 of 100,000 rows in 10 s: 2,500 rows/s and about 30 s left; without
    a size, the rate alone; and nothing at all when stderr is not a terminal."""
    clock, screen = Clock(), Terminal()
    progress = Progress("big.csv", stream=screen, clock=clock)
    progress.step("reading the times", "times", 100_000)
    clock.now = 10
    progress.add(25_000)
    assert progress.line() == "big.csv: reading the times: 25,000 of 100,000 times, 2,500 times/s, about 30 s left"
    progress.step("reading and writing the files", "files")
    clock.now = 20
    progress.add(50)
    assert progress.line() == "big.csv: reading and writing the files: 50 files, 5.0 files/s"
    progress.add(50, fraction=0.25)  # a quarter of the archive read after 10 s
    assert progress.line().endswith("10 files/s, about 30 s left")
    progress.close()
    assert screen.getvalue().endswith("\r\x1b[K")
    piped = io.StringIO()
    quiet = Progress("big.csv", stream=piped, clock=clock)
    quiet.step("writing", "rows", 10)
    quiet.add(5)
    quiet.close()
    assert piped.getvalue() == ""
