"""The demo team store: several teams' daily releases, as workers' machines would send them.

A real team store fills with releases from workers who consented; a fresh
machine has none, so the Team page would have nothing to show. This writes a
generated one (``data/demo-team`` beside the demo database) through the same
parts a real release uses: sharing.teamstore (create, release_key,
Folder.put), sharing.release_format.schema() and pseudonyms from
sharing.pseudonym with a demo secret.

- Four teams, one of them smaller than the smallest group the team views
  show (k = 5), so the Team page shows suppression; the others 6 to 12
  people, so a few of their cells (weekends, evenings) fall under k too.
- Twelve whole weeks (Monday to Sunday) of working days, a few weekend
  sessions, a week off for some people and the odd sick day.
- A demo study (demo/study.py, ``demo-rhythm``, marked demo) that about three in four of these people
  joined: their days as study releases too, so Explore shows something on a fresh machine.
- Each person has their own hours, pace and mix of apps, drawn around the
  figures of demo.model (the role's apps, the typing speed of the
  136M-keystrokes study, ~1,200 switches a day); apps become categories by
  the default category rules (store.schema), as on a worker's machine.

The same seed and last day give the same bytes. The marker file
``demo-team.json`` is written last and says ``"demo": true``, how many
releases the store holds, and what made it: :func:`ready` checks that the
store is whole before the dashboard starts (``demo --if-needed``), and the
dashboard marks everything read from here as demo data.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from statistics import NormalDist

import numpy as np

from sharing import pseudonym as pseudonyms
from sharing import release_format, studies, teamstore

from . import study as demo_study
from .model import APP_PROFILES, HOUR_RATE, ROLES

MARKER = "demo-team.json"
FORMAT = 2  # of this generator's output: a store of an older format is made again (2: with the demo study)
SECRET = b"workprint demo team store secret (public: demo data only)"
WEEKS = 12
# (team, people, role in demo.model.ROLES): Design has fewer than k = 5 people.
TEAMS = (("Engineering", 12, "Engineering"), ("Design", 3, "Design"),
         ("Operations", 8, "Operations"), ("Support", 6, "Support"))
# The apps of demo.model under the default category rules (store.schema's category_rules,
# first matching pattern wins: 'teams' is a meeting app before anything else);
# tests/test_demo_team.py checks this against the rules in a new database.
CATEGORY = {"Code": "Development", "Terminal": "Terminal", "Firefox": "Web", "Chrome": "Web", "Slack": "Chat",
            "Teams": "Meetings", "Outlook": "Email", "Word": "Documents", "Excel": "Documents",
            "PowerPoint": "Documents", "Jira": "Planning & design", "Figma": "Planning & design", "Zoom": "Meetings"}
_BURSTS, _KEYS, _CLICKS = 0, 1, 2


class DemoTeamError(RuntimeError):
    """The demo team store cannot be written where asked (a message for the user)."""


@dataclass(frozen=True)
class Person:
    pseudonym: str
    team: str
    apps: tuple[str, ...]
    weights: np.ndarray  # share of active time per app
    meetings: float      # meetings a working day
    start_h: float
    day_h: float
    activity: float      # share of minutes at the desk with input
    switch_rate: float   # app switches per active minute
    focus_rate: float    # focus sessions on a full day
    keys_per_min: float
    iki_ms: float        # median interval between key presses
    clicks_per_min: float
    weekend_p: float
    off_week: int | None  # the week of holiday, if any


def people(seed: int) -> list[Person]:
    """Everyone in the demo's teams; the same seed gives the same people."""
    found = []
    for t, (team, size, role_name) in enumerate(TEAMS):
        role = ROLES[role_name]
        for i in range(size):
            rng = np.random.default_rng([seed, 41, t, i])
            z = rng.standard_normal(8)
            apps = tuple(role["weights"])
            weights = np.array([role["weights"][a] for a in apps], float) * rng.gamma(8.0, 1 / 8.0, len(apps))
            weights /= weights.sum()
            profile = np.array([APP_PROFILES[a][:3] for a in apps])
            volume = float(np.exp(0.25 * z[0]))
            found.append(Person(
                pseudonym=pseudonyms.pseudonym(f"demo-{team}-{i + 1}", SECRET), team=team, apps=apps,
                weights=weights, meetings=role["meetings"] * float(np.exp(0.3 * z[1])),
                start_h=float(np.clip(8.6 + 0.4 * z[2], 7.5, 9.75)),
                day_h=float(np.clip(8.35 + 0.35 * z[3], 7.75, 9.75)),
                activity=float(np.clip(0.78 * np.exp(0.08 * z[4]), 0.6, 0.95)),
                switch_rate=float(2.9 * np.exp(0.2 * z[5])),
                focus_rate=float(3.0 * np.exp(0.3 * z[6])),
                keys_per_min=volume * float(weights @ (profile[:, _BURSTS] * profile[:, _KEYS])),
                iki_ms=float(198.0 * np.exp(0.20 * z[7])),
                clicks_per_min=volume * float(weights @ profile[:, _CLICKS]),
                weekend_p=float(rng.choice([0.02, 0.08, 0.25], p=[0.5, 0.35, 0.15])),
                off_week=int(rng.integers(0, WEEKS)) if rng.random() < 0.5 else None,
            ))
    return found


