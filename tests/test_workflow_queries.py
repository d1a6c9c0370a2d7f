"""Workflow queries that find something: ping-pong loops, rework and automation
candidates, on a small history whose answers were worked out by hand."""

import pytest

import queries
from store import events as ev

DAY_S = 86400


def _run(base, *steps, stop):
    """One run of the daemon from second ``base``: start, then focus on each
    (offset, app) in turn, then stop at base + stop."""
    return [(base, ev.START), *((base + t, ev.FOCUS, app, None, 1) for t, app in steps), (base + stop, ev.STOP)]


# Four runs, each far more than 180 s from the next, so each is one session
# (one active span, start to stop). A focus step lasts until the next one or the stop.
HISTORY = [
    # S1 (day 1, 10:00 UTC): Code 1-101, Terminal 101-111, Code 111-211, Terminal 211-221, Code 221-321.
    *_run(0, (1, "Code"), (101, "Terminal"), (111, "Code"), (211, "Terminal"), (221, "Code"), stop=321),
    # S2 (day 1), S3 (day 2), S4 (day 3): the routine Mail 1-31, Sheet 31-91, Browser 91-111 (from
    # base); S4 then goes back to Mail 111-121.
    *_run(1000, (1, "Mail"), (31, "Sheet"), (91, "Browser"), stop=111),
    *_run(DAY_S, (1, "Mail"), (31, "Sheet"), (91, "Browser"), stop=111),
    *_run(2 * DAY_S, (1, "Mail"), (31, "Sheet"), (91, "Browser"), (111, "Mail"), stop=121),
]
# An n-gram of steps takes from the start of its first step to the stop of its last.
# Its 3-grams (a1 > a2 > a3):
#   S1: Code > Terminal > Code 1 -> 211 = 210 s, Terminal > Code > Terminal 101 -> 221 = 120 s,
#       Code > Terminal > Code 111 -> 321 = 210 s
#   S2, S3: Mail > Sheet > Browser 1 -> 111 = 110 s each
#   S4: Mail > Sheet > Browser 110 s, Sheet > Browser > Mail 31 -> 121 = 90 s
# 4- and 5-grams each occur once: S1 C>T>C>T, T>C>T>C, C>T>C>T>C; S4 M>S>B>M.


@pytest.fixture(scope="module")
def history_db(tmp_path_factory, derived_db):
    return derived_db(tmp_path_factory.mktemp("workflow") / "history.duckdb", HISTORY)


def test_ping_pong_counts_each_loop_back_to_the_app_left(history_db):
    """The dashboard's ping-pong panel must count every A > B > A and the time it took, or a
    worker bouncing between two apps would not see how often, nor what it costs."""
    # 3-grams with a1 = a3 (see above): Code > Terminal > Code twice (210 + 210 s) and
    # Terminal > Code > Terminal once (120 s); the routine's never come back.
    assert queries.run("ping_pong", db=history_db).rows() == [
        ("Code", "Terminal", "Code > Terminal > Code", 2, 420.0, 210.0),
        ("Terminal", "Code", "Terminal > Code > Terminal", 1, 120.0, 120.0),
    ]


def test_rework_counts_returns_to_an_app_within_a_session(history_db):
    """Rework must count each return to an app already used in the same session (and no first
    visit), or the worker could not tell which apps they keep going back to."""
    # Visits per session: S1 Code 3 (2 returns), Terminal 2 (1 return); S4 Mail 2 (1 return).
    # Mail is used in 3 sessions (S2-S4), returned to in 1. Sheet and Browser: never returned to.
    frame = queries.run("rework", db=history_db)
    assert frame.select("app", "returns", "sessions_with_returns", "sessions").rows() == [
        ("Code", 2, 1, 1), ("Mail", 1, 1, 3), ("Terminal", 1, 1, 1),
    ]


