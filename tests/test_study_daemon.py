"""The capture daemon sends the daily study releases itself, beside the
team's, and through its socket joins and leaves studies; an unreachable store
is logged and retried, never the end of capture."""

from __future__ import annotations

import time

import pytest
from test_study_worker import ALL
from test_team_daemon import _wait_for
from test_team_release import DAYS, SECRET, write_local_days

from capture import study_control
from sharing import studies, teamstore
from store.paths import Paths
from testkit import DaemonProcess, connect, rows

REPLAY = ("--backend", "replay")


@pytest.fixture
def joined(consented, tmp_path):
    write_local_days(consented, DAYS[-3:])
    folder = teamstore.create(tmp_path / "teamstore")
    studies.publish(folder, ALL)
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    study_control.join(Paths(consented), folder.root, ALL.id, secret)
    con = connect(consented)
    con.execute("UPDATE consent_log SET ts = now() - INTERVAL 3 DAY WHERE scope = 'study:rhythm-2027'")
    con.close()
    return consented, folder


def test_the_daemon_releases_to_a_study_and_leaving_through_it_removes_them(joined):
    """While capture runs, the completed days since joining reach the study
    without the worker doing anything (nothing for today); leaving while it
    runs goes through the daemon and removes them."""
    db, folder = joined
    expected = {d for d in DAYS[-3:-1] if rows(db, "SELECT count(*) FROM hourly_total WHERE "
                                               "CAST(hour + to_seconds(utc_offset) AS DATE) = $d", {"d": d})[0][0]}
    assert expected
    with DaemonProcess(db, *REPLAY) as daemon:
        _wait_for(lambda: study_control.status(Paths(db))["studies"][0]["releases"] == len(expected),
                  "the daemon's study releases")
        time.sleep(1)  # and nothing more
        keys = folder.list("study-releases")
        assert {studies.parse_release_key(k)[1] for k in keys} == expected
        done = study_control.leave(Paths(db), ALL.id)
        assert sorted(done["removed"]) == keys and folder.list("study-releases") == []
        assert daemon.status()["running"]


def test_an_unreachable_store_is_logged_and_retried_and_capture_goes_on(joined):
    """The shared drive is away when the daemon first tries: it logs why,
    keeps capturing, and sends once the store is back."""
    db, folder = joined
    marker = folder.root / teamstore.MARKER
    aside = marker.with_name("marker.aside")
    marker.rename(aside)
    with DaemonProcess(db, *REPLAY, env={"WORKPRINT_RELEASE_RETRY_SECONDS": "0.5"}) as daemon:
        log = Paths(db).log
        _wait_for(lambda: log.exists() and "could not send the daily study releases" in log.read_text(), "the log")
        assert daemon.status()["running"] and folder.list("study-releases") == []
        aside.rename(marker)
        _wait_for(lambda: folder.list("study-releases"), "the release once the store is back")
        assert daemon.proc.poll() is None
