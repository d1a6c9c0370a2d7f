"""The daemon as a user drives it from the command line (replay backend)."""

import json
import os
import socket
import subprocess
import sys
import time

import pytest

from store import client, guard
from store import paths as config
from testkit import ROOT, DaemonProcess, cli, connect, rows

REPLAY = ("--backend", "replay")


def _recording(path, n, span_s=1.0):
    """A replay file of n key presses/releases spread over span_s seconds."""
    with open(path, "w") as fh:
        for i in range(n):
            kind = "key_down" if i % 2 == 0 else "key_up"
            fh.write(json.dumps({"t": span_s * i / n, "kind": kind, "key_class": "letter", "key_seq": i // 2}) + "\n")
    return path


def test_run_refuses_without_consent(db):
    """Nothing may be captured before the worker has said yes."""
    result = cli("run", "--db", str(db), *REPLAY, check=False)
    assert result.returncode == 2
    assert "consent --accept" in result.stderr
    assert rows(db, "SELECT count(*) FROM events") == [(0,)]


def test_withdrawn_consent_blocks_the_next_start(consented):
    cli("consent", "--withdraw", "--db", str(consented))
    result = cli("run", "--db", str(consented), *REPLAY, check=False)
    assert result.returncode == 2 and "consent" in result.stderr


def test_consent_text_says_what_is_recorded(db):
    out = cli("consent", "--db", str(db)).stdout
    assert "never which key" in out and "consent --accept" in out
    assert not db.exists(), "showing the text must not create anything"


def test_second_daemon_on_the_same_database_refuses(consented):
    with DaemonProcess(consented, *REPLAY) as first:
        result = cli("run", "--db", str(consented), *REPLAY, check=False)
        assert result.returncode == 4
        assert f"pid {first.proc.pid}" in result.stderr and "already running" in result.stderr
        assert first.status()["running"]


def test_stop_flushes_every_event(consented, tmp_path):
    """Stopping must lose nothing that was captured before the stop."""
    recording = _recording(tmp_path / "r.jsonl", 600, span_s=1.0)
    with DaemonProcess(consented, *REPLAY, "--replay", f"file={recording}", "--flush-interval", "5") as daemon:
        # Let the 1 s recording play out. No status field shows events still in
        # the recorder's queue, and waiting for a flush would defeat the test:
        # the stop itself must write them.
        time.sleep(1.5)
        cli("stop", "--db", str(consented))
        assert daemon.proc.wait(30) == 0
    counts = dict(rows(consented, "SELECT kind, count(*) FROM events GROUP BY kind"))
    assert counts["key_down"] == 300 and counts["key_up"] == 300
    assert counts["start"] == 1 and counts["stop"] == 1


def test_status_pause_resume(consented):
    """While paused, not one input event may be stored; status must say paused."""
    with DaemonProcess(consented, *REPLAY, "--replay", "rate=300") as daemon:
        daemon.wait_flushed()
        assert "capturing" in cli("status", "--db", str(consented)).stdout
        assert "paused" in cli("pause", "--db", str(consented)).stdout
        assert "already paused" in cli("pause", "--db", str(consented)).stdout
        status = json.loads(cli("status", "--json", "--db", str(consented)).stdout)
        assert status["running"] and status["paused"]
        time.sleep(1.5)  # input keeps coming while paused: none of it may be stored
        cli("resume", "--db", str(consented))
        daemon.wait_for_rows(
            "SELECT count(*) FROM events WHERE kind = 'key_down' AND ts > (SELECT max(ts) FROM events WHERE kind = 'resume')",
            lambda r: r[0][0] > 50, "more than 50 key presses stored after the resume",
        )
        live = json.loads(cli("status", "--json", "--db", str(consented)).stdout)
        assert live["events_stored"] > 0 and live["last_flush"]
    (pause_ts,), (resume_ts,) = rows(consented, "SELECT ts FROM events WHERE kind IN ('pause','resume') ORDER BY ts")
    inside = rows(
        consented,
        "SELECT count(*) FROM events WHERE ts > $a AND ts < $b AND kind NOT IN ('pause','resume','focus')",
        {"a": pause_ts, "b": resume_ts},
    )
    assert inside == [(0,)]
    after = rows(consented, "SELECT count(*) FROM events WHERE ts > $b AND kind = 'key_down'", {"b": resume_ts})
    assert after[0][0] > 50
    offline = cli("status", "--db", str(consented)).stdout
    assert "not running" in offline and "consent: given" in offline


def test_withdrawing_consent_stops_a_running_daemon(consented):
    with DaemonProcess(consented, *REPLAY, "--replay", "rate=50") as daemon:
        out = cli("consent", "--withdraw", "--db", str(consented)).stdout
        assert "withdrawn" in out
        assert daemon.proc.wait(30) == 0
    assert rows(consented, "SELECT action FROM consent_log ORDER BY seq DESC LIMIT 1") == [("withdraw",)]


def test_control_commands_without_a_daemon_say_so(db):
    for command in ("stop", "pause", "resume"):
        result = cli(command, "--db", str(db), check=False)
        assert result.returncode == 1 and "no capture daemon is running" in result.stderr


def test_readers_get_data_through_the_daemon_and_cannot_write(consented):
    """While capture runs, readers go through its socket, read-only."""
    with DaemonProcess(consented, *REPLAY, "--replay", "rate=100") as daemon:
        daemon.wait_for_rows("SELECT count(*) FROM events WHERE kind = 'key_down'", lambda r: r[0][0] > 0,
                             "a key press stored")
        table = client.read(daemon.paths, "SELECT count(*) AS n FROM events WHERE kind = $k", {"k": "key_down"})
        assert table.column("n")[0].as_py() > 0
        for sql in ("DELETE FROM raw_events", "DROP TABLE raw_events", "ATTACH '/tmp/x.duckdb'",
                    "SELECT 1; DELETE FROM raw_events", "COPY raw_events TO '/tmp/out.csv'"):
            with pytest.raises(guard.RefusedError, match="read-only"):
                client.read(daemon.paths, sql)
        with pytest.raises(guard.RefusedError, match="no_such_table"):
            client.read(daemon.paths, "SELECT * FROM no_such_table")
    assert rows(consented, "SELECT count(*) FROM events")[0][0] > 0


def test_reader_opens_the_file_when_no_daemon_runs(consented):
    table = client.read(config.paths(consented), "SELECT count(*) AS n FROM consent_log")
    assert table.column("n")[0].as_py() == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_socket_is_unreachable_for_other_users(consented):
    """Another user of the machine must not be able to read someone's activity."""
    with DaemonProcess(consented, *REPLAY) as daemon:
        sock_path = daemon.paths.socket
        assert sock_path.stat().st_mode & 0o777 == 0o600
        assert sock_path.parent.stat().st_mode & 0o777 == 0o700
        pid = os.fork()
        if pid == 0:  # child: become 'nobody' and try
            code = 1
            try:
                os.setgid(65534)
                os.setuid(65534)
                s = socket.socket(socket.AF_UNIX)
                try:
                    s.connect(str(sock_path))
                except PermissionError:
                    code = 0
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0


def test_daemon_commands_stay_lean(db):
    """The daemon runs all day: pandas and polars (~100 MB together) must stay out of it."""
    code = (
        "import sys; from cli import main; main(['status', '--db', sys.argv[1]]); "
        "print('pandas' in sys.modules, 'polars' in sys.modules)"
    )
    import subprocess
    import sys

    from testkit import ROOT

    out = subprocess.run([sys.executable, "-c", code, str(db)], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "False False"


def test_a_query_from_the_command_line_leaves_pandas_out(day_db):
    """`python -m queries run` is a whole process per call: pandas (pulled in by pyarrow's first array) costs it
    about 40 MB and 100 ms for nothing; polars, which it uses, only probes for pandas and must still work."""
    code = ("import sys; from cli import queries_main; "
            "code = queries_main(['run', 'app_time', '--db', sys.argv[1]]); print(code, 'pandas' in sys.modules)")
    import subprocess
    import sys

    from testkit import ROOT

    out = subprocess.run([sys.executable, "-c", code, str(day_db)], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    lines = out.stdout.splitlines()
    assert lines[0] == "app,seconds" and lines[1].startswith("Code,3704")
    assert lines[-1] == "0 False"


def test_every_file_is_readable_by_its_owner_only(db):
    """Another user of the machine must not be able to copy the worker's data:
    the database, its WAL, the log and the lock are 0600, even when the
    worker's umask would allow more, and an older world-readable file is closed."""
    old = os.umask(0o022)
    try:
        cli("consent", "--accept", "--db", str(db))
        with DaemonProcess(db, *REPLAY, "--replay", "rate=100") as daemon:
            daemon.wait_for_events(50)
            files = [db, db.with_name(db.name + ".wal"), daemon.paths.log, daemon.paths.lock]
            modes = {f.name: oct(f.stat().st_mode & 0o777) for f in files if f.exists()}
        assert set(modes.values()) == {"0o600"}, modes
        db.chmod(0o644)
        cli("consent", "--accept", "--db", str(db))
        assert oct(db.stat().st_mode & 0o777) == "0o600"
    finally:
        os.umask(old)


def test_a_file_from_a_newer_workprint_gets_a_message_not_a_traceback(db):
    """Hardening #13: a worker who downgraded Workprint is told to upgrade, and the file is left alone."""
    cli("consent", "--accept", "--db", str(db))
    con = connect(db)
    con.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    con.close()
    digest = db.read_bytes()
    withdrawn = cli("consent", "--withdraw", "--db", str(db), check=False)  # it stands, even unwritten
    assert withdrawn.returncode == 0 and "noted beside it" in withdrawn.stdout, withdrawn.stderr
    for args in (("run", "--backend", "replay"), ("consent", "--accept"),
                 ("categories", "--add", "x", "y"), ("import", "eventlog", str(db), "--case", "c",
                                                     "--activity", "a", "--time", "t")):
        result = cli(*args, "--db", str(db), check=False)
        assert result.returncode != 0, args
        assert "Traceback" not in result.stderr, (args, result.stderr)
        if args[0] != "import":
            assert "upgrade Workprint" in result.stderr, (args, result.stderr)
    assert db.read_bytes() == digest


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to make a folder owned by another user")
def test_a_socket_folder_taken_by_someone_else_is_refused_clearly(db, tmp_path):
    """Hardening #7: a folder another user made first, or a link in its place,
    gets a message naming it, never a traceback, and no daemon talks through it."""
    taken = tmp_path / "taken"
    taken.mkdir(mode=0o700)
    os.chown(taken, 65534, 65534)
    link = tmp_path / "link"
    link.symlink_to(tmp_path)
    for folder, says in ((taken, "must be yours"), (link, "not a link")):
        for command in (("status",), ("stop",), ("consent", "--withdraw"), ("run", "--backend", "replay")):
            result = cli(*command, "--db", str(db), env={"WORKPRINT_RUNTIME_DIR": str(folder)}, check=False)
            assert result.returncode != 0 and says in result.stderr, (command, result.stderr)
            assert "Traceback" not in result.stderr


def test_every_session_finds_the_daemon_whatever_its_environment(consented):
    """Hardening #7: a daemon started from a desktop session ($XDG_RUNTIME_DIR set)
    is found from SSH or cron (no $XDG_RUNTIME_DIR), and can be withdrawn from there."""
    with DaemonProcess(consented, *REPLAY, env={"XDG_RUNTIME_DIR": "/tmp"}) as daemon:
        daemon.wait_for_events(5)
        env = {k: v for k, v in os.environ.items() if k != "XDG_RUNTIME_DIR"}
        status = subprocess.run([sys.executable, "-m", "capture", "status", "--json", "--db", str(consented)],
                                cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        assert json.loads(status.stdout)["running"] is True
        withdrawn = subprocess.run([sys.executable, "-m", "capture", "consent", "--withdraw", "--db", str(consented)],
                                   cwd=ROOT, env=env, capture_output=True, text=True)
        assert withdrawn.returncode == 0 and "capture stopped" in withdrawn.stdout
        assert daemon.proc.wait(20) == 0