def days(end: dt.date) -> list[dt.date]:
    """WEEKS whole weeks, Monday to Sunday, up to the last Sunday before ``end``: the team
    server draws a week's figures only a day after it ended (late releases), so with the
    default end (yesterday) every demo week can be shown today."""
    before = end - dt.timedelta(days=1)
    last = before - dt.timedelta(days=(before.weekday() + 1) % 7)
    return [last - dt.timedelta(days=7 * WEEKS - 1 - i) for i in range(7 * WEEKS)]


def _hours_at_desk(start: float, end: float, lunch: tuple[float, float] | None) -> np.ndarray:
    """Per local hour, the share of it spent at the desk between ``start`` and ``end``, lunch left out."""
    edges = np.arange(24.0)
    present = np.clip(np.minimum(edges + 1, end) - np.maximum(edges, start), 0, 1)
    if lunch:
        present -= np.clip(np.minimum(edges + 1, lunch[1]) - np.maximum(edges, lunch[0]), 0, 1)
    return np.clip(present, 0, 1)


def _bin_shares(median: float, sigma: float, edges) -> np.ndarray:
    """Shares of a log-normal (median, sigma) in the bins cut at ``edges``."""
    cdf = [NormalDist().cdf((np.log(e) - np.log(median)) / sigma) for e in edges]
    return np.diff(np.concatenate(([0.0], cdf, [1.0])))


def person_day(p: Person, day: dt.date, week: int, seed: int) -> dict | None:
    """One person's release for ``day`` (the row's values), or None for a day without work."""
    rng = np.random.default_rng([seed, 43, int(p.pseudonym[:12], 16), day.toordinal()])
    weekend = day.weekday() >= 5
    if week == p.off_week or (weekend and rng.random() >= p.weekend_p) or (not weekend and rng.random() < 0.03):
        return None
    if weekend:
        start = rng.uniform(9.0, 15.0)
        desk = _hours_at_desk(start, start + rng.uniform(0.5, 2.0), None)
    else:
        start = p.start_h + 0.3 * rng.standard_normal()
        lunch0 = 12.0 + 0.5 * rng.standard_normal()
        desk = _hours_at_desk(start, start + p.day_h + 0.5 * rng.standard_normal(),
                              (lunch0, lunch0 + rng.uniform(0.5, 0.85)))
    minutes = np.clip(np.rint(60 * desk * p.activity * HOUR_RATE * rng.uniform(0.85, 1.1, 24)), 0, 60)
    active_s = int(minutes.sum()) * 60
    if active_s == 0:
        return None
    switches = rng.poisson(minutes * p.switch_rate)
    # Time per category: the person's apps in a proportion that varies by day, meetings on top.
    shares = rng.dirichlet(p.weights * 60 + 0.05)
    meeting_s = 0 if weekend else min(rng.poisson(p.meetings) * rng.uniform(1200, 2400) * 0.5, 0.5 * active_s)
    per_category: dict[str, float] = {}
    for app, share in zip(p.apps, shares):
        cat = CATEGORY.get(app, release_format.OTHER)
        per_category[cat] = per_category.get(cat, 0.0) + share * (active_s - meeting_s)
    if meeting_s:
        per_category["Meetings"] = per_category.get("Meetings", 0.0) + meeting_s
    sessions = int(rng.poisson(p.focus_rate * active_s / (6.5 * 3600)))
    lengths = release_format.FOCUS_MIN_S + rng.exponential(900.0, sessions)
    focus_s = int(min(lengths.sum(), 0.6 * active_s))
    sessions = sessions if focus_s >= release_format.FOCUS_MIN_S * sessions else focus_s // release_format.FOCUS_MIN_S
    keys = int(rng.poisson(p.keys_per_min * minutes.sum()))
    # Inter-key intervals: log-normal around the person's median, 6 % hesitations of about 2.7 times as long.
    typing = 0.94 * _bin_shares(p.iki_ms, 0.62, release_format.TYPING_EDGES_MS) + \
        0.06 * _bin_shares(p.iki_ms * 2.7, 0.62, release_format.TYPING_EDGES_MS)
    clicks = int(rng.poisson(p.clicks_per_min * minutes.sum()))
    # Click intervals up to 60 s: 8 % double clicks, the rest spread widely around ~6 s.
    click_shares = 0.92 * _bin_shares(6.0, 1.2, release_format.CLICK_EDGES_S)
    click_shares[0] += 0.08
    return {
        "pseudonym": p.pseudonym, "team": p.team, "day": day,
        "active_minutes": minutes.astype(int).tolist(), "switches": switches.astype(int).tolist(),
        "category_seconds": [(c, int(round(s))) for c, s in sorted(per_category.items()) if round(s) > 0],
        "focus_sessions": sessions, "focus_seconds": focus_s if sessions else 0,
        "typing_bins": rng.multinomial(max(keys - 1, 0), typing / typing.sum()).tolist(),
        "click_bins": rng.multinomial(max(clicks - 1, 0), click_shares / click_shares.sum()).tolist(),
    }


