"""Export: everything held about the worker, in a form they can open or take
to ActivityWatch, written only where they allowed, owner-only, whole or not
at all, while capture runs or not."""

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
from polars.testing import assert_frame_equal

import queries
from capture import control
from store import paths as store_paths
from testkit import ROOT, DaemonProcess, cli, connect, copy_db, shared

AW_1DAY = ("activitywatch", "aw-server-0.12-export-1day.json")


def _stored_counts(db: Path) -> dict[str, int]:
    con = connect(db, read_only=True)
    try:
        names = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()]
        return {n: con.execute("SELECT count(*) FROM query_table($t)", {"t": n}).fetchall()[0][0] for n in names}
    finally:
        con.close()


def _modes_open_to_others(top: Path) -> dict[str, str]:
    found = {}
    for path in [top, *top.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode != (0o700 if path.is_dir() else 0o600):
            found[str(path)] = oct(mode)
    return found


# --- the formats ---------------------------------------------------------------
def test_parquet_holds_every_table_and_row(writable_day_db):
    """A worker asking for everything gets every table, row for row, as stored."""
    done = control.export(store_paths.paths(writable_day_db), "parquet", to="mine")
    out = Path(done["path"])
    assert out == store_paths.export_dir().resolve() / "mine"
    stored = _stored_counts(writable_day_db)
    assert done["tables"] == stored and stored["access_log"] == 1  # the export's own entry is in its snapshot
    assert sorted(p.name for p in out.iterdir()) == sorted([f"{t}.parquet" for t in stored] + ["manifest.json"])
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # as the store's own connections are: times compare as text
    exported = con.execute("SELECT * FROM read_parquet($f)", {"f": str(out / "raw_events.parquet")}).fetchall()
    original = connect(writable_day_db, read_only=True)
    held = original.execute("SELECT * FROM raw_events").fetchall()
    original.close()
    assert sorted(map(repr, exported)) == sorted(map(repr, held)) and len(held) == 19


def test_json_is_one_object_a_line_with_a_manifest_of_meanings(writable_day_db):
    """Any text editor opens the JSON export; each line parses on its own, and
    the manifest says what every column means."""
    done = control.export(store_paths.paths(writable_day_db), "json", to="mine-json")
    out = Path(done["path"])
    manifest = json.loads((out / "manifest.json").read_text())
    for table, rows in done["tables"].items():
        lines = (out / f"{table}.jsonl").read_text().splitlines()
        assert len(lines) == rows == manifest["tables"][table]["rows"]
        assert all(isinstance(json.loads(line), dict) for line in lines)
        assert all(c["meaning"] for c in manifest["tables"][table]["columns"]), table
    first = json.loads((out / "raw_events.jsonl").read_text().splitlines()[0])
    assert first["kind"] == "start" and first["ts"].endswith("+00")  # times in UTC


def _app_times(db: Path, worker: str) -> list:
    return [queries.run("app_time", db=db, worker=worker, active_only=active) for active in (False, True)]


def _import_aw(file: Path, db: Path) -> None:
    cli("import", "activitywatch", str(file), "--db", str(db))


def test_activitywatch_round_trip_gives_the_same_time_per_app(writable_day_db, tmp_path):
    """Exported to ActivityWatch's format and imported back into a fresh
    database, the hand-worked day gives the same seconds per app, raw and active."""
    done = control.export(store_paths.paths(writable_day_db), "activitywatch", to="day.json")
    export = json.loads(Path(done["path"]).read_text())
    assert set(export["buckets"]) == {"aw-watcher-window_local", "aw-watcher-afk_local"}
    window = export["buckets"]["aw-watcher-window_local"]
    assert (window["type"], window["hostname"], window["client"]) == ("currentwindow", "local", "aw-watcher-window")
    assert set(window["events"][0]) == {"timestamp", "duration", "data"} and set(window["events"][0]["data"]) == {
        "app", "title"}
    fresh = tmp_path / "fresh.duckdb"
    _import_aw(Path(done["path"]), fresh)
    before, after = _app_times(writable_day_db, "local"), _app_times(fresh, "activitywatch")
    assert before[0]["seconds"].to_list() == pytest.approx([3704.0, 195.0])  # Code 1-10, 205-300, 400-4000; Firefox 10-205
    for a, b in zip(before, after):
        assert_frame_equal(a, b, check_exact=False, abs_tol=1e-6)


def test_activitywatch_round_trip_of_a_real_export(tmp_path):
    """A real aw-server export, imported, exported and imported again: the
    same time per app and the same input totals."""
    first, second = tmp_path / "first.duckdb", tmp_path / "second.duckdb"
    _import_aw(shared(*AW_1DAY), first)
    done = control.export(store_paths.paths(first), "activitywatch", to="again.json")
    assert set(done["buckets"]) == {"aw-watcher-window_activitywatch", "aw-watcher-afk_activitywatch",
                                    "aw-watcher-input_activitywatch"}
    _import_aw(Path(done["path"]), second)
    for a, b in zip(_app_times(first, "activitywatch"), _app_times(second, "activitywatch")):
        assert_frame_equal(a, b, check_exact=False, abs_tol=1e-6)
    totals = "SELECT count(*), sum(presses), sum(clicks), sum(duration_s) FROM input_totals"
    assert [connect(f, read_only=True).execute(totals).fetchall() for f in (first, second)] == [
        [(4831, *connect(first, read_only=True).execute(totals).fetchall()[0][1:])]] * 2


# --- where exports may go ----------------------------------------------------------
@pytest.mark.parametrize("name", ["../../etc/x", "{tmp}/etc/x", "sub/../../outside"])
def test_a_path_outside_the_export_folder_is_refused(writable_day_db, tmp_path, monkeypatch, name):
    """An export never lands outside the folder the worker allowed; the error
    names the path and the folder. (The folder is deep in tmp_path, so that
    even a broken check writes nowhere else.)"""
    monkeypatch.setenv("WORKPRINT_EXPORT_DIR", str(tmp_path / "a" / "b" / "c" / "exports"))
    name = name.format(tmp=tmp_path)
    with pytest.raises(control.ControlError) as refused:
        control.export(store_paths.paths(writable_day_db), "parquet", to=name)
    folder = str(store_paths.export_dir().resolve())
    assert name in str(refused.value) and f"exports go only under {folder}" in str(refused.value)
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_dir()) == ["a", "b", "c", "exports"], "written outside"


