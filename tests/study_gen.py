"""A small team store holding one or two studies' releases for the research
server's tests: real Parquet files in sharing.study_format's schema, put where
sharing.studies keys them, made from a seed so a test knows who released what."""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sharing import pseudonym, studies, teamstore
from sharing import release_format as rf
from sharing import study_format as sf

SECRET = b"a test organisation secret, long enough"
DAY0 = dt.date(2026, 1, 5)  # a Monday
CATEGORIES = ("Code", "Mail", "Meetings")
ALL = tuple(sf.MEASURES)
# Far enough ahead that the study is still kept whenever the tests run (its releases are from DAY0 on): a fixed
# end date would have the server delete the study (sharing.studies.KEEP_DAYS) once the tests ran late enough.
ENDS = max(dt.date(2026, 12, 31), dt.date.today() + dt.timedelta(days=365))


def study(study_id: str = "rhythm", measures=ALL, k: int = 5, demo: bool = False) -> studies.Study:
    return studies.Study(id=study_id, name=f"Study {study_id}", purpose="How work flows, for the tests",
                         researcher="Dr. Test, test@example.org", ends=ENDS, measures=measures,
                         k=k, demo=demo)


def who(study_id: str, group: str, i: int) -> str:
    return pseudonym.scoped(f"{group}-worker-{i}", SECRET, studies.scope(study_id))


def row(s: studies.Study, day: dt.date, person: str, rng: random.Random, *, rare: bool = False) -> dict:
    """One worker-day of every measure ``s`` asked for; ``rare``: time in the category 'Rare' too."""
    minutes = [0] * 24
    for hour in range(9, 17):
        minutes[hour] = rng.randint(20, 55)
    cats = {c: rng.randint(600, 9000) for c in CATEGORIES}
    if rare:
        cats["Rare"] = rng.randint(600, 3000)
    focus = rng.randint(0, 5 * 3600)
    names = list(cats)
    pairs = [{"src": a, "dst": b, "n": rng.randint(1, 40)} for a in names for b in names if a != b
             and rng.random() < 0.7]
    full = {"pseudonym": person, "study": s.id, "day": day, "active_minutes": minutes,
            "switches": [m // 2 + rng.randint(0, 5) if m else 0 for m in minutes],
            "category_seconds": list(cats.items()), "focus_sessions": focus // 1800, "focus_seconds": focus,
            "typing_bins": [rng.randint(0, 400) for _ in range(rf.TYPING_BINS)],
            "click_bins": [rng.randint(0, 50) for _ in range(rf.CLICK_BINS)],
            "category_transitions": pairs,
            "typing_fine_bins": [rng.randint(0, 100) for _ in range(sf.TYPING_FINE_BINS)],
            "click_fine_bins": [rng.randint(0, 30) for _ in range(sf.CLICK_FINE_BINS)]}
    return {name: full[name] for name in sf.names(s.measures)}


def encode(s: studies.Study, values: dict) -> bytes:
    table = pa.Table.from_pylist([values], schema=sf.schema(s.measures))
    assert sf.check(table, s.measures) == [], sf.check(table, s.measures)
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def put(store: teamstore.Folder, s: studies.Study, values: dict) -> str:
    key = studies.release_key(s.id, values["day"], values["pseudonym"])
    store.put(key, encode(s, values))
    return key


def build(root: Path, s: studies.Study, groups: dict[str, int], days: int = 10, seed: int = 1, *,
          rare: dict | None = None, store: teamstore.Folder | None = None) -> teamstore.Folder:
    """A store with ``s`` published and ``groups`` (name -> how many people) releasing ``days`` days from
    DAY0 each; ``rare`` (group -> how many of its people) also use the category 'Rare'."""
    store = store or teamstore.create(root)
    studies.publish(store, s)
    rng = random.Random(seed)
    for group, size in groups.items():
        for i in range(size):
            person = who(s.id, group, i)
            for d in range(days):
                put(store, s, row(s, DAY0 + dt.timedelta(days=d), person, rng,
                                  rare=i < (rare or {}).get(group, 0)))
    return store
