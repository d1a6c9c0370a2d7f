"""The Explore page (pages/explore.py), run from app.py with AppTest on the demo study.

What breaks for a researcher or a worker if these fail: the chart or table
would show figures other than the query layer's, a group under k would show,
a pseudonym would appear on the page, the SQL box would run what the
sandbox refuses or show rows it left out, the demo would not say it is one,
a read would not reach the access logs of the people it covers, or a
researcher would see a study not theirs.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from dashboard import researchdata
from demo import team as demo_team
from sharing import studies, teamlog, teamstore
from team import explore
from team.viewer import Viewer
from testkit import ROOT, copy_db

TOKEN = "owner-key-for-these-tests"
HEX64 = re.compile(r"[0-9a-f]{64}")
DEMO_WHO = "demo researcher (this machine's dashboard)"


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory, dashboard_db):
    """A demo database and, beside it, the demo team store with its demo study (a copy: reads write access logs)."""
    folder = tmp_path_factory.mktemp("explore-page")
    copy_db(dashboard_db, folder / "demo.duckdb")
    demo_team.generate(folder / "demo-team", seed=1)
    return folder


@pytest.fixture(autouse=True)
def _env(monkeypatch, demo_dir, running_server, tmp_path):
    monkeypatch.setenv("WORKPRINT_DEMO_DB", str(demo_dir / "demo.duckdb"))
    monkeypatch.setenv("WORKPRINT_DB", str(tmp_path / "own.duckdb"))
    monkeypatch.setenv("WORKPRINT_DASHBOARD_TOKEN", TOKEN)
    monkeypatch.delenv("WORKPRINT_MODE", raising=False)
    st.cache_data.clear()


def explore_page() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.query_params["token"] = TOKEN
    at.run().switch_page("pages/explore.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _demo():
    store = teamstore.open_store(researchdata.paths.demo_team_path())
    study = next(s for s in studies.listing(store) if s.demo)
    viewer = Viewer(DEMO_WHO, "demo", frozenset(), frozenset({study.id}))
    return store, study, viewer, researchdata.paths.demo_team_path() / ".server-state"


def chart(at: AppTest) -> dict:
    return json.loads(next(el for el in at.get("plotly_chart") if el.key == "ex-chart").proto.spec)


def test_the_chart_and_table_are_the_query_layers_result(demo_dir):
    """The default view (active minutes per day, by week, the study's whole span) shows exactly
    team.explore.read's values, one point per week, and the table the same rows."""
    at = explore_page()
    store, study, viewer, state = _demo()
    got = explore.choices(viewer, store, state, study.id)
    expected = explore.read(viewer, store, state, study.id, "active_minutes", ("week",),
                            explore.Filters(first=got.first, last=got.last)).frame
    trace = chart(at)["data"][0]
    assert trace["y"] == pytest.approx(expected["value"].to_list(), rel=1e-12)
    assert len(trace["x"]) == expected.height > 4
    table = at.dataframe[0].value
    assert list(table["value"]) == pytest.approx(expected["value"].to_list(), rel=1e-12)
    assert list(table["persons"]) == expected["persons"].to_list()
    assert min(expected["persons"]) >= study.k


def test_a_category_fewer_than_k_used_is_not_offered_and_groups_under_k_are_left_out(demo_dir):
    """Category shares by category: every bar is over at least k people; the page says how many groups were
    left out, and the ones it shows are exactly the query layer's."""
    at = explore_page()
    at.selectbox(key="ex_measure").set_value("category_share").run()
    at.selectbox(key="ex_by").set_value("category").run()
    assert not at.exception, [e.value for e in at.exception]
    store, study, viewer, state = _demo()
    got = explore.choices(viewer, store, state, study.id)
    result = explore.read(viewer, store, state, study.id, "category_share", ("category",),
                          explore.Filters(first=got.first, last=got.last))
    bars = chart(at)["data"][0]
    assert bars["x"] == result.frame["category"].to_list()
    assert all(p >= study.k for p in result.frame["persons"])
    assert f"{result.suppressed} group(s) from fewer are left out" in " ".join(c.value for c in at.caption)
    assert set(at.selectbox(key="ex_pick").options) == set(got.categories)


def test_no_pseudonym_appears_anywhere_on_the_page(demo_dir):
    at = explore_page()
    for tab_key, value in (("ex_by", "weekday"), ("ex_by2", None)):
        at.selectbox(key=tab_key).set_value(value).run()
    shown = " ".join(str(el.proto) for el in walk(at.main)) + json.dumps(chart(at))
    assert not HEX64.search(shown)


def walk(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def test_the_demo_says_it_is_one(demo_dir):
    at = explore_page()
    assert any("a generated study of made-up people" in w.value for w in at.main.warning)


def test_sql_shows_the_sandboxs_rows_and_logs_the_read(demo_dir):
    """Run the example query: the rows are the sandbox's, and every person it covers has one more entry in
    their access log, from the demo researcher."""
    store, study, viewer, state = _demo()
    persons = set(explore.read(viewer, store, state, study.id, "active_minutes").frame["persons"])
    assert persons
    at = explore_page()
    sql = "SELECT weekday, count(*) AS person_days FROM days GROUP BY weekday ORDER BY weekday"
    before = {p: len(teamlog.entries(store, p)) for p in _people(store, study)}
    run_sql(at, sql)
    from team import explore_sql

    expected = explore_sql.query(viewer, store, state, study.id, sql).frame
    shown = at.dataframe[-1].value
    assert list(shown["person_days"]) == expected["person_days"].to_list()
    after = {p: teamlog.entries(store, p) for p in before}
    grew = [p for p in before if len(after[p]) > before[p]]
    assert grew and all(e.who == DEMO_WHO for p in grew for e in after[p][before[p]:])
    assert any(e.what == "study SQL query" for p in grew for e in after[p][before[p]:])


def run_sql(at: AppTest, sql: str) -> None:
    at.text_area(key="sql_text").input(sql)
    at.button(key="FormSubmitter:sql_form-Run").click().run()
    assert not at.exception, [e.value for e in at.exception]


def _people(store, study) -> set[str]:
    return {studies.parse_release_key(k)[2] for k in store.list(studies.release_prefix(study.id))}


@pytest.mark.parametrize("sql", ["SELECT person, day FROM days", "SELECT * FROM read_csv('/etc/passwd')",
                                 "SELECT count(*) FROM days; DROP TABLE days"])
def test_sql_the_sandbox_refuses_shows_an_error_and_no_rows(demo_dir, sql):
    at = explore_page()
    run_sql(at, sql)
    assert at.error, "a refused query must say why"
    assert "passwd" not in " ".join(str(d.value) for d in at.dataframe)
    assert "sql_result" not in at.session_state


def test_a_signed_in_researcher_sees_their_study_only(monkeypatch, tmp_path, demo_dir):
    """On the team server a researcher of one study gets that study only, nothing marked as demo,
    and the figures team.explore gives that researcher."""
    from dashboard import signin
    from team.accounts import Accounts

    shutil.copytree(demo_dir / "demo-team", tmp_path / "store", ignore=shutil.ignore_patterns(".server-state"))
    (tmp_path / "store" / demo_team.MARKER).unlink()  # a real store, not the demo
    store = teamstore.open_store(tmp_path / "store")
    demo_study = next(s for s in studies.listing(store) if s.demo)
    mine = studies.Study(**{**demo_study.__dict__, "id": "rhythm-2027", "demo": False})
    studies.publish(store, mine)
    for key in store.list(studies.release_prefix(demo_study.id))[:400]:  # the same files, as this study's
        _, day, who = studies.parse_release_key(key)
        table = researchdata_table(store.get(key), mine.id)
        store.put(studies.release_key(mine.id, day, who), table)
    monkeypatch.setenv("WORKPRINT_MODE", "team")
    monkeypatch.setenv("WORKPRINT_TEAM_STORE", str(tmp_path / "store"))
    monkeypatch.setenv("WORKPRINT_TEAM_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("WORKPRINT_DASHBOARD_TOKEN", raising=False)
    Accounts().add("rita", "researcher", [mine.id], "correct horse battery")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.text_input(key=signin.NAME_KEY).input("rita")
    at.text_input(key=signin.PASSWORD_KEY).input("correct horse battery")
    at.button[0].click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="ex_study").options == [f"{mine.name} ({mine.id})"]
    assert not any("Demo data" in w.value for w in at.main.warning)
    viewer = Viewer("researcher rita (local account)", "researcher", frozenset(), frozenset({mine.id}))
    got = explore.choices(viewer, store, tmp_path / "state", mine.id)
    frame = explore.read(viewer, store, tmp_path / "state", mine.id, "active_minutes", ("week",),
                         explore.Filters(first=got.first, last=got.last)).frame
    assert chart(at)["data"][0]["y"] == pytest.approx(frame["value"].to_list(), rel=1e-12)


def researchdata_table(data: bytes, study_id: str) -> bytes:
    """A release file's bytes with its study column set to ``study_id``."""
    import io

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pq.read_table(pa.BufferReader(data))
    table = table.set_column(table.schema.get_field_index("study"), "study", pa.array([study_id] * table.num_rows))
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def test_compare_shows_the_query_layers_sentence(demo_dir):
    """The Compare tab's default (the study's first half against its second, every day) says exactly what
    team.explore.compare says, and its medians."""
    import datetime as dt

    at = explore_page()
    store, study, viewer, state = _demo()
    got = explore.choices(viewer, store, state, study.id)
    middle = got.first + (got.last - got.first) / 2
    a = explore.Filters(first=got.first, last=middle)
    b = explore.Filters(first=min(middle + dt.timedelta(days=1), got.last), last=got.last)
    labels = [f"A ({a.first:%-d %b} to {a.last:%-d %b %Y})", f"B ({b.first:%-d %b} to {b.last:%-d %b %Y})"]
    expected = explore.compare(viewer, store, state, study.id, "active_minutes", a, b, *labels)
    assert expected.sentence not in [m.value for m in at.markdown]  # a comparison is a logged read: run when asked
    at.button(key="FormSubmitter:compare_form-Compare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert expected.sentence in [m.value for m in at.markdown]
    assert at.metric[0].value == f"{expected.comparison.median_a:,.3g}"