def test_a_symlink_out_of_the_export_folder_is_refused(writable_day_db, tmp_path):
    """A link inside the folder pointing elsewhere is followed, and refused."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    folder = store_paths.export_dir()
    folder.mkdir(mode=0o700)
    (folder / "link").symlink_to(outside)
    (folder / "dangling").symlink_to(outside / "new.json")
    for name in ("link/x", "dangling"):
        with pytest.raises(control.ControlError, match="outside the export folder"):
            control.export(store_paths.paths(writable_day_db), "activitywatch", to=name)
    assert list(outside.iterdir()) == []


def test_an_existing_export_is_never_overwritten(writable_day_db):
    paths = store_paths.paths(writable_day_db)
    control.export(paths, "activitywatch", to="once.json")
    with pytest.raises(control.ControlError, match="already exists"):
        control.export(paths, "activitywatch", to="once.json")


def test_an_unwritable_export_path_is_a_clear_error(writable_day_db):
    """A place that cannot be written is said as such, naming it; nothing is read."""
    folder = store_paths.export_dir()
    folder.mkdir(mode=0o700)
    (folder / "a-file").write_text("not a folder")
    with pytest.raises(control.ControlError, match="cannot write the export to .*a-file.*Not a directory"):
        control.export(store_paths.paths(writable_day_db), "parquet", to="a-file/inside")
    assert control.access_log(store_paths.paths(writable_day_db))["entries"] == []


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_a_folder_the_worker_cannot_write_is_a_clear_error(writable_day_db):
    """As a worker (nobody) whose export folder belongs to someone else."""
    top = Path(tempfile.mkdtemp(prefix="wp-unwritable-"))
    try:
        top.chmod(0o755)
        db, run, exports = top / "w.duckdb", top / "run", top / "exports"
        copy_db(writable_day_db, db)
        run.mkdir(mode=0o700)
        exports.mkdir()
        exports.chmod(0o755)  # root's: nobody may look, not write
        for owned in (db, run):
            os.chown(owned, 65534, 65534)
        result = subprocess.run(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable, "-m", "capture",
             "export", "--format", "json", "--db", str(db)],
            cwd=ROOT, capture_output=True, text=True, timeout=60,
            env={**os.environ, "WORKPRINT_EXPORT_DIR": str(exports), "WORKPRINT_RUNTIME_DIR": str(run),
                 "HOME": str(run)})
        assert result.returncode == 2, result.stderr
        assert f"cannot write the export to {exports}: Permission denied" in result.stderr
        assert list(exports.iterdir()) == []
        exports.chmod(0o700)  # nor look
        result = subprocess.run(result.args, cwd=ROOT, capture_output=True, text=True, timeout=60,
                                env={**os.environ, "WORKPRINT_EXPORT_DIR": str(exports), "WORKPRINT_RUNTIME_DIR": str(run),
                                     "HOME": str(run)})
        assert result.returncode == 2 and "Permission denied" in result.stderr and "Traceback" not in result.stderr
    finally:
        shutil.rmtree(top, ignore_errors=True)


# --- whole or not at all -----------------------------------------------------------------
def test_a_failed_export_leaves_nothing_behind(writable_day_db, monkeypatch):
    """The stream dying midway (the daemon killed, a full disk) leaves no
    file under the name asked for, and no half-written one beside it."""
    from store import client

    real = client.dump

    @contextmanager
    def dies_midway(*args, **kwargs):
        with real(*args, **kwargs) as stream:
            def two_then_fail():
                for i, item in enumerate(stream):
                    if i == 2:
                        raise OSError("connection reset by the daemon")
                    yield item
            yield two_then_fail()

    monkeypatch.setattr(client, "dump", dies_midway)
    with pytest.raises(control.ControlError, match="nothing was left there: connection reset"):
        control.export(store_paths.paths(writable_day_db), "parquet", to="half")
    assert list(store_paths.export_dir().iterdir()) == []


def test_what_a_killed_export_left_is_cleared_by_the_next(writable_day_db):
    folder = store_paths.export_dir()
    (folder / ".old.partial-999999999").mkdir(parents=True)
    control.export(store_paths.paths(writable_day_db), "activitywatch", to="new.json")
    assert [p.name for p in folder.iterdir()] == ["new.json"]


# --- owner only ------------------------------------------------------------------------
def test_exports_are_owner_only_under_umask_000(writable_day_db, tmp_path):
    """Made under the most permissive umask, every export file is 0600 and
    every folder 0700, the export folder included."""
    top = tmp_path / "made"
    env = {**os.environ, "WORKPRINT_EXPORT_DIR": str(top / "exports")}
    for fmt in ("parquet", "json", "activitywatch"):
        subprocess.run(["sh", "-c", 'umask 000; exec "$@"', "sh", sys.executable, "-m", "capture", "export",
                        "--format", fmt, "--to", f"x-{fmt}", "--db", str(writable_day_db)],
                       cwd=ROOT, env=env, check=True, capture_output=True, timeout=60)
    assert len(list((top / "exports").iterdir())) == 3
    assert _modes_open_to_others(top) == {}


LIBRARY_UNDER_UMASK_0 = """
import os, sys
os.umask(0)
from capture import control
from store import paths
for fmt in ("parquet", "json", "activitywatch"):
    control.export(paths.paths(sys.argv[1]), fmt, to="lib-" + fmt)
