"""What a researcher sees in Explore (team/explore.py): every row over at least the study's k distinct persons,
in the frame and in every export; values that are the release files' own; only the studies of their account;
and every read in each included person's access log. Real DuckDB files, a real store, real Parquet releases.

The study (k = 5, three weeks from a Monday): eight people work Monday to Friday; four of them also work on
Saturdays and five on Sundays (each many days: counted once each); four use the category 'Rare4', five 'Rare5'.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import shutil
from collections import defaultdict

import polars as pl
import pyarrow.parquet as pq
import pytest
import study_gen as g

from sharing import stats, studies, teamlog, teamstore
from team import explore, study_ledger
from team.viewer import Viewer

K = 5
WEEKS = 3
ROB = Viewer("researcher rob (local account)", "researcher", frozenset(), frozenset({"rhythm"}))
SAT = g.DAY0 + dt.timedelta(days=5)
SUN = g.DAY0 + dt.timedelta(days=6)


def _people(s):
    return [g.who(s.id, "P", i) for i in range(8)]


def _build(root, s):
    store = g.build(root, s, {}, days=0)
    rng = random.Random(7)
    for i, person in enumerate(_people(s)):
        for d in range(7 * WEEKS):
            day = g.DAY0 + dt.timedelta(days=d)
            if (day.isoweekday() == 6 and i >= 4) or (day.isoweekday() == 7 and i >= 5):
                continue
            values = g.row(s, day, person, rng)
            if "category_seconds" in values:
                values["category_seconds"] += [("Rare4", 1200)] * (i < 4) + [("Rare5", 900)] * (i < 5)
            g.put(store, s, values)
    return store


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The store and a ledger synced with it, made once; each test gets its own copy of both."""
    root = tmp_path_factory.mktemp("explore")
    s = g.study("rhythm", k=K)
    store = _build(root / "store", s)
    other = g.study("other-study", k=K)
    studies.publish(store, other)
    g.put(store, other, g.row(other, g.DAY0, g.who(other.id, "P", 0), random.Random(1)))
    with study_ledger.opened(root / "state", s) as con:
        study_ledger.sync(con, store, s)
    return s, root


@pytest.fixture
def world(template, tmp_path):
    s, root = template
    shutil.copytree(root / "store", tmp_path / "store", copy_function=shutil.copy2)  # mtimes kept: nothing re-read
    shutil.copytree(root / "state", tmp_path / "state")
    return s, teamstore.open_store(tmp_path / "store"), tmp_path / "state"


def _read(world, measure, by=(), filters=None, viewer=ROB):
    s, store, state = world
    return explore.read(viewer, store, state, s.id, measure, by, filters)


def _files(store, s) -> list[dict]:
    return [r for key in store.list(studies.release_prefix(s.id))
            for r in pq.read_table(io.BytesIO(store.get(key))).to_pylist()]


def _log(store, person):
    return teamlog.entries(store, person)


# --- k --------------------------------------------------------------------------------
def test_a_group_of_k_minus_one_persons_is_left_out_and_one_of_k_shown(world):
    """Saturday's four people are left out although they worked twelve days between them (a person counts once);
    Sunday's five are shown, and say so."""
    result = _read(world, "active_minutes", ("weekday",))
    assert result.frame["weekday"].to_list() == [1, 2, 3, 4, 5, 7]
    assert result.frame.filter(pl.col("weekday") == 7)["persons"].item() == K
    assert result.suppressed == 1 and result.k == K
    assert (result.frame["persons"] >= K).all()


def test_persons_are_counted_distinct_not_by_days(world):
    """Each weekday group holds three weeks of days; the persons column counts people, not person-days."""
    frame = _read(world, "active_minutes", ("weekday",)).frame
    assert frame.filter(pl.col("weekday") == 1)["persons"].item() == 8


def test_the_exports_hold_exactly_the_shown_rows(world):
    """The CSV and Parquet downloads are the shown frame: the Saturday group is not in them either."""
    result = _read(world, "active_minutes", ("weekday",))
    csv = pl.read_csv(io.BytesIO(explore.export(result, "csv")))
    parquet = pl.read_parquet(io.BytesIO(explore.export(result, "parquet")))
    assert csv["weekday"].to_list() == [1, 2, 3, 4, 5, 7] and 6 not in csv["weekday"].to_list()
    assert parquet.equals(result.frame)
    with pytest.raises(ValueError, match="not an export format"):
        explore.export(result, "xlsx")


