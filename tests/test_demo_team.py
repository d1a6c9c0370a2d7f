"""The demo team store (demo/team.py): what the Team page shows on a fresh machine.

If these fail, the Team page's demo would show files no worker's machine
could have sent (so it would demonstrate something the product never does),
no suppression (so nobody sees what "fewer than k people" looks like), or a
different store on every start (so a figure checked once means nothing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pyarrow.parquet as pq
import pytest

import store
from demo import team as demo_team
from sharing import release_format, teamstore
from testkit import cli

END = dt.date(2026, 11, 30)  # a Monday: the twelve weeks end on Sunday the 29th


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo-team") / "demo-team"
    return root, demo_team.generate(root, seed=1, end=END)


def releases(root):
    folder = teamstore.open_store(root)
    return folder, folder.list("releases")


def test_every_file_is_a_release_the_format_promises(made):
    """Each file holds exactly the promised columns and passes release_format.check with the
    categories of the default rules, under the key of its team, day and pseudonym."""
    root, about = made
    folder, keys = releases(root)
    assert len(keys) == about["releases"] > 1000
    categories = set(demo_team.CATEGORY.values())
    for key in keys:
        data = folder.get(key)
        names = pq.read_schema(io.BytesIO(data)).names
        assert tuple(names) == release_format.NAMES, f"{key}: columns {names}"
        table = pq.read_table(io.BytesIO(data), schema=release_format.schema())
        assert release_format.check(table, categories) == [], key
        team, day, who = teamstore.parse_release_key(key)
        row = table.to_pylist()[0]
        assert (row["team"], row["day"], row["pseudonym"]) == (team, day, who)


def test_one_team_is_smaller_than_k_and_the_others_are_not(made):
    """Design has 3 people (its cells are suppressed); the others 6 or more, so they show figures."""
    root, about = made
    folder, keys = releases(root)
    people = {}
    for key in keys:
        team, _, who = teamstore.parse_release_key(key)
        people.setdefault(team, set()).add(who)
    sizes = {team: len(who) for team, who in people.items()}
    assert sizes == about["teams"] == {"Engineering": 12, "Design": 3, "Operations": 8, "Support": 6}
    assert sorted(teamstore.teams(folder)) == sorted(sizes)


def test_twelve_whole_weeks_mostly_weekdays(made):
    root, _ = made
    _, keys = releases(root)
    days = [teamstore.parse_release_key(k)[1] for k in keys]
    assert min(days) == dt.date(2026, 9, 7) and min(days).weekday() == 0
    assert max(days) <= dt.date(2026, 11, 29)
    weekend = sum(d.weekday() >= 5 for d in days)
    assert 0 < weekend < 0.06 * len(days), f"{weekend} weekend releases of {len(days)}"


def test_people_differ_and_days_look_like_work(made):
    """Plausible days: 4-8 h active on a weekday, a morning start, switches in the hundreds,
    keys in the thousands; and people differ in their hours."""
    root, _ = made
    folder, keys = releases(root)
    starts, active = {}, []
    for key in keys[::7]:
        row = pq.read_table(io.BytesIO(folder.get(key))).to_pylist()[0]
        if row["day"].weekday() >= 5:
            continue
        minutes = row["active_minutes"]
        active.append(sum(minutes) / 60)
        starts.setdefault(row["pseudonym"], []).append(next(h for h, m in enumerate(minutes) if m))
        assert 200 < sum(row["switches"]) < 3000
        assert 2000 < sum(row["typing_bins"]) < 60000
        assert sum(dict(row["category_seconds"]).values()) == pytest.approx(60 * sum(minutes), abs=60)
    assert 4.5 < sorted(active)[len(active) // 2] < 7.5
    usual = [sorted(s)[len(s) // 2] for s in starts.values() if len(s) > 3]
    assert min(usual) <= 8 and max(usual) >= 9, f"everyone starts alike: {usual}"


def test_the_same_seed_gives_the_same_bytes(made, tmp_path):
    root, _ = made
    again = tmp_path / "again"
    demo_team.generate(again, seed=1, end=END)

    def digest(folder):
        return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in folder.rglob("*") if p.is_file() and p.name != teamstore.MARKER}

    assert digest(again) == digest(root)
    other = tmp_path / "other"
    demo_team.generate(other, seed=2, end=END)
    assert digest(other) != digest(root)


def test_pseudonyms_are_the_demo_secrets_hmac_and_no_name_is_stored(made):
    root, _ = made
    text = b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())
    assert b"demo-Engineering" not in text, "a worker id is in the store"
    assert all(re.fullmatch(r"[0-9a-f]{64}", p.pseudonym) for p in demo_team.people(1))


def test_the_store_is_marked_as_demo_and_whole(made, tmp_path):
    """ready() is what `demo --if-needed` checks: a store with a release missing is not whole."""
    root, about = made
    assert demo_team.about(root)["demo"] is True and demo_team.ready(root)
    copy = tmp_path / "copy"
    demo_team.generate(copy, seed=1, end=END)
    folder, keys = releases(copy)
    folder.delete(keys[10])
    assert not demo_team.ready(copy)


def test_a_folder_that_is_not_a_demo_team_store_is_left_alone(tmp_path):
    mine = tmp_path / "demo-team"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    with pytest.raises(demo_team.DemoTeamError, match="not one: it is left as it is"):
        demo_team.generate(mine, seed=1, end=END)
    assert (mine / "notes.txt").read_text() == "mine" and len(list(mine.iterdir())) == 1


def test_the_category_map_is_what_the_default_rules_say(tmp_path):
    """The demo's apps go where a worker's own default category rules would put them."""
    con = store.open_writable(tmp_path / "rules.duckdb")
    try:
        rules = con.execute("SELECT pattern, category FROM category_rules ORDER BY priority").fetchall()
    finally:
        con.close()
    for app, category in demo_team.CATEGORY.items():
        assert next(c for p, c in rules if re.search(p, app, re.IGNORECASE)) == category, app


@pytest.mark.slow
def test_demo_if_needed_writes_the_team_store_once(tmp_path):
    """./run.sh dashboard runs `demo --if-needed`: a fresh machine gets the demo team store, a
    whole one is left as it is, and one with a file missing is made again."""
    db = tmp_path / "demo.duckdb"
    out = cli("demo", "--if-needed", "--db", str(db)).stdout
    root = tmp_path / "demo-team"
    assert demo_team.ready(root), out
    # The demo study's ledger is filled at set-up, so the first Explore page does not wait on it.
    import duckdb

    ledger = root / ".server-state" / "studies" / "demo-rhythm.duckdb"
    assert "the demo study's ledger took in" in out and ledger.exists()
    with duckdb.connect(str(ledger), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM days").fetchone()[0] > 1000
    stamp = (root / demo_team.MARKER).stat().st_mtime_ns
    out = cli("demo", "--if-needed", "--db", str(db)).stdout
    assert "demo team store ready" in out and (root / demo_team.MARKER).stat().st_mtime_ns == stamp
    folder, keys = releases(root)
    folder.delete(keys[0])
    out = cli("demo", "--if-needed", "--db", str(db)).stdout
    assert "generating the demo team store" in out and demo_team.ready(root)


def test_the_switching_clamp_bounds_only_the_fastest_few_percent(made):
    """The demo's people switch apps ~170 times per active hour (~1,200 a day, as measured at work): the
    clamp that bounds one person's rate for the noise must leave almost all of them as they are, or the
    Team page's switching chart would show the clamp instead of the team."""
    from team import noise

    folder, keys = releases(made[0])
    weeks: dict[tuple, list[int]] = {}
    for key in keys:
        row = pq.read_table(io.BytesIO(folder.get(key))).to_pylist()[0]
        week = weeks.setdefault((row["pseudonym"], row["day"].isocalendar()[:2]), [0, 0])
        week[0] += sum(row["switches"])
        week[1] += sum(row["active_minutes"])
    rates = sorted(s / (m / 60) for s, m in weeks.values() if m >= 60)
    clamped = sum(r > noise.SWITCH_CLAMP for r in rates) / len(rates)
    assert 0 < clamped <= 0.05, clamped  # the top few percent, not everyone (nor a bound far past everyone)
    assert 150 <= rates[len(rates) // 2] <= 200
    mean, bounded = sum(rates) / len(rates), sum(min(r, noise.SWITCH_CLAMP) for r in rates) / len(rates)
    assert bounded == pytest.approx(mean, rel=0.01)  # what the chart shows is the team's rate, not the bound
