"""The research contract (sharing.studies, sharing.study_format, team.study_tables):
a study definition that is not one is refused naming the field, a release
holding anything the study did not ask for fails the check, and keys parse
back. A worker's consent and the server's reading both stand on these."""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa
import pytest

from sharing import studies
from sharing import study_format as sf
from sharing.teamstore import create
from team import study_tables

ENDS = dt.date(2027, 6, 30)
P = "ab" * 32


def _study(**over) -> studies.Study:
    fields = {"id": "focus-2027", "name": "Focus at work", "purpose": "How long people stay on one thing.",
              "researcher": "Dr. R. Example <r@example.org>", "ends": ENDS,
              "measures": ("transitions", "activity"), "k": 5}
    return studies.Study(**{**fields, **over})


def test_a_definition_round_trips_and_orders_its_measures():
    study = _study()
    assert study.measures == ("activity", "transitions")
    assert studies.from_json(studies.to_json(study)) == study
    assert study.scope == "study:focus-2027"
    assert study.running(ENDS) and not study.running(ENDS + dt.timedelta(days=1))


@pytest.mark.parametrize(("over", "names"), [
    ({"id": "Focus 2027"}, "not a study id"),
    ({"id": "../etc"}, "not a study id"),
    ({"name": " "}, "name must be given"),
    ({"purpose": "x" * 2001}, "purpose is 2001 characters"),
    ({"ends": "2027-06-30"}, "end date must be a date"),
    ({"measures": ("keystrokes",)}, "unknown measure 'keystrokes'"),
    ({"measures": ()}, "at least one measure"),
    ({"measures": ("activity", "activity")}, "named twice"),
    ({"k": 2}, "k must be a whole number of at least 3"),
])
def test_a_bad_definition_names_what_is_wrong(over, names):
    with pytest.raises(studies.StudyError, match=names):
        _study(**over)


@pytest.mark.parametrize(("edit", "names"), [
    (lambda d: d.pop("purpose"), "misses purpose"),
    (lambda d: d.update(raw_events=True), "fields no study has: raw_events"),
    (lambda d: d.update(ends="30/06/2027"), "must be YYYY-MM-DD"),
    (lambda d: d.update(format=9), "format 9"),
])
def test_a_damaged_definition_file_names_what_is_wrong(edit, names):
    data = json.loads(studies.to_json(_study()))
    edit(data)
    with pytest.raises(studies.StudyError, match=names):
        studies.from_json(json.dumps(data))
    with pytest.raises(studies.StudyError, match="not JSON"):
        studies.from_json("{")


def test_a_published_definition_is_never_changed_in_place(tmp_path):
    folder = create(tmp_path / "store")
    assert studies.publish(folder, _study())
    assert not studies.publish(folder, _study(name="Something else"))
    assert studies.load(folder, "focus-2027").name == "Focus at work"
    assert [s.id for s in studies.listing(folder)] == ["focus-2027"]
    with pytest.raises(LookupError, match="no study 'other'"):
        studies.load(folder, "other")


def test_release_keys_parse_back_and_nothing_else_does():
    key = studies.release_key("focus-2027", dt.date(2027, 1, 4), P)
    assert key == f"study-releases/focus-2027/2027-01-04/{P}.parquet"
    assert studies.parse_release_key(key) == ("focus-2027", dt.date(2027, 1, 4), P)
    for other in (f"releases/focus-2027/2027-01-04/{P}.parquet", f"study-releases/focus-2027/2027-13-04/{P}.parquet",
                  "study-releases/focus-2027/2027-01-04/not-a-pseudonym.parquet", "studies/focus-2027.json"):
        assert studies.parse_release_key(other) is None


def _row(measures) -> dict:
    row = {"pseudonym": P, "study": "focus-2027", "day": dt.date(2027, 1, 4)}
    values = {"active_minutes": [30] * 24, "switches": [4] * 24, "category_seconds": [("Code", 3600)],
              "focus_sessions": 2, "focus_seconds": 1800, "typing_bins": [1] * 6, "click_bins": [1] * 7,
              "category_transitions": [{"src": "Code", "dst": "Mail", "n": 3}],
              "typing_fine_bins": [1] * sf.TYPING_FINE_BINS, "click_fine_bins": [1] * sf.CLICK_FINE_BINS}
    return {**row, **{n: values[n] for n in sf.names(measures) if n in values}}


@pytest.mark.parametrize("measures", [tuple(sf.MEASURES), ("transitions",), ("typing_fine", "clicking")])
def test_a_release_of_the_asked_measures_keeps_the_promise(measures):
    table = pa.Table.from_pylist([_row(measures)], schema=sf.schema(measures))
    assert sf.check(table, measures, {"Code", "Mail"}) == []


def test_a_release_holding_more_than_was_asked_fails():
    measures = ("transitions",)
    table = pa.Table.from_pylist([_row(("transitions", "typing"))], schema=sf.schema(("transitions", "typing")))
    assert sf.check(table, measures) == ["column typing_bins: list<item: int32> is not promised"]


@pytest.mark.parametrize(("pairs", "names"), [
    ([{"src": "Code", "dst": "Code", "n": 1}], "within one category"),
    ([{"src": "Code", "dst": "Mail", "n": 0}], "not positive"),
    ([{"src": "Code", "dst": "Mail", "n": 1}, {"src": "Code", "dst": "Mail", "n": 2}], "names a pair twice"),
    ([{"src": "Code", "dst": "Chess club", "n": 1}], "'Chess club' is not one of your category rules"),
])
def test_bad_transitions_are_named(pairs, names):
    row = {**_row(("transitions",)), "category_transitions": pairs}
    table = pa.Table.from_pylist([row], schema=sf.schema(("transitions",)))
    assert any(names in p for p in sf.check(table, ("transitions",), {"Code", "Mail"}))


def test_a_study_has_the_tables_of_its_measures_and_every_table_has_person_and_day():
    assert [t.name for t in study_tables.for_measures(("typing_fine",))] == ["days", "typing_fine"]
    assert {t.name for t in study_tables.for_measures(tuple(sf.MEASURES))} == set(study_tables.BY_NAME)
    for table in study_tables.TABLES:
        assert [f.name for f in table.fields[:4]] == ["person", "day", "week", "weekday"]
