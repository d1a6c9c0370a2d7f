"""The Privacy & data page, run with AppTest on the worker's own database: what
it shows is what the controller says, and its buttons do what they say."""


import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from capture import control
from store.paths import Paths
from testkit import ROOT, cli, copy_db

TOKEN = "owner-key-for-these-tests"


@pytest.fixture
def own(tmp_path, monkeypatch, aw_day_db, running_server):
    db = tmp_path / "workprint.duckdb"
    copy_db(aw_day_db, db)
    monkeypatch.setenv("WORKPRINT_DB", str(db))
    monkeypatch.setenv("WORKPRINT_DASHBOARD_TOKEN", TOKEN)
    return Paths(db)


@pytest.fixture(scope="module")
def aw_day_db(tmp_path_factory):
    from testkit import shared

    db = tmp_path_factory.mktemp("aw") / "workprint.duckdb"
    cli("import", "activitywatch", str(shared("activitywatch", "aw-server-0.12-export-1day.json")), "--db", str(db))
    return db


def privacy() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["token"] = TOKEN
    at.run().switch_page("pages/privacy.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def frame_of(element) -> pl.DataFrame:
    return pl.from_pandas(element.value) if not isinstance(element.value, pl.DataFrame) else element.value


def test_the_consent_text_shown_is_the_generated_one_and_accepting_records_that_version(own):
    at = privacy()
    text = control.consent_standing(own)["text"]
    assert any("raw events 30 days" in m.value.replace("\n", " ") for m in at.main.markdown)
    assert any("not given consent yet" in i.value for i in at.main.info)
    at.checkbox(key="consent_read").check().run()
    next(b for b in at.main.button if b.label == "Accept").click().run()
    standing = control.consent_standing(own)
    assert standing["covered"] and control.consent_text(own) == text
    assert any(f"You accepted version {standing['accepted_version']}" in s.value for s in at.main.success)


def test_saving_settings_that_record_more_asks_for_consent_again(own):
    control.accept(own)
    at = privacy()
    form_titles = next(t for t in at.main.text_area if t.label.startswith("Apps whose titles are stored"))
    form_titles.input("firefox")
    next(b for b in at.main.button if b.label == "Save settings").click().run()
    assert control.load_settings(own).titles.apps == ("firefox",)
    assert any("record more than you consented to" in e.value for e in at.main.error)
    assert any("window titles stored for: firefox" in w.value for w in at.main.warning)


def test_a_bad_setting_is_refused_naming_it_and_nothing_is_written(own):
    at = privacy()
    next(t for t in at.main.text_area if t.label.startswith("One line per day range")).input("mon-fry = 09:00-17:00")
    next(b for b in at.main.button if b.label == "Save settings").click().run()
    assert any("'mon-fry' is not a day" in e.value for e in at.main.error)
    assert not own.settings.exists()


def test_the_retention_table_is_what_the_file_holds(own):
    at = privacy()
    state = control.retention_state(own)
    table = next(frame_of(d) for d in at.main.dataframe if "oldest row" in frame_of(d).columns)
    shown = dict(zip(table["table"], table["rows"]))
    assert shown == {t: v["rows"] for t, v in state["tables"].items()}
    assert shown["spans"] > 0
    columns = next(frame_of(d) for d in at.main.dataframe if "meaning" in frame_of(d).columns)
    inventory = control.inventory(own)
    assert columns.height == len(inventory)
    assert dict(zip(zip(columns["table"], columns["column"]), columns["rows"])) == {
        (c["table"], c["column"]): c["rows"] for c in inventory}


def test_the_delete_preview_is_what_delete_removes_and_delete_removes_it(own):
    at = privacy()
    at.radio(key="delete_what").set_value("An app").run()
    app = at.selectbox(key="delete_app").value
    next(b for b in at.main.button if b.label == "Show what would go").click().run()
    expected = {t: n for t, n in control.delete_preview(own, app=app)["rows"].items() if n}
    table = next(frame_of(d) for d in at.main.dataframe if list(frame_of(d).columns) == ["table", "rows"])
    assert dict(zip(table["table"], table["rows"])) == expected
    at.checkbox(key="delete_sure").check().run()
    next(b for b in at.main.button if b.label == "Delete").click().run()
    assert control.delete_preview(own, app=app)["rows"]["spans"] == 0
    assert any("Deleted" in s.value for s in at.main.success)


def test_an_export_from_the_page_is_in_the_access_log_shown(own, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKPRINT_EXPORT_DIR", str(tmp_path / "exports"))
    at = privacy()
    assert any("Nobody and nothing but you" in s.value for s in at.main.success)
    next(b for b in at.main.button if b.label == "Export everything").click().run()
    assert list((tmp_path / "exports").iterdir())
    log = control.access_log(own)
    table = next(frame_of(d) for d in at.main.dataframe if "who" in frame_of(d).columns)
    assert table.height == len(log["entries"]) == 1 and log["intact"]


def test_a_database_whose_key_is_gone_is_said_once_and_left_alone(own):
    from store import keys

    before = own.db.read_bytes()
    keys.key_file(own.db).unlink()
    at = privacy()
    errors = [e.value for e in at.main.error]
    assert len(errors) == 1 and "its key is not in" in errors[0] and "no new key was made" in errors[0]
    assert sum("cannot be read: see the top" in i.value for i in at.main.info) >= 4
    assert own.db.read_bytes() == before and not keys.key_file(own.db).exists()