def test_a_category_fewer_than_k_used_is_left_out(world):
    """'Rare4' (four people) is absent by category, also by week and category; 'Rare5' (five) is shown."""
    frame = _read(world, "category_share", ("category",)).frame
    assert "Rare4" not in frame["category"].to_list() and "Rare5" in frame["category"].to_list()
    weekly = _read(world, "category_share", ("week", "category")).frame
    assert "Rare4" not in weekly["category"].to_list()
    s, store, state = world
    assert "Rare4" not in explore.choices(ROB, store, state, s.id).categories


def test_shares_shown_do_not_reveal_a_suppressed_cell(world):
    """Were 'Rare4' in the whole its shares are of, one minus the shares shown would be its share: every
    week's shown shares add up to one, by category and by transition pair, and filtering to a category changes
    nothing of that."""
    weekly = _read(world, "category_share", ("week", "category")).frame
    assert weekly.group_by("week").agg(pl.col("value").sum())["value"].to_list() == pytest.approx([1.0] * WEEKS)
    assert _read(world, "category_share", ("week",)).frame["value"].to_list() == pytest.approx([1.0] * WEEKS)
    code = _read(world, "category_share", ("week",), explore.Filters(category="Code")).frame
    assert code["value"].to_list() == pytest.approx(weekly.filter(pl.col("category") == "Code")["value"].to_list())
    pairs = _read(world, "transition_share", ("from_category", "to_category")).frame
    assert pairs["value"].sum() == pytest.approx(1.0)


def test_a_filter_narrowing_below_k_suppresses_the_group(world):
    """A filter to one Saturday (four people) leaves nothing; to one Sunday (five) one row; filtering the
    category 'Rare4' leaves nothing whatever the grouping."""
    saturday = _read(world, "switches", (), explore.Filters(first=SAT, last=SAT))
    assert saturday.frame.height == 0 and saturday.suppressed == 1
    sunday = _read(world, "switches", (), explore.Filters(first=SUN, last=SUN))
    assert sunday.frame["persons"].to_list() == [K]
    weekend = _read(world, "hourly_active_minutes", ("hour",), explore.Filters(weekdays=(6, 6)))
    assert weekend.frame.height == 0 and weekend.suppressed == 24
    for by in ((), ("week",), ("weekday",)):
        rare = _read(world, "category_share", by, explore.Filters(category="Rare4"))
        assert rare.frame.height == 0 and rare.suppressed > 0
    assert _read(world, "category_share", (), explore.Filters(category="Rare5")).frame["persons"].to_list() == [K]


def test_an_empty_study_reads_as_empty(world):
    """A study no one has released to yet shows nothing, and logs nothing."""
    s, store, state = world
    empty = g.study("empty-study", k=K)
    studies.publish(store, empty)
    viewer = Viewer("researcher eve", "researcher", frozenset(), frozenset({"empty-study"}))
    result = explore.read(viewer, store, state, "empty-study", "category_share", ("category",))
    assert result.frame.height == 0 and result.suppressed == 0
    assert result.frame.columns == ["category", "value", "persons"]
    assert store.list("access") == []


# --- values -------------------------------------------------------------------------
def test_active_minutes_by_weekday_are_the_files_own(world):
    """Mean active minutes per person-day by weekday, computed independently from the release files."""
    s, store, _ = world
    per = defaultdict(list)
    for r in _files(store, s):
        per[r["day"].isoweekday()].append(sum(r["active_minutes"]))
    frame = _read(world, "active_minutes", ("weekday",)).frame
    for weekday, value in zip(frame["weekday"], frame["value"]):
        assert value == pytest.approx(sum(per[weekday]) / len(per[weekday]))


def test_category_shares_and_typing_bins_are_the_files_own(world):
    """Pooled shares of active time per category and of typing intervals per fine bin, from the files."""
    s, store, _ = world
    rows = _files(store, s)
    seconds = defaultdict(int)
    for r in rows:
        for c, v in r["category_seconds"]:
            seconds[c] += v
    del seconds["Rare4"]  # four people: out of the shares and of the whole they are shares of
    total = sum(seconds.values())
    frame = _read(world, "category_share", ("category",)).frame
    assert dict(zip(frame["category"], frame["value"])) == pytest.approx({c: v / total for c, v in seconds.items()})
    bins = [sum(r["typing_fine_bins"][b] for r in rows) for b in range(18)]
    fine = _read(world, "typing_fine_share", ("bin",)).frame
    assert fine["value"].to_list() == pytest.approx([b / sum(bins) for b in bins])
    assert fine["lo_ms"][1] == 40.0 and fine["hi_ms"][17] is None


