from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

from testkit import XSession


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A path for a fresh database in a private temp folder."""
    return tmp_path / "workprint.duckdb"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """Keep tests off the user's own database and socket folder.

    The socket folder is short on purpose: Unix socket paths are limited to
    108 bytes, which pytest's tmp_path can exceed.
    """
    run_dir = tempfile.mkdtemp(prefix="wp-")
    monkeypatch.setenv("WORKPRINT_DB", str(tmp_path / "default.duckdb"))
    monkeypatch.setenv("XDG_RUNTIME_DIR", run_dir)
    monkeypatch.delenv("WORKPRINT_BACKEND", raising=False)
    monkeypatch.delenv("WORKPRINT_REPLAY", raising=False)
    yield
    shutil.rmtree(run_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def xsession(tmp_path_factory):
    """A real X server with openbox, for the module's tests."""
    session = XSession(tmp_path_factory.mktemp("x")).start()
    yield session
    session.stop()


@pytest.fixture
def consented(db: Path) -> Path:
    from testkit import cli

    cli("consent", "--accept", "--db", str(db))
    return db


# The dashboard tests' demo database: generated once per session, small, and
# ending on a fixed day so that its dates (and screenshots) do not move.
DASHBOARD_DEMO_ARGS = ("--workers", "3", "--teams", "1", "--days", "7", "--end", "2026-11-27")


@pytest.fixture(scope="session")
def dashboard_db(tmp_path_factory) -> Path:
    """A demo database for the dashboard (3 workers, 1 team, 7 days), made by
    ``python -m capture demo`` once per session. Shared: read it, never write it."""
    from testkit import cli

    path = tmp_path_factory.mktemp("dashboard") / "demo.duckdb"
    cli("demo", "--db", str(path), *DASHBOARD_DEMO_ARGS)
    return path
