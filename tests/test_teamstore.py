"""The team store's contract: keys stay inside it, writes are whole and
owner-only, a day is one file, and the access chain catches tampering."""

import datetime as dt
import json
import os
import threading

import pyarrow as pa
import pytest

from sharing import pseudonym, release_format, teamlog, teamstore

SECRET = b"an organisation secret, 32 bytes"
WHO = pseudonym.pseudonym("local", SECRET)


@pytest.fixture
def store(tmp_path):
    return teamstore.create(tmp_path / "team-store")


def test_pseudonym_is_keyed_and_needs_a_real_secret():
    """Without the secret a pseudonym cannot be computed for a guessed id."""
    assert pseudonym.pseudonym("local", SECRET) == WHO
    assert pseudonym.pseudonym("local", b"another secret of 32 bytes......") != WHO
    assert pseudonym.is_pseudonym(WHO)
    with pytest.raises(pseudonym.SecretError, match="at least 16"):
        pseudonym.secret_from_text("  short  ")


@pytest.mark.parametrize("key", ["../outside", "releases/../../x", "/abs", "a//b", ""])
def test_a_key_cannot_leave_the_store(store, key):
    with pytest.raises(teamstore.StoreError):
        store.put(key, b"x")


@pytest.mark.parametrize("name", ["../x", "a/b", "", " lead", "x" * 65, "a..b"])
def test_team_names_that_are_not_one_are_refused(name):
    with pytest.raises(ValueError, match="not a team name"):
        teamstore.check_team(name)


def test_a_day_released_twice_is_one_owner_only_file(store):
    key = teamstore.release_key("Design", dt.date(2026, 11, 2), WHO)
    store.put(key, b"first")
    store.put(key, b"second")
    assert store.list("releases") == [key]
    assert store.get(key) == b"second"
    assert oct(os.stat(store.root / key).st_mode & 0o777) == "0o600"
    assert teamstore.parse_release_key(key) == ("Design", dt.date(2026, 11, 2), WHO)
    assert store.delete(key) and not (store.root / "releases").exists()


def test_a_folder_that_is_not_a_store_is_named(tmp_path):
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "file").write_text("x")
    with pytest.raises(teamstore.StoreError, match="not a team store"):
        teamstore.open_store(tmp_path / "x")
    with pytest.raises(teamstore.StoreError, match="not empty"):
        teamstore.create(tmp_path / "x")


def test_racing_writers_get_one_chain(store):
    """Two servers logging reads at once must not overwrite each other's entries."""
    threads = [threading.Thread(target=lambda i=i: [teamlog.append(store, WHO, f"reader {i}", "read") for _ in range(10)])
               for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    found = teamlog.entries(store, WHO)
    assert [e.seq for e in found] == list(range(1, 41))
    assert teamlog.verify(found).ok


def test_a_forged_entry_is_detected(store):
    for i in range(3):
        teamlog.append(store, WHO, "manager", "team figures", {"week": i})
    key = store.list(teamstore.access_prefix(WHO))[1]
    raw = json.loads(store.get(key))
    raw["who"] = "nobody looked"
    store.put(key, json.dumps(raw).encode())
    verdict = teamlog.verify(teamlog.entries(store, WHO))
    assert not verdict.ok and verdict.bad == 2


def test_a_chain_cut_back_since_the_worker_saw_it_is_detected(store):
    for _ in range(3):
        teamlog.append(store, WHO, "manager", "team figures")
    seen = teamlog.entries(store, WHO)[-1]
    store.delete(store.list(teamstore.access_prefix(WHO))[-1])
    found = teamlog.entries(store, WHO)
    assert teamlog.verify(found).ok  # the chain alone cannot tell
    assert "cut back" in teamlog.verify(found, (seen.seq, seen.hash)).reason


def _release(**changes):
    row = {"pseudonym": WHO, "team": "Design", "day": dt.date(2026, 11, 2), "active_minutes": [0] * 24,
           "switches": [0] * 24, "category_seconds": [("Coding", 60)], "focus_sessions": 0, "focus_seconds": 0,
           "typing_bins": [0] * release_format.TYPING_BINS, "click_bins": [0] * release_format.CLICK_BINS}
    row.update(changes)
    return pa.Table.from_pylist([row], schema=release_format.schema())


def test_the_release_check_names_what_breaks_the_promise():
    assert release_format.check(_release(), {"Coding"}) == []
    assert release_format.check(_release(active_minutes=[61] + [0] * 23))
    assert "not one of your category rules" in release_format.check(_release(category_seconds=[("firefox", 1)]),
                                                                      {"Coding"})[0]
    extra = _release().append_column("title", pa.array(["secret"]))
    assert release_format.check(extra) == ["column title: string is not promised"]
