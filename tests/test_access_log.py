"""The access log: every read of the worker's data by anyone else is kept,
and any edit, deletion, reordering or cut-off tail of the log is seen.

Each tampering test writes five entries to a real DuckDB file, closes it,
tampers with the file (or the head file beside it) as another program would,
and checks what :func:`store.accesslog.verify` and ``access-log`` say.
"""

import json

import pytest

import store
from capture import control
from store import accesslog, client
from store import paths as store_paths
from testkit import DaemonProcess, cli, connect


@pytest.fixture
def logged(db):
    """A database whose access log holds five entries, closed."""
    paths = store_paths.paths(db)
    con = store.open_writable(db)
    for i in range(1, 6):
        accesslog.append(con, paths.access_head, f"reader {i}", "query", {"sql": f"SELECT {i}"}, "a test")
    con.close()
    return paths


def _tamper(paths, *sql: str) -> None:
    con = connect(paths.db)
    for statement in sql:
        con.execute(statement)
    con.close()


def _verdict(paths) -> accesslog.Verdict:
    con = store.open_read_only(paths.db)
    try:
        return accesslog.verify(con, paths.access_head)
    finally:
        con.close()


def test_an_untouched_log_is_intact(logged):
    verdict = _verdict(logged)
    assert verdict.ok and str(verdict) == "intact (5 entries)"


def test_an_edited_entry_is_detected(logged):
    """Changing who read, or why, shows at that entry."""
    _tamper(logged, "UPDATE access_log SET who = 'nobody at all' WHERE seq = 3")
    verdict = _verdict(logged)
    assert verdict.bad == 3 and "content was changed" in verdict.reason


def test_an_edit_with_its_hash_recomputed_is_detected(logged):
    """Whoever edits an entry and writes a new hash for it breaks the next link."""
    con = connect(logged.db)
    seq, ts_us, who, what, params, why, prev, _ = con.execute(
        "SELECT seq, epoch_us(ts), who, what, params, why, prev_hash, hash FROM access_log WHERE seq = 2").fetchall()[0]
    forged = accesslog.entry_hash(seq, ts_us, "someone else", what, params, why, prev)
    con.execute("UPDATE access_log SET who = 'someone else', hash = $h WHERE seq = 2", {"h": forged})
    con.close()
    verdict = _verdict(logged)
    assert verdict.bad == 3 and "does not follow entry 2" in verdict.reason


def test_an_edit_relinked_to_the_next_entry_is_detected(logged):
    """Rewriting an entry's hash and the next entry's link to it changes the
    next entry's own hash, as each hash covers the link."""
    con = connect(logged.db)
    seq, ts_us, who, what, params, why, prev, _ = con.execute(
        "SELECT seq, epoch_us(ts), who, what, params, why, prev_hash, hash FROM access_log WHERE seq = 2").fetchall()[0]
    forged = accesslog.entry_hash(seq, ts_us, "someone else", what, params, why, prev)
    con.execute("UPDATE access_log SET who = 'someone else', hash = $h WHERE seq = 2", {"h": forged})
    con.execute("UPDATE access_log SET prev_hash = $h WHERE seq = 3", {"h": forged})
    con.close()
    verdict = _verdict(logged)
    assert verdict.bad == 3 and "content was changed" in verdict.reason


def test_a_deleted_entry_is_detected(logged):
    _tamper(logged, "DELETE FROM access_log WHERE seq = 2")
    verdict = _verdict(logged)
    assert verdict.bad == 2 and "entry 2 missing" in verdict.reason


def test_deleted_entries_renumbered_are_detected(logged):
    """Deleting an entry and closing the gap in the numbers still shows."""
    _tamper(logged, "DELETE FROM access_log WHERE seq = 2", "UPDATE access_log SET seq = seq - 1 WHERE seq > 2")
    assert _verdict(logged).bad == 2


def test_reordered_entries_are_detected(logged):
    """Swapping two entries' places (their numbers) shows at the first of them."""
    _tamper(logged, "UPDATE access_log SET seq = CASE seq WHEN 3 THEN 4 ELSE 3 END WHERE seq IN (3, 4)")
    verdict = _verdict(logged)
    assert verdict.bad == 3 and not verdict.ok


def test_a_truncated_tail_is_detected(logged):
    """The chain alone cannot show a cut-off end: the pinned head does."""
    _tamper(logged, "DELETE FROM access_log WHERE seq >= 4")
    verdict = _verdict(logged)
    assert verdict.bad == 4 and "ends at entry 3, but entries up to 5 were written" in verdict.reason


def test_an_emptied_log_is_detected(logged):
    _tamper(logged, "DELETE FROM access_log")
    assert _verdict(logged).bad == 1


