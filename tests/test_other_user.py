"""Another Unix user can read nothing of yours: the database and every file
beside it, the socket, the exports (run as root, the test becomes `nobody`)."""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from capture import control
from store.paths import Paths
from testkit import DaemonProcess

AS_NOBODY = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
SYSTEM_PYTHON = "/usr/bin/python3"  # one another user may run (a venv's or pyenv's may sit in root's home)
pytestmark = pytest.mark.skipif(os.getuid() != 0 or not shutil.which("setpriv") or not os.path.exists(SYSTEM_PYTHON),
                                reason="needs root to become another user (CI runs as root), and a system Python")


def _as_nobody(*cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run([*AS_NOBODY, *cmd], capture_output=True, text=True, timeout=30)


@pytest.fixture
def home():
    """A folder others may enter (pytest's own temp folder is closed to them,
    which would make every check below pass for the wrong reason)."""
    top = Path(tempfile.mkdtemp(prefix="wp-other-user-"))
    top.chmod(0o755)
    yield top / "home"
    shutil.rmtree(top, ignore_errors=True)


def test_another_user_reads_nothing(home, monkeypatch):
    data = home / "data"
    monkeypatch.setenv("WORKPRINT_EXPORT_DIR", str(home / "exports"))
    monkeypatch.setenv("WORKPRINT_RUNTIME_DIR", str(home / "run"))
    paths = Paths(data / "workprint.duckdb")
    control.change_settings(paths, {"exclude.apps": ["keepassxc"]})
    control.accept(paths)
    with DaemonProcess(paths.db, "--backend", "replay", "--replay", "rate=100") as daemon:
        daemon.wait_for_events(50)
        control.export(paths, "json")
        sock = paths.socket
        for folder in (home, sock.parent):
            folder.chmod(0o755)  # even with the socket's folders opened, the socket itself is closed
        try:
            connect = _as_nobody(SYSTEM_PYTHON, "-c", f"import socket; s = socket.socket(socket.AF_UNIX); "
                                                  f"s.connect({str(sock)!r})")
        finally:
            os.chmod(sock.parent, 0o700)
        assert connect.returncode != 0 and "Permission denied" in connect.stderr
        assert daemon.stop() == 0

    folders = [home, *(p for p in home.rglob("*") if p.is_dir())]
    files = [p for p in home.rglob("*") if p.is_file()]
    listed = _as_nobody("ls", str(data))
    assert listed.returncode != 0 and "Permission denied" in listed.stderr
    names = {p.name for p in files}
    for expected in ("workprint.duckdb", "workprint.duckdb.log", "workprint.duckdb.lock", "workprint.toml",
                     "workprint.duckdb.access-head"):
        assert expected in names, f"{expected} was not written: the test would show nothing for it"
    for folder in folders:
        folder.chmod(0o755)  # a careless parent folder: the files must still be closed
    assert _as_nobody("ls", str(data)).returncode == 0  # now nobody can get to them: the files must refuse
    for file in files:
        read = _as_nobody("cat", str(file))
        assert read.returncode != 0 and "Permission denied" in read.stderr, f"{file} was readable by nobody"
