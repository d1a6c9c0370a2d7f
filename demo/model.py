"""What the demo generator believes about people at work: apps, roles, traits.

Every figure the generated data is calibrated to, and where it comes from:

- Typing (Dhakal, Feit, Kristensson & Oulasvirta, *Observations on Typing from
  136 Million Keystrokes*, CHI 2018; the figures of the 389-participant subset
  in ../shared/data/README.md): mean inter-key interval 245.6 ms, mean hold
  119.7 ms, rollover 0.216, backspace 5.21 % of keystrokes, about 51.5 WPM.
  The traits below are tuned so that ``typing_summary`` recovers these (see
  tests/test_demo.py); the shape of each distribution is in demo_typing.
- Time on one screen, 47 s on average (Gloria Mark, *Attention Span*, 2023,
  from computer logging in her 2016-2021 studies), and about 1,200 app and
  website switches a day (Murty, Dadlani & Das, *How Much Time and Energy Do
  We Waste Toggling Between Applications?*, HBR, August 2022). How the two
  fit into one working day is explained in demo_focus.
- About 6-7 h of active time at the computer on a working day, starts between
  8:00 and 9:30, a lunch break, an afternoon dip, few weekend hours: the
  project's own targets for the demo (not a published figure), shaped by the
  day plan in demo_plan.

Workers differ (speed, habits, apps, hours), but their spread is drawn in
mirrored, stratified pairs (see _trait_scores), so that even a demo of three
to six workers averages to the figures above rather than to a lucky draw.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

# --- apps and how people use them -----------------------------------------
# Per app, per minute of focus: typing bursts, base keys per burst (before
# backspaces and shifts are added), clicks, scroll episodes, pointer-move
# episodes; dwell: how long a visit lasts relative to the worker's mean;
# glance: how likely a quick look at it is (chat and mail draw the eye);
# mix: which key classes its typing uses (demo_typing.MIXES).
APP_PROFILES = {
    #             bursts keys clicks scrolls moves dwell glance mix
    "Code":       (2.4, 22, 1.0, 2.0, 3.0, 1.6, 0.3, "code"),
    "Terminal":   (2.8, 14, 0.4, 0.8, 1.5, 0.8, 0.6, "shell"),
    "Firefox":    (0.6, 12, 3.0, 6.0, 8.0, 1.0, 1.2, "prose"),
    "Chrome":     (0.6, 12, 3.0, 6.0, 8.0, 1.0, 1.2, "prose"),
    "Slack":      (1.8, 28, 1.5, 2.5, 4.0, 0.6, 3.0, "chat"),
    "Teams":      (1.6, 26, 1.8, 2.0, 4.0, 0.6, 2.5, "chat"),
    "Outlook":    (1.4, 34, 2.5, 3.0, 6.0, 0.9, 2.0, "prose"),
    "Word":       (3.0, 40, 0.8, 1.5, 3.0, 1.5, 0.3, "prose"),
    "Excel":      (2.4, 7, 4.0, 2.5, 8.0, 1.3, 0.4, "sheet"),
    "PowerPoint": (1.0, 15, 4.0, 1.0, 10.0, 1.3, 0.2, "prose"),
    "Jira":       (1.0, 25, 3.0, 3.0, 7.0, 1.0, 0.8, "prose"),
    "Figma":      (0.5, 3, 8.0, 5.0, 20.0, 1.6, 0.2, "code"),
    "Zoom":       (0.3, 15, 0.5, 0.3, 1.5, 0.6, 0.2, "chat"),
}
APPS = tuple(APP_PROFILES)
APP_INDEX = {name: i for i, name in enumerate(APPS)}
PROFILE = np.array([p[:7] for p in APP_PROFILES.values()], dtype=np.float64)
BURSTS, KEYS, CLICKS, SCROLLS, MOVES, DWELL, GLANCE = range(7)
# Inside a meeting the meeting app is on screen with little input: the odd
# chat line, a click to unmute, the pointer nudged now and then.
MEETING_PROFILE = np.array([0.08, 15, 0.3, 0.2, 1.1, 1.0, 0.0])

# --- roles: which apps a team uses, how it meets --------------------------
# weights: share of visits; pairs: app pairs people go back and forth between
# more than their weights alone say (code and terminal, sheet and mail).
ROLES = {
    "Engineering": dict(
        weights={"Code": 34, "Terminal": 14, "Firefox": 18, "Slack": 16, "Jira": 7, "Outlook": 5, "Zoom": 1},
        pairs=(("Code", "Terminal", 3.0), ("Code", "Firefox", 1.5), ("Jira", "Firefox", 1.5)),
        meeting_app="Zoom", meetings=1.3, standup=9.5),
    "Design": dict(
        weights={"Figma": 38, "Firefox": 15, "Chrome": 6, "Slack": 18, "Jira": 8, "Outlook": 7, "Zoom": 1},
        pairs=(("Figma", "Firefox", 1.5), ("Figma", "Slack", 1.3)),
        meeting_app="Zoom", meetings=1.6, standup=10.0),
    "Operations": dict(
        weights={"Excel": 32, "Outlook": 20, "Teams": 15, "Word": 10, "Chrome": 14, "PowerPoint": 5},
        pairs=(("Excel", "Outlook", 1.5), ("Word", "Outlook", 1.3)),
        meeting_app="Teams", meetings=2.0, standup=None),
    "Sales": dict(
        weights={"Outlook": 26, "Chrome": 22, "Teams": 14, "Excel": 12, "PowerPoint": 10, "Word": 8},
        pairs=(("Outlook", "Chrome", 1.5), ("PowerPoint", "Excel", 1.3)),
        meeting_app="Teams", meetings=2.8, standup=None),
    "Support": dict(
        weights={"Firefox": 30, "Slack": 20, "Outlook": 20, "Jira": 16, "Excel": 5, "Zoom": 1},
        pairs=(("Firefox", "Jira", 2.0), ("Slack", "Firefox", 1.5)),
        meeting_app="Zoom", meetings=0.7, standup=9.0),
}
ROLE_NAMES = tuple(ROLES)
# Whole-hour zones only: hourly rollups are binned by UTC hour, and a local
# hour then maps onto exactly one of them.
ZONES = ("Europe/Berlin", "Europe/Berlin", "Europe/London", "America/New_York", "Europe/Helsinki")

# Relative input rate by local hour: a morning peak and the post-lunch dip.
HOUR_RATE = np.array([0.8] * 8 + [1.0, 1.1, 1.1, 1.05, 0.9, 0.8, 0.8, 0.9, 0.95, 0.9, 0.85] + [0.8] * 5)


def team_name(t: int) -> str:
    role = ROLE_NAMES[t % len(ROLE_NAMES)]
    return role if t < len(ROLE_NAMES) else f"{role} {t // len(ROLE_NAMES) + 1}"


def team_role(t: int) -> str:
    return ROLE_NAMES[t % len(ROLE_NAMES)]


def team_zone(t: int) -> str:
    return ZONES[t % len(ZONES)]


def worker_id(i: int, n: int) -> str:
    """Pseudonymous ids 'w01', 'w02', ... (wider for bigger populations)."""
    return f"w{i + 1:0{max(2, len(str(n)))}d}"


def team_of(i: int, n_workers: int, n_teams: int) -> int:
    """Workers go to teams in contiguous blocks of (nearly) equal size."""
    return i * n_teams // n_workers


@dataclass
class Worker:
    """One generated person: identity and every habit the generator uses."""

    index: int
    id: str
    team: str
    role: str
    zone: str
    apps: np.ndarray          # global app indices this worker uses
    weights: np.ndarray       # visit share of each of them
    trans_cum: list           # per app: cumulative next-app probabilities
    glance_cum: np.ndarray    # cumulative probabilities of a quick look at each app
    meeting_app: int
    meetings: float           # meetings per working day
    standup: float | None     # local hour of the team's daily stand-up
    start_h: float            # usual start, local hours
    day_h: float              # usual time from start to leaving, hours
    lock_p: float             # share of breaks with the screen locked
    weekend_p: float          # chance of a short session on a weekend day
    dwell_s: float            # mean visit of average dwell weight, seconds
    flips: float              # quick looks elsewhere per visit
    iki_ms: float             # median inter-key interval
    iki_sigma: float
    hold_ms: float            # mean key hold time
    backspace: float          # share of keystrokes that are backspace
    shift: float              # share of letters typed with shift
    volume: float             # typing and mouse activity, relative
    screen: tuple[int, int]


def _van_der_corput(i: int) -> float:
    """The i-th point of the base-2 van der Corput sequence: 0.5, 0.25, 0.75, 0.125, ..."""
    u, f = 0.0, 0.5
    while i:
        u, i, f = u + f * (i & 1), i >> 1, f / 2
    return u


def _trait_scores(seed: int, index: int, k: int) -> np.ndarray:
    """k standard-normal trait scores for worker ``index``, stratified.

    Worker 0 is typical (all 0); then pairs mirror each other (+z, -z). The
    sizes come from a low-discrepancy sequence of half-normal quantiles (each
    trait its own stretch of it) and the signs from the seed, so a handful of
    workers already spans the population evenly instead of by luck.
    """
    if index == 0:
        return np.zeros(k)
    pair = (index + 1) // 2
    size = np.array([NormalDist().inv_cdf(0.5 + _van_der_corput(pair + 3 * t) / 2) for t in range(k)])
    z = size * np.random.default_rng([seed, 7, pair]).choice([-1.0, 1.0], k)
    return z if index % 2 else -z


def _transitions(role: dict, apps: list[str], weights: np.ndarray) -> list:
    n = len(apps)
    affinity = np.ones((n, n))
    for a, b, boost in role["pairs"]:
        if a in apps and b in apps:
            i, j = apps.index(a), apps.index(b)
            affinity[i, j] = affinity[j, i] = boost
    matrix = weights[None, :] * affinity
    np.fill_diagonal(matrix, 0.0)  # a visit always goes to another app
    matrix /= matrix.sum(axis=1, keepdims=True)
    return [list(np.cumsum(row)) for row in matrix]


def make_worker(seed: int, index: int, n_workers: int, n_teams: int) -> Worker:
    """Worker ``index`` of a population; the same (seed, index, team) gives the same person."""
    t = team_of(index, n_workers, n_teams)
    role_name = team_role(t)
    role = ROLES[role_name]
    rng = np.random.default_rng([seed, 3, index])
    z = _trait_scores(seed, index, 7)
    names = list(role["weights"])
    weights = np.array([role["weights"][a] for a in names], dtype=np.float64)
    weights *= rng.gamma(8.0, 1 / 8.0, len(weights))  # personal taste in apps
    weights /= weights.sum()
    apps = np.array([APP_INDEX[a] for a in names])
    glance = weights * PROFILE[apps, GLANCE] + 1e-9
    team_rng = np.random.default_rng([seed, 5, t])  # a team shares its stand-up time
    standup = role["standup"]
    if standup is not None:
        standup += 0.5 * team_rng.integers(0, 2)
    return Worker(
        index=index,
        id=worker_id(index, n_workers),
        team=team_name(t),
        role=role_name,
        zone=team_zone(t),
        apps=apps,
        weights=weights,
        trans_cum=_transitions(role, names, weights),
        glance_cum=np.cumsum(glance / glance.sum()),
        meeting_app=APP_INDEX[role["meeting_app"]],
        meetings=role["meetings"] * float(np.exp(0.3 * rng.standard_normal())),
        standup=standup,
        start_h=float(np.clip(8.6 + 0.4 * z[0], 7.5, 9.75)),
        day_h=float(np.clip(8.35 + 0.35 * rng.standard_normal(), 7.75, 9.75)),
        lock_p=float(rng.uniform(0.3, 0.9)),
        weekend_p=float(rng.choice([0.02, 0.08, 0.25], p=[0.5, 0.35, 0.15])),
        # Tuned (30 workers x 2 weeks, two seeds) so the queries give 47 s per
        # dwell and ~1,200 switches a day; see demo_focus.
        dwell_s=float(35.0 * np.exp(0.15 * z[1])),
        flips=float(1.4 * np.exp(0.15 * z[2])),
        # Tuned likewise to the study's means: a median IKI of 198 ms becomes a
        # mean of ~245 ms with the spread between and within bursts and the
        # hesitations; backspace is set a little above 5.21 % because the
        # alt+tab keys of keyboard switches dilute it.
        iki_ms=float(198.0 * np.exp(0.20 * z[3])),
        iki_sigma=0.45,
        hold_ms=float(119.0 + 12.0 * z[4]),
        backspace=float(np.clip(0.054 + 0.010 * z[6], 0.02, 0.10)),
        shift=0.035,
        volume=float(np.exp(0.25 * z[5])),
        screen=((1920, 1080), (2560, 1440), (1920, 1200))[int(rng.integers(0, 3))],
    )


def utc_offset(zone: str, day: dt.date) -> int:
    """The zone's UTC offset (seconds) at local noon: DST changes at night,
    outside anyone's working hours, so noon's offset holds for the whole day."""
    noon = dt.datetime(day.year, day.month, day.day, 12, tzinfo=zoneinfo.ZoneInfo(zone))
    return int(noon.utcoffset().total_seconds())
