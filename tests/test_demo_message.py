"""The first page's wait for the demo says what is made and how long it takes.

Generating the demo takes 8 s on an idle machine and over a minute on a busy
one: "a few seconds" made a first-time user think the dashboard hung.
"""

import re
from contextlib import contextmanager

import streamlit as st
from streamlit.testing.v1 import AppTest

from capture import control
from testkit import ROOT

TOKEN = "owner-key-for-these-tests"


def test_the_first_page_says_the_demo_is_made_once_and_how_long_it_takes(tmp_path, monkeypatch):
    said, made = [], []

    @contextmanager
    def spinner(text, *args, **kwargs):
        said.append(text)
        yield

    monkeypatch.setattr(st, "spinner", spinner)
    monkeypatch.setattr(control, "ensure_demo", made.append)  # the wait, not the generator, is tested here
    monkeypatch.setenv("WORKPRINT_DEMO_DB", str(tmp_path / "demo.duckdb"))
    monkeypatch.setenv("WORKPRINT_DASHBOARD_TOKEN", TOKEN)
    st.cache_data.clear()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=30)
    at.query_params["token"] = TOKEN
    at.run()
    st.cache_data.clear()
    assert made == [tmp_path / "demo.duckdb"]
    demo = [text for text in said if "demo" in text.lower()]
    assert len(demo) == 1, said
    assert "once" in demo[0] and "a few seconds" not in demo[0]
    assert re.search(r"\d+ to \d+ seconds, a minute or more on a busy machine", demo[0])