def test_a_rewritten_last_entry_is_caught_by_the_head(logged):
    """Rewriting the last entry with a fresh hash leaves the chain whole;
    the head pinned beside the file no longer matches it."""
    con = connect(logged.db)
    seq, ts_us, who, what, params, why, prev, _ = con.execute(
        "SELECT seq, epoch_us(ts), who, what, params, why, prev_hash, hash FROM access_log WHERE seq = 5").fetchall()[0]
    forged = accesslog.entry_hash(seq, ts_us, who, what, params, "no reason", prev)
    con.execute("UPDATE access_log SET why = 'no reason', hash = $h WHERE seq = 5", {"h": forged})
    con.close()
    verdict = _verdict(logged)
    assert verdict.bad == 5 and "not the entry pinned" in verdict.reason


def test_a_missing_head_is_detected(logged):
    logged.access_head.unlink()
    verdict = _verdict(logged)
    assert not verdict.ok and "is missing" in verdict.reason


def test_appending_after_a_cut_keeps_the_gap(logged):
    """A new entry follows the pinned head, never the cut table: the break stays visible."""
    _tamper(logged, "DELETE FROM access_log WHERE seq >= 4")
    con = store.open_writable(logged.db)
    entry = accesslog.append(con, logged.access_head, "reader 6", "query", {}, "after the cut")
    con.close()
    verdict = _verdict(logged)
    assert entry.seq == 6 and verdict.bad == 4 and "entries 4 to 5 missing" in verdict.reason


def test_appending_after_the_head_went_missing_starts_a_chain_that_shows(logged):
    logged.access_head.unlink()
    con = store.open_writable(logged.db)
    accesslog.append(con, logged.access_head, "reader 6", "query", {}, "")
    con.close()
    verdict = _verdict(logged)
    assert verdict.bad == 6 and "new chain" in verdict.reason


def test_the_head_file_is_owner_only(logged):
    assert oct(logged.access_head.stat().st_mode & 0o777) == "0o600"


def test_the_command_says_intact_or_where_it_broke(logged):
    """``access-log`` prints each entry and the chain's state; a broken chain
    exits 1, naming the first bad entry."""
    ok = cli("access-log", "--db", str(logged.db))
    assert "reader 3" in ok.stdout and ok.stdout.strip().endswith("chain: intact (5 entries)")
    _tamper(logged, "UPDATE access_log SET why = 'edited' WHERE seq = 2")
    broken = cli("access-log", "--db", str(logged.db), check=False)
    assert broken.returncode == 1
    assert "chain: broken at entry 2: its content was changed" in broken.stdout
    as_json = json.loads(cli("access-log", "--json", "--db", str(logged.db), check=False).stdout)
    assert as_json["bad_entry"] == 2 and len(as_json["entries"]) == 5


def test_an_empty_log_says_nobody_read(db):
    store.open_writable(db).close()
    out = cli("access-log", "--db", str(db)).stdout
    assert "nobody but you has read your data" in out and "chain: intact (0 entries)" in out


# --- who gets logged --------------------------------------------------------------------
def test_reads_by_other_programs_are_logged_and_the_workers_own_are_not(consented, monkeypatch):
    """While capture runs, a script reading through the socket is logged
    (who, what, why); the worker's own command line and dashboard are not."""
    with DaemonProcess(consented, "--backend", "replay", "--replay", "rate=50") as daemon:
        daemon.wait_for_events(5)
        monkeypatch.setattr(client, "_client_name", None)
        client.read(daemon.paths, "SELECT count(*) AS n FROM events WHERE kind = $k", {"k": "start"})
        client.identify("a research script")
        client.request(daemon.paths, "inventory", why="checking what it holds")
        client.identify("workprint-dashboard")
        client.read(daemon.paths, "SELECT count(*) AS n FROM events")
        cli("query", "run", "event_counts", env={"WORKPRINT_DB": str(consented)})
        log = control.access_log(daemon.paths)
    first, second = log["entries"]
    assert first["who"].startswith("unidentified (pid ") and first["what"] == "query"
    assert first["params"] == {"sql": "SELECT count(*) AS n FROM events WHERE kind = $k", "params": {"k": "start"}}
    assert first["why"] == "not given"
    assert second["who"].startswith("a research script (pid ") and second["what"] == "inventory"
    assert second["why"] == "checking what it holds"
    assert log["intact"]
    after = control.access_log(store_paths.paths(consented))  # from the file, the daemon gone
    assert after["state"] == "intact (2 entries)"


def test_a_read_that_cannot_be_logged_is_refused(consented, monkeypatch):
    """When the entry cannot be written, the other program gets nothing."""
    with DaemonProcess(consented, "--backend", "replay") as daemon:
        daemon.paths.access_head.mkdir()  # the pin cannot be replaced: the append fails
        monkeypatch.setattr(client, "_client_name", None)
        with pytest.raises(client.DaemonError):
            client.read(daemon.paths, "SELECT count(*) AS n FROM events")
        daemon.paths.access_head.rmdir()
