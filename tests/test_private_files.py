"""Every capture file is its owner's alone, whichever process makes it.

Another account on the machine must not be able to read the activity record:
the database, its WAL, the log, the lock, exports and the folders Workprint
makes for them are owner-only even when the worker's umask is the usual 022.
Each process runs here as ``sh -c 'umask 022; exec python ...'``.
"""

import stat
import subprocess
import sys
from pathlib import Path

from store import paths as store_paths
from testkit import ROOT, shared


def _run(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess:
    """``argv`` (a python command line) under umask 022, as a worker's shell starts it."""
    result = subprocess.run(["sh", "-c", 'umask 022; exec "$@"', "sh", sys.executable, *argv],
                            cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, result.stderr
    return result


def _open_to_others(top: Path) -> dict[str, str]:
    """Every file under ``top`` not 0600 and every folder not 0700, with its mode."""
    found = {}
    for path in [top, *top.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode != (0o700 if path.is_dir() else 0o600):
            found[str(path.relative_to(top.parent))] = oct(mode)
    return found


def test_the_command_line_makes_every_file_owner_only(tmp_path):
    """Consent, an import, the demo and a query written to a file, each into a folder that is not there yet."""
    top = tmp_path / "made"
    own = top / "data" / "workprint.duckdb"
    _run("-m", "capture", "consent", "--accept", "--db", str(own))
    _run("-m", "capture", "import", "eventlog", str(shared("eventlogs", "running-example.csv")),
         "--case", "case:concept:name", "--activity", "concept:name", "--time", "time:timestamp",
         "--db", str(top / "imports" / "log.duckdb"))
    _run("-m", "capture", "demo", "--workers", "1", "--teams", "1", "--days", "1", "--db", str(top / "demo" / "d.duckdb"))
    assert sorted(p.name for p in top.rglob("*.duckdb")) == ["d.duckdb", "log.duckdb", "workprint.duckdb"]
    assert _open_to_others(top) == {}


DASHBOARD = """
import sys
from pathlib import Path
import dashboard.server  # the dashboard process: streamlit runs this module first
from capture import control
from store import paths
own = paths.paths(sys.argv[1])
control.ensure_demo(Path(sys.argv[2]))
control.accept(own)
control.start(own, ("--backend", "replay", "--replay", "rate=50"))
control.stop(own)
control.withdraw(own)
"""


def test_the_dashboard_makes_every_file_owner_only(tmp_path):
    """What the dashboard does for the worker (the demo, consent, starting and
    stopping capture) leaves no file or folder open to others."""
    top = tmp_path / "made"
    _run("-c", DASHBOARD, str(top / "own" / "workprint.duckdb"), str(top / "demo" / "demo.duckdb"))
    assert (top / "own" / "workprint.duckdb.log").exists() and (top / "demo" / "demo.duckdb").exists()
    assert _open_to_others(top) == {}


WRITER = """
import sys, time
from pathlib import Path
import store
from store import events as ev
db = Path(sys.argv[1])
con = store.open_writable(db)
t0 = time.time_ns()
store.write_batch(con, 1, ev.to_table([(t0 + i, ev.START) for i in range(100)]), "test")
print(oct(db.with_name(db.name + ".wal").stat().st_mode & 0o777))
"""


def test_the_wal_of_an_open_database_is_owner_only(db):
    """DuckDB makes the WAL while the file is open, long after opening it: a
    script (or the dashboard) writing through the store keeps it private too."""
    assert _run("-c", WRITER, str(db)).stdout.split() == ["0o600"]


def test_the_projects_own_data_folder_is_closed_when_written_to(tmp_path, monkeypatch):
    """A clone makes data/ 0755; Workprint closes it the first time it writes
    there, and leaves a folder of the worker's choosing as it was."""
    data, chosen = tmp_path / "data", tmp_path / "Documents"
    for folder in (data, chosen):
        folder.mkdir()
        folder.chmod(0o755)
    monkeypatch.setattr(store_paths, "DATA_DIR", data)
    store_paths.private_folder(data)
    store_paths.private_folder(chosen)
    assert oct(data.stat().st_mode & 0o777) == "0o700"
    assert oct(chosen.stat().st_mode & 0o777) == "0o755"
