"""The personal dashboard is its owner's alone (dashboard.access): the Host
check and the per-launch key, and what a session without the key gets."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.access import host_is_local, token_matches

APP = Path(__file__).resolve().parent.parent / "app.py"


@pytest.mark.parametrize("host", [None, "", "127.0.0.1:8501", "localhost:8501", "LOCALHOST", "[::1]:8501", "127.0.0.1"])
def test_local_host_names_are_let_in(host):
    assert host_is_local(host)


@pytest.mark.parametrize("host", ["rebind.example:8501", "127.0.0.1.evil.example:8501", "192.168.1.5:8501",
                                  "[::2]:8501", "localhost.evil:8501", "0.0.0.0:8501"])
def test_other_host_names_are_refused(host):
    """A DNS-rebinding page names its own host; no other name than this machine's gets in."""
    assert not host_is_local(host)


def test_the_key_must_match_and_exist():
    assert token_matches("k3y", "k3y")
    assert not token_matches("k3y", "other") and not token_matches("", "k3y") and not token_matches(None, "k3y")
    assert not token_matches("k3y", None) and not token_matches("", "")  # no key set: nobody gets in


@pytest.mark.parametrize("given", [None, "wrong"], ids=["no key", "a wrong key"])
def test_a_session_without_the_key_runs_no_page(monkeypatch, given, dashboard_db, tmp_path):
    """No page script runs, so no data is read and no button exists to press."""
    monkeypatch.setenv("WORKPRINT_DASHBOARD_TOKEN", "the-owners-key")
    monkeypatch.setenv("WORKPRINT_DEMO_DB", str(dashboard_db))
    at = AppTest.from_file(str(APP), default_timeout=30)
    if given:
        at.query_params["token"] = given
    at.run()
    assert not at.exception
    assert "yours alone" in at.info[0].value
    assert len(at.button) == 0 and len(at.metric) == 0 and len(at.sidebar.selectbox) == 0


def test_the_key_opens_the_session_for_every_page(monkeypatch, dashboard_db):
    """Once a session came with the key it keeps it while moving between pages."""
    monkeypatch.setenv("WORKPRINT_DASHBOARD_TOKEN", "the-owners-key")
    monkeypatch.setenv("WORKPRINT_DEMO_DB", str(dashboard_db))
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params["token"] = "the-owners-key"
    at.run()
    assert len(at.metric) > 0
    at.query_params.clear()
    at.switch_page("pages/privacy.py").run()
    assert not at.exception and any(b.label == "Accept" for b in at.button)