def test_compare_is_the_per_person_statistics_of_the_files(world):
    """Monday-Tuesday against Wednesday-Friday: the same Comparison as sharing.stats over each person's own
    mean from the files, and a plain-language sentence; no per-person value in what comes back."""
    s, store, state = world
    sides = ((1, 2), (3, 5))
    expected = []
    for lo, hi in sides:
        per = defaultdict(list)
        for r in _files(store, s):
            if lo <= r["day"].isoweekday() <= hi:
                per[r["pseudonym"]].append(r["focus_seconds"] / 60)
        expected.append([sum(v) / len(v) for _, v in sorted(per.items())])
    found = explore.compare(ROB, store, state, s.id, "focus_minutes", explore.Filters(weekdays=sides[0]),
                            explore.Filters(weekdays=sides[1]), "early week", "late week")
    assert found.comparison == stats.compare(*expected)
    assert "early week" in found.sentence and "Cliff's delta" in found.sentence
    assert set(vars(found)) == {"comparison", "sentence", "k"}


def test_compare_refuses_a_side_under_k(world):
    """Saturdays (four people) cannot be compared with anything: a clear message, nothing logged."""
    s, store, state = world
    with pytest.raises(ValueError, match="Saturdays covers fewer than the study's k = 5 people"):
        explore.compare(ROB, store, state, s.id, "active_minutes", explore.Filters(weekdays=(1, 5)),
                        explore.Filters(weekdays=(6, 6)), "weekdays", "Saturdays")
    with pytest.raises(ValueError, match="choose a category"):
        explore.compare(ROB, store, state, s.id, "category_share", explore.Filters(), explore.Filters())
    assert store.list("access") == []


# --- who may read ---------------------------------------------------------------------
def test_a_researcher_reads_only_their_studies(world):
    """Rob's account names study 'rhythm': study 'other-study' is refused in every function, and not listed."""
    s, store, state = world
    assert [x.id for x in explore.studies(ROB, store)] == ["rhythm"]
    with pytest.raises(PermissionError):
        explore.read(ROB, store, state, "other-study", "active_minutes")
    with pytest.raises(PermissionError):
        explore.compare(ROB, store, state, "other-study", "active_minutes", explore.Filters(), explore.Filters())
    with pytest.raises(PermissionError):
        explore.choices(ROB, store, state, "other-study")
    assert _log(store, g.who("other-study", "P", 0)) == []


def test_neither_a_manager_nor_an_admin_reads_a_study(world):
    """A study's data goes to the researchers its accounts name, as its consent text says: not to a manager,
    and not to the admin who manages the accounts, even one whose Viewer names the study."""
    s, store, state = world
    for viewer in (Viewer("manager ann", "manager", frozenset({"A"}), frozenset({"rhythm"})),
                   Viewer("admin ada", "admin", frozenset(), frozenset({"rhythm"}))):
        assert explore.studies(viewer, store) == []
        with pytest.raises(PermissionError):
            explore.read(viewer, store, state, "rhythm", "active_minutes")


def test_the_demo_viewer_reads_demo_studies_only(world):
    s, store, state = world
    demo = Viewer("the demo", "demo", frozenset(), frozenset({"rhythm"}))
    assert explore.studies(demo, store) == []
    with pytest.raises(PermissionError, match="demo studies only"):
        explore.read(demo, store, state, "rhythm", "active_minutes")


def test_bad_requests_are_named(world):
    s, store, state = world
    with pytest.raises(LookupError):
        explore.read(Viewer("a", "researcher", frozenset(), frozenset({"no-such-study"})), store, state,
                     "no-such-study", "active_minutes")
    for measure, by, filters, message in (
            ("nope", (), None, "not a measure"), ("active_minutes", ("hour",), None, "not a group-by"),
            ("active_minutes", (), explore.Filters(weekdays=(5, 1)), "weekdays must be"),
            ("active_minutes", (), explore.Filters(category="Code"), "takes no category"),
            ("typing_share", (), explore.Filters(bin=6), "not a bin"),
            ("active_minutes", (), explore.Filters(first=SUN, last=SAT), "after the last day")):
        with pytest.raises(ValueError, match=message):
            _read(world, measure, by, filters)


# --- the access log -------------------------------------------------------------------
def test_every_read_is_one_entry_in_each_included_persons_log(world):
    """A Sunday read covers the five who worked Sundays: each gets one intact entry naming the reader, the
    study and the filters; the others none. Its export is a read again: one more entry each."""
    s, store, state = world
    result = _read(world, "active_minutes", (), explore.Filters(weekdays=(7, 7)))
    people = _people(s)
    for person in people[:5]:
        chain = _log(store, person)
        assert [(e.who, e.what) for e in chain] == [(ROB.who, "study results: active_minutes")]
        assert json.loads(chain[0].params)["study"] == "rhythm" and json.loads(chain[0].params)["weekdays"] == [7, 7]
        assert teamlog.verify(chain).ok
    assert all(_log(store, p) == [] for p in people[5:])
    explore.export(result, "csv")
    assert all(len(_log(store, p)) == 2 and teamlog.verify(_log(store, p)).ok for p in people[:5])
    explore.compare(ROB, store, state, s.id, "active_minutes", explore.Filters(weekdays=(1, 1)),
                    explore.Filters(weekdays=(2, 2)))
    assert all(len(_log(store, p)) == 1 for p in people[5:])