"""


def test_exports_made_by_a_script_are_owner_only_under_umask_000(consented, tmp_path):
    """The controller on its own (the Privacy page, a script), not only the
    command line, makes exports owner-only whatever the process's umask, also
    while capture runs (the exporting process then never opens the database,
    which would have set its umask)."""
    top = tmp_path / "made"
    with DaemonProcess(consented, "--backend", "replay", "--replay", "rate=50") as daemon:
        daemon.wait_for_events(5)
        subprocess.run([sys.executable, "-c", LIBRARY_UNDER_UMASK_0, str(consented)], cwd=ROOT, check=True,
                       env={**os.environ, "WORKPRINT_EXPORT_DIR": str(top / "exports")}, capture_output=True, timeout=60)
    assert len(list((top / "exports").iterdir())) == 3
    assert _modes_open_to_others(top) == {}


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_another_user_cannot_read_the_exports(writable_day_db, monkeypatch):
    """Even with every folder on the way opened to others, each export file
    stays closed to another account."""
    top = Path(tempfile.mkdtemp(prefix="wp-exports-"))
    try:
        top.chmod(0o755)
        monkeypatch.setenv("WORKPRINT_EXPORT_DIR", str(top / "exports"))
        for fmt in ("parquet", "json", "activitywatch"):
            control.export(store_paths.paths(writable_day_db), fmt, to=f"x-{fmt}")
        files = [p for p in (top / "exports").rglob("*") if p.is_file()]
        as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        closed = subprocess.run([*as_nobody, "ls", str(top / "exports")], capture_output=True, text=True)
        assert closed.returncode != 0 and "Permission denied" in closed.stderr
        for folder in [top / "exports", *(p for p in (top / "exports").rglob("*") if p.is_dir())]:
            folder.chmod(0o755)
        for file in files:
            read = subprocess.run([*as_nobody, "cat", str(file)], capture_output=True, text=True)
            assert read.returncode != 0 and "Permission denied" in read.stderr, file
        from store.meanings import TABLES

        assert len(files) == 2 * (len(TABLES) + 1) + 1  # per folder format a file a table and the manifest; one AW file
    finally:
        shutil.rmtree(top, ignore_errors=True)


# --- while capture runs ----------------------------------------------------------------
def test_export_while_capture_runs(consented):
    """The daemon holds the file; the export streams a snapshot through its
    socket, writes the files in the exporting process, and the daemon logs it."""
    with DaemonProcess(consented, "--backend", "replay", "--replay", "rate=200") as daemon:
        daemon.wait_for_events(100)
        out = cli("export", "--format", "parquet", "--to", "live", "--db", str(consented)).stdout
        assert out.startswith("exported ") and "live" in out
        cli("export", "--format", "activitywatch", "--to", "live.json", "--db", str(consented))
        live = store_paths.export_dir().resolve() / "live"
        rows = duckdb.connect().execute("SELECT count(*) FROM read_parquet($f)",
                                        {"f": str(live / "raw_events.parquet")}).fetchall()[0][0]
        assert rows >= 100
        assert json.loads((live.parent / "live.json").read_text()).keys() == {"buckets"}
        log = control.access_log(daemon.paths)
        assert daemon.status()["running"]
    assert [e["what"] for e in log["entries"]] == ["export parquet", "export activitywatch"]
    assert all(e["who"].startswith("workprint-cli (pid ") for e in log["entries"]), log["entries"]
    assert log["intact"]
