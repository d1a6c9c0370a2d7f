"""The capture daemon sends the daily team release itself: a completed day
is in the team store while capture runs, and an unreachable store is retried,
never the end of capture."""

from __future__ import annotations

import time

import pytest
from test_team_release import DAYS, SECRET, write_local_days

from capture import team_control
from sharing import teamstore
from store.paths import Paths
from testkit import DaemonProcess, connect, rows

REPLAY = ("--backend", "replay")


@pytest.fixture
def joined(consented, tmp_path):
    write_local_days(consented, DAYS[-3:])
    folder = teamstore.create(tmp_path / "teamstore")
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    team_control.join(Paths(consented), folder.root, "Alpha", secret)
    con = connect(consented)
    con.execute("UPDATE consent_log SET ts = now() - INTERVAL 3 DAY WHERE scope = 'team'")
    con.close()
    return consented, folder


def _wait_for(check, what: str, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_the_daemon_releases_a_completed_day(joined):
    """While capture runs, the completed days since joining reach the team
    store without the worker doing anything, and nothing for today."""
    db, folder = joined
    expected = {d for d in DAYS[-3:-1] if rows(db, "SELECT count(*) FROM hourly_total WHERE "
                                               "CAST(hour + to_seconds(utc_offset) AS DATE) = $d", {"d": d})[0][0]}
    assert expected
    with DaemonProcess(db, *REPLAY):
        _wait_for(lambda: team_control.status(Paths(db))["releases"] == len(expected), "the daemon's releases")
        time.sleep(1)  # and nothing more
        keys = folder.list("releases")
    assert {teamstore.parse_release_key(k)[1] for k in keys} == expected


def test_an_unreachable_store_is_logged_and_retried_and_capture_goes_on(joined):
    """The shared drive is away when the daemon first tries: it logs why,
    keeps capturing, and sends once the store is back."""
    db, folder = joined
    marker = folder.root / teamstore.MARKER
    aside = marker.with_name("marker.aside")
    marker.rename(aside)
    with DaemonProcess(db, *REPLAY, env={"WORKPRINT_RELEASE_RETRY_SECONDS": "0.5"}) as daemon:
        log = Paths(db).log
        _wait_for(lambda: log.exists() and "could not send the daily team release" in log.read_text(), "the log line")
        assert daemon.status()["running"] and folder.list("releases") == []
        aside.rename(marker)
        _wait_for(lambda: folder.list("releases"), "the release once the store is back")
        assert daemon.proc.poll() is None
