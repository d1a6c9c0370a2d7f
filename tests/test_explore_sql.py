"""A researcher's SQL through Explore's door (team/explore_sql.py): the read is logged in the access log of
everyone it read, also when it ran and then failed (whether it fails can hang on one person's row), and it
runs beside another session's Explore read of the same study without either failing (DuckDB refuses a file
two connections of one process open)."""

from __future__ import annotations

import threading
import time

import pytest
import study_gen as g

from sharing import studies, teamlog
from team import explore, explore_sql
from team.viewer import Viewer

ROB = Viewer("researcher rob (local account)", "researcher", frozenset(), frozenset({"rhythm"}))


@pytest.fixture
def world(tmp_path):
    s = g.study("rhythm", ("activity", "categories"))
    store = g.build(tmp_path / "store", s, {"A": 6}, days=4)
    people = {studies.parse_release_key(k)[2] for k in store.list(studies.release_prefix(s.id))}
    return s, store, tmp_path / "state", people


def _whats(store, people) -> dict[str, list[str]]:
    return {p: [e.what for e in teamlog.entries(store, p)] for p in people}


def test_a_query_logs_everyone_it_read(world):
    s, store, state, people = world
    found = explore_sql.query(ROB, store, state, s.id, "SELECT weekday, count(*) AS n FROM days GROUP BY weekday")
    assert found.frame.height and found.persons == len(people)
    assert all(whats == ["study SQL query"] for whats in _whats(store, people).values())


def test_a_query_that_ran_and_failed_is_logged_too(world):
    """A CAST that fails on one row's value: nothing is returned, but everyone whose rows it read is told."""
    s, store, state, people = world
    with pytest.raises(explore_sql.SandboxFailed):
        explore_sql.query(ROB, store, state, s.id,
                          "SELECT count(*), sum(CAST(CASE WHEN active_minutes > 0 THEN 'x' ELSE '1' END AS INTEGER)) "
                          "FROM days")
    assert all(whats == ["study SQL query (stopped)"] for whats in _whats(store, people).values())


def test_a_refused_query_reads_and_logs_nothing(world):
    s, store, state, people = world
    with pytest.raises(explore_sql.SandboxRefused):
        explore_sql.query(ROB, store, state, s.id, "SELECT person, day FROM days")
    assert all(whats == [] for whats in _whats(store, people).values())


def test_a_long_query_and_an_explore_read_run_side_by_side(world):
    """One session's SQL runs (here until its time limit) while another session reads Explore: both finish as
    they should, neither with DuckDB's 'Unique file handle conflict'."""
    s, store, state, people = world
    explore.read(ROB, store, state, s.id, "active_minutes", ("weekday",))  # the ledger made
    outcome = {}

    def slow():
        try:
            explore_sql.query(ROB, store, state, s.id, "SELECT count(*) FROM hours a, hours b, hours c",
                              timeout_s=2)
            outcome["sql"] = "finished"
        except explore_sql.SandboxTimeout:
            outcome["sql"] = "timed out"
        except Exception as exc:  # noqa: BLE001 - the test reports what it was
            outcome["sql"] = repr(exc)

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(1)  # the query is running now
    read = explore.read(ROB, store, state, s.id, "active_minutes", ("weekday",))
    thread.join(30)
    assert read.frame.height
    assert outcome["sql"] in ("finished", "timed out"), outcome


def test_an_sql_download_is_a_logged_read_and_checks_the_study_again(world):
    """The CSV of a result is logged for everyone the query read, and refused to a viewer who lost the study."""
    s, store, state, people = world
    found = explore_sql.query(ROB, store, state, s.id, "SELECT weekday, count(*) AS n FROM days GROUP BY weekday")
    data = explore_sql.export(ROB, store, found, "csv")
    assert data.decode().splitlines()[0] == "weekday,n"
    assert all(whats == ["study SQL query", "study SQL export (csv)"] for whats in _whats(store, people).values())
    with pytest.raises(PermissionError):
        explore_sql.export(Viewer("researcher rob", "researcher", frozenset(), frozenset()), store, found, "csv")