def test_a_read_that_cannot_be_logged_returns_nothing(world):
    """With the access area unwritable, read, export and compare all refuse instead of returning figures."""
    s, store, state = world
    result = _read(world, "active_minutes", ("weekday",))
    for key in store.list("access"):
        store.delete(key)
    (store.root / "access").rmdir() if (store.root / "access").exists() else None
    (store.root / "access").write_text("not a folder")
    with pytest.raises(explore.LogRefused):
        _read(world, "active_minutes", ("weekday",))
    with pytest.raises(explore.LogRefused):
        explore.export(result, "csv")
    with pytest.raises(explore.LogRefused):
        explore.compare(ROB, store, state, s.id, "active_minutes", explore.Filters(weekdays=(1, 1)),
                        explore.Filters(weekdays=(2, 2)))


def test_a_worker_who_left_is_in_no_later_read_or_log(world):
    """After a worker removes their releases, the next read counts one person fewer and does not log them."""
    s, store, state = world
    leaver = _people(s)[7]
    assert _read(world, "active_minutes").frame["persons"].to_list() == [8]
    for key in store.list(studies.release_prefix(s.id)):
        if key.endswith(f"/{leaver}.parquet"):
            store.delete(key)
    assert _read(world, "active_minutes").frame["persons"].to_list() == [7]
    assert len(_log(store, leaver)) == 1
    with study_ledger.opened(state, s) as con:
        assert con.execute("SELECT count(*) FROM days WHERE person = $p", {"p": leaver}).fetchone()[0] == 0


@pytest.mark.slow
def test_the_demo_study_shows_on_a_fresh_machine(tmp_path):
    """The demo team store holds a demo study that Explore reads as the demo viewer: marked demo, most groups
    over k, a few (weekend days) not, transitions and the finer typing bins there, and its people's study
    pseudonyms none of their team pseudonyms."""
    from demo import study as demo_study
    from demo import team as demo_team

    made = demo_team.generate(tmp_path / "demo-team", end=dt.date(2026, 6, 1))
    assert made["study"]["people"] >= 15 and demo_team.ready(tmp_path / "demo-team")
    store = teamstore.open_store(tmp_path / "demo-team")
    demo = Viewer("the demo (this dashboard)", "demo", frozenset(), frozenset({demo_study.STUDY_ID}))
    (found,) = explore.studies(demo, store)
    assert found.demo and {"transitions", "typing_fine"} <= set(found.measures)
    state = tmp_path / "state"
    days = explore.read(demo, store, state, found.id, "active_minutes", ("week", "weekday"))
    assert days.frame.height > 3 * days.suppressed > 0 and (days.frame["persons"] >= found.k).all()
    for measure, by in (("transition_share", ("from_category", "to_category")), ("typing_fine_share", ("bin",))):
        assert explore.read(demo, store, state, found.id, measure, by).frame.height > 10
    study_people = {studies.parse_release_key(k)[2] for k in store.list(studies.release_prefix(found.id))}
    team_people = {k.split("/")[3][:-8] for k in store.list("releases")}
    assert len(study_people) == made["study"]["people"] and not study_people & team_people


def test_options_offer_only_what_the_study_asked_for(tmp_path):
    """A study of activity and typing offers their measures only, with their group-bys and filters; asking
    for a category share of it is refused by name."""
    s = g.study("narrow", ("activity", "typing"), k=3)
    store = g.build(tmp_path / "store", s, {"A": 3}, days=2)
    found = explore.options(s)
    assert [m.name for m in found.measures] == ["active_minutes", "switches", "hourly_active_minutes",
                                                "hourly_switches", "typing_share"]
    hourly = found.measures[2]
    assert "hour" in hourly.keys and hourly.pick is None and "category" not in hourly.filters
    assert found.measures[-1].keys[-1] == "bin" and found.measures[-1].pick == "bin"
    assert found.weekdays["Monday to Friday"] == (1, 5)
    viewer = Viewer("researcher rob", "researcher", frozenset(), frozenset({"narrow"}))
    with pytest.raises(ValueError, match="'category_share' is not a measure of study 'narrow'"):
        explore.read(viewer, store, tmp_path / "state", "narrow", "category_share")
    span = explore.Choices(g.DAY0, g.DAY0 + dt.timedelta(days=1), ())
    assert explore.choices(viewer, store, tmp_path / "state", "narrow") == span