def release_bytes(row: dict) -> bytes:
    """One release as Parquet bytes, in release_format.schema()."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([row], schema=release_format.schema())
    out = io.BytesIO()
    pq.write_table(table, out, use_compliant_nested_type=False)  # lists keep Arrow's 'item', as promised
    return out.getvalue()


class _Building(teamstore.Folder):
    """The store while it is built: files written owner-only without an fsync each (the fsyncs were most of
    the demo's set-up time); the folder is whole only once renamed into place, marker last, so a crash
    leaves a building folder that the next run removes, never a store that looks whole."""

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, self.file_mode), "wb") as out:
            out.write(data)


def _write(root: Path, seed: int, end: dt.date) -> dict:
    store = _Building(teamstore.create(root).root)
    calendar = days(end)
    count, members = 0, {team: 0 for team, *_ in TEAMS}
    everyone = people(seed)
    study = demo_study.study(calendar[-1])
    studies.publish(store, study)
    joined, study_count = demo_study.members(everyone, seed, SECRET), 0
    for p in everyone:
        members[p.team] += 1
        for n, day in enumerate(calendar):
            row = person_day(p, day, n // 7, seed)
            if row is not None:
                store.put(teamstore.release_key(p.team, day, p.pseudonym), release_bytes(row))
                count += 1
                if p.pseudonym in joined:
                    values = demo_study.row(row, p, joined[p.pseudonym], seed)
                    store.put(demo_study.key(values), demo_study.release_bytes(values))
                    study_count += 1
    about = {"demo": True, "format": FORMAT, "seed": seed, "first": calendar[0].isoformat(),
             "last": calendar[-1].isoformat(), "teams": members, "releases": count,
             "study": {"id": study.id, "people": len(joined), "releases": study_count},
             "note": "generated demo data: no real person's work"}
    store.put(MARKER, json.dumps(about, indent=1, sort_keys=True).encode())  # last: the store is whole
    return about


def about(root: Path) -> dict | None:
    """The marker of a demo team store at ``root``; None if there is none (or it is unreadable)."""
    try:
        found = json.loads((Path(root) / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and found.get("demo") is True else None


def ready(root: Path) -> bool:
    """True if a whole, current demo team store is at ``root``: its marker is
    there, of this format, and every release it counts is in place."""
    found = about(root)
    if found is None or found.get("format") != FORMAT:
        return False
    try:
        store = teamstore.open_store(root)
        return (len(store.list("releases")) == found.get("releases")
                and len(store.list("study-releases")) == found.get("study", {}).get("releases"))
    except teamstore.StoreError:
        return False


def generate(root: Path | str, seed: int = 1, end: dt.date | None = None) -> dict:
    """Write the demo team store at ``root``, replacing an older demo there.

    It is built in a folder beside ``root`` and renamed into place when whole,
    so a reader never sees half of it. A folder at ``root`` that is not a demo
    team store is never touched: DemoTeamError says so. Returns the marker."""
    root = Path(root)
    end = end or dt.date.today() - dt.timedelta(days=1)
    if root.exists() and about(root) is None and any(root.iterdir()):
        raise DemoTeamError(f"{root} is where the demo team store goes, but it is not one: it is left as it is; "
                            "move it away or point WORKPRINT_DEMO_DB elsewhere")
    root.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    building = root.with_name(f".{root.name}.building-{os.getpid()}")
    shutil.rmtree(building, ignore_errors=True)
    try:
        made = _write(building, seed, end)
        if root.exists():
            old = root.with_name(f".{root.name}.old-{os.getpid()}")
            root.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        building.rename(root)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return made