def test_automation_candidates_rank_recurring_routines_by_time_cost(history_db):
    """Candidates must be the routines of 3+ steps through 3+ different apps that recur, ranked
    by the time they cost in all (not by how often), or the worker would automate the wrong
    thing first; going back and forth between two apps (ping-pong, its own table) is no
    routine anyone can automate (issue 9 #7)."""
    columns = ("sequence", "length", "occurrences", "total_s", "mean_s", "days")

    def candidates(min_count):
        return queries.run("automation_candidates", db=history_db, min_count=min_count).select(columns).rows()

    # Recurring at least twice: Code > Terminal > Code (2 x 210 s, both on day 1), which costs
    # more but is two apps back and forth, so it is left out; and Mail > Sheet > Browser
    # (3 x 110 s, days 1-3).
    assert candidates(2) == [("Mail > Sheet > Browser", 3, 3, 330.0, 110.0, 3)]
    assert candidates(1)[0][0] == "Mail > Sheet > Browser"  # nor does any 4- or 5-step Code/Terminal run
    assert all(len(set(seq.split(" > "))) >= 3 for seq, *_ in candidates(1))
    assert candidates(3) == [("Mail > Sheet > Browser", 3, 3, 330.0, 110.0, 3)]
    assert candidates(4) == []  # nothing recurs 4 times


# Equal to the default 180 s for microsecond times (no gap lies between the
# two), but not 180: the sessions are worked out by session_steps itself
# rather than read from the steps table the store keeps.
WORKED_OUT_GAP = 179.9999999


def _random_history(seed: int, runs: int = 40) -> list[tuple]:
    """Runs of the daemon with idle spells and pauses whose gaps fall on both
    sides of the 180 s that splits sessions (and on it), and apps that often
    follow themselves: everything the steps table has to get right."""
    import random

    rng = random.Random(seed)
    gaps = (30, 150, 179, 179.999999, 180, 180.000001, 181, 600)
    t, events = 0.0, []
    for _ in range(runs):
        events.append((t, ev.START))
        for _ in range(rng.randint(1, 12)):
            t += rng.choice((0.5, 3, 40, 200))
            what = rng.random()
            if what < 0.7:
                app = rng.choice(("Code", "Code", "Firefox", "Terminal", "Mail"))
                events.append((t, ev.FOCUS, app, None, 1))
            elif what < 0.85:
                events += [(t, ev.IDLE_START), (t + rng.choice(gaps), ev.IDLE_END)]
                t = events[-1][0]
            else:
                events += [(t, ev.PAUSE), (t + rng.choice(gaps), ev.RESUME)]
                t = events[-1][0]
        t += rng.choice((1, 10))
        events.append((t, ev.STOP))
        t += rng.choice(gaps)
    return events


@pytest.fixture(scope="module")
def random_db(tmp_path_factory, write_events):
    """A random history written in small batches, refreshed after each, as the daemon does."""
    import store
    from store import derive

    path = tmp_path_factory.mktemp("steps") / "random.duckdb"
    con = store.open_writable(path)
    events = _random_history(5)
    for batch, i in enumerate(range(0, len(events), 7), 1):
        write_events(con, events[i:i + 7], batch)
        derive.refresh(con, "local")
    con.close()
    return path


@pytest.mark.parametrize("name, params", [
    ("transitions", {}), ("variants", {}), ("start_end_activities", {}), ("rework", {}), ("ping_pong", {}),
    ("sequences", {"limit": 1000}), ("automation_candidates", {"min_count": 1, "limit": 1000}),
    ("sequence_occurrences", {"sequence": "Code > Firefox"}),
])
def test_the_kept_steps_give_what_working_the_sessions_out_gives(random_db, name, params):
    """The steps table (kept up to date as capture writes, batch by batch) must
    give every workflow query the answer working out the sessions from the
    spans gives."""
    kept = queries.run(name, db=random_db, **params)
    worked_out = queries.run(name, db=random_db, session_gap=WORKED_OUT_GAP, **params)
    assert kept.height > 0
    assert kept.equals(worked_out), (kept, worked_out)


def test_steps_kept_batch_by_batch_are_the_steps_of_one_rebuild(random_db, tmp_path):
    import store
    from store import derive
    from testkit import copy_db

    copy = copy_db(random_db, tmp_path / "copy.duckdb")
    con = store.open_writable(copy)
    kept = con.execute("SELECT * FROM steps ORDER BY start, step").fetchall()
    derive.rebuild_steps(con)
    rebuilt = con.execute("SELECT * FROM steps ORDER BY start, step").fetchall()
    con.close()
    assert len(kept) > 100 and kept == rebuilt
