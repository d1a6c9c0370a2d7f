"""A small team store for the team query layer's tests: real release files
(sharing.release_format's schema, written through sharing.teamstore), made
from a seed, so a test knows exactly who released what."""

from __future__ import annotations

import datetime as dt
import io
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from sharing import release_format, teamstore
from sharing.pseudonym import pseudonym

SECRET = b"a test organisation secret, long enough"
WEEK0 = dt.date(2026, 1, 5)  # a Monday, long over
TODAY = dt.date(2026, 6, 1)
CATEGORIES = ("Code", "Mail", "Meetings")


def who(team: str, i: int) -> str:
    return pseudonym(f"{team}-worker-{i}", SECRET)


def release_row(team: str, day: dt.date, person: str, rng: random.Random, *, rare: bool = False) -> dict:
    """One worker-day; ``rare``: time in the category 'Rare' too (for a category few people use)."""
    minutes = [0] * 24
    for hour in range(9, 17):
        minutes[hour] = rng.randint(20, 55)
    if rng.random() < 0.3:
        minutes[20] = rng.randint(1, 30)
    cats = {c: rng.randint(600, 9000) for c in CATEGORIES}
    if rare:
        cats["Rare"] = rng.randint(600, 3000)
    focus = rng.randint(0, 5 * 3600)
    return {"pseudonym": person, "team": team, "day": day, "active_minutes": minutes,
            "switches": [m // 2 + rng.randint(0, 5) if m else 0 for m in minutes],
            "category_seconds": list(cats.items()), "focus_sessions": focus // 1800, "focus_seconds": focus,
            "typing_bins": [rng.randint(0, 400) for _ in range(release_format.TYPING_BINS)],
            "click_bins": [rng.randint(0, 50) for _ in range(release_format.CLICK_BINS)]}


def encode(row: dict) -> bytes:
    table = pa.Table.from_pylist([row], schema=release_format.schema())
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return sink.getvalue()


def put(store: teamstore.Folder, row: dict) -> str:
    key = teamstore.release_key(row["team"], row["day"], row["pseudonym"])
    store.put(key, encode(row))
    return key


def build(root: Path, teams: dict[str, int], weeks: int = 3, seed: int = 1, *, absent: dict | None = None,
          rare: dict | None = None, weekdays: int = 5) -> teamstore.Folder:
    """A store with ``teams`` {name: members}, ``weeks`` weeks from WEEK0, each member releasing ``weekdays``
    days a week. ``absent`` {(team, member index): [week numbers]} leaves a member out of weeks; ``rare``
    {team: [member indexes]} gives those members time in category 'Rare'."""
    store = teamstore.create(root)
    rng = random.Random(seed)
    absent = absent or {}
    rare = rare or {}
    for team, size in teams.items():
        for i in range(size):
            for w in range(weeks):
                if w in absent.get((team, i), ()):
                    continue
                for d in range(weekdays):
                    day = WEEK0 + dt.timedelta(weeks=w, days=d)
                    put(store, release_row(team, day, who(team, i), rng, rare=i in rare.get(team, ())))
    return store


def raw(store: teamstore.Folder) -> list[dict]:
    """Every release in the store, read straight from its file (not through the team layer)."""
    return [pq.read_table(io.BytesIO(store.get(k))).to_pylist()[0] for k in store.list("releases")]
