"""What a manager may read: team figures over at least k people, with noise
drawn once, every read logged in each included worker's access log.

API (stable; additions only, changes are listed here first):

- :data:`VIEWS`: ``activity`` (active minutes per person-day by local weekday x hour, over the selected
  weeks), ``categories`` (each category's share of the team's active time, per week), ``switching`` (app
  switches per active hour, per week), ``focus`` (the share of the team's person-days per daily focus-time
  bin, minutes), ``typing`` and ``clicking`` (the share of the team's intervals per release_format bin: each
  person's own shares, averaged), ``compare`` (the selected weeks against as many weeks just before them,
  per measure: this, before, change).
- :func:`read` -> :class:`Result`; :func:`options`; :func:`budget`; :func:`categories` (addition: the
  categories a viewer may filter by); :data:`K_DEFAULT` = 5, :data:`K_MIN` = 3 (the server's own k is in
  ``<state>/team-config.json``; the ``k`` argument of read overrides it, never below 3).
- Additions: the frame's last column ``reason`` ("fewer than k people", "privacy budget spent" or null);
  :class:`LogRefused`, raised when the access log cannot be written (the read is refused).
- Additions (a worker's own team view): a Viewer of role ``member`` reads only the figures the server
  published to the store (team/published.py; ``state`` is then the worker's own folder, for the digests
  of what it read): it never draws, ingests or spends budget. Weeks not drawn yet are ``reason``
  :data:`NOT_DRAWN` and listed in ``Result.pending``; none drawn at all is :class:`NotDrawnYet`; a
  published file that fails its checks is :class:`FiguresDamaged` (both ValueErrors).

The rules, all enforced here and below (never in a page):

- Filters are whole teams, whole completed ISO weeks and categories; a team the viewer may not read is a
  PermissionError, a view, week or category that is not one a ValueError (a category is one if at least k
  people used it in some drawn week of those teams: an unknown name and a rare one look alike).
- k: each cell of each team-week is computed from at least k people or left out (also where compare sums
  several cells of a measure); a figure over several weeks sums only the team-weeks where its cell had k,
  and with none left it is suppressed ("fewer than k people"), value, lo and hi null. People counted:
  activity, those with a release that weekday; switching, those with an hour of activity in the week;
  categories and bins, those with time or intervals in that cell.
- Differential privacy (team/noise.py, team/draw.py): each team-week is drawn once, when first read after it
  completed, all measures at once, and kept; later reads return the same values and spend nothing. Each
  drawn team-week is published to the store (figures/<team>/<week>.json: its cells of at least k people,
  the budget spent, the pseudonyms included), and a member's read builds its frames from those with the
  same code (team/shape.py), so a worker sees exactly their manager's figures. Late
  releases stay out of an already drawn week. lo/hi is the 95 % interval of the noise (OpenDP's
  gaussian_scale_to_accuracy), not of the behaviour. Denominators are exact.
- No per-person figure of any kind. Each read appends one entry to the access log of every worker whose
  releases the drawn team-weeks read hold, whether or not their cells were suppressed, before it returns.

Defaults (team/noise.py): rho 1.0 zCDP per team-week (about epsilon 8.4 at delta 1e-6; ``rho_per_team_week``
in the config caps it), split activity 0.30, categories, switching and focus 0.15 each, typing and clicking
0.125 each. Sensitivities (one person's week, L2): activity 300 minutes (the 168 cells clamped), categories,
typing and clicking 1 (a person's own shares), switching 300 switches per active hour (clamped; the demo's
people switch ~170 times an active hour, so 300 clamps the top ~3 %: team/noise.py), focus 7 days.
The noise, measured by ``bench/team_noise.py`` (teams releasing five days a week, 20 fresh draws each): the
95th percentile of |figure - figure without noise|, which agrees with the reported 95 % interval to ~10 %.
categories and switching are per week, so their 12-week column is still one week's figure:

    view        unit                   team of 5:        10:               25:
                                       1 week / 12 weeks 1 week / 12 weeks 1 week / 12 weeks
    activity    minutes per day-hour   ±151  / ±45       ±78   / ±22       ±30   / ±8.8
    categories  share, per week        ±0.80 / ±0.76     ±0.45 / ±0.36     ±0.13 / ±0.14
    switching   per hour, per week     ±179  / ±210      ±103  / ±100      ±40   / ±47
    focus       share of person-days   ±0.96 / ±0.64     ±0.50 / ±0.15     ±0.21 / ±0.052
    typing      share of intervals     ±0.74 / ±0.23     ±0.38 / ±0.10     ±0.14 / ±0.049
    clicking    share of intervals     ±0.81 / ±0.21     ±0.36 / ±0.099    ±0.16 / ±0.044

What that means: for a team of 5 a single week's figures are mostly noise (the price of hiding any one
person's whole week); small teams read 12 weeks, and even then per-week views (categories, switching) stay
coarse. Switching is noisy for any small team: one person's week may move it by up to 300 an hour, so a team
of 5 cannot read it (±180 on ~170), a team of 25 reads it to about ±40. A team of 25 sees a week's activity
grid to about ±30 minutes per cell and shares to about ±0.15; over 12 weeks to ±9 minutes and ±0.05.
Values are not clipped: a noisy share can be below 0 or above 1, which keeps them unbiased (a page may clip
what it draws, saying so).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sharing import teamlog, teamstore

from . import draw as drawing
from . import ingest, ledger, published
from .shape import COMPARED, FEWER, NO_BUDGET, build
from .viewer import Viewer

VIEWS = ("activity", "categories", "switching", "focus", "typing", "clicking", "compare")
K_DEFAULT = ledger.K_DEFAULT
K_MIN = ledger.K_MIN
__all__ = ["VIEWS", "K_DEFAULT", "K_MIN", "FEWER", "NO_BUDGET", "NOT_DRAWN", "Result", "LogRefused", "NotDrawnYet",
           "FiguresDamaged", "read", "budget", "options", "categories"]


class LogRefused(PermissionError):
    """The access log of an included worker could not be written: the read is refused."""


class NotDrawnYet(ValueError):
    """A member asked for weeks whose figures the team server has not drawn (published) yet."""


FiguresDamaged = published.FiguresDamaged
NOT_DRAWN = "not drawn by the team server yet"


@dataclass(frozen=True)
class Result:
    view: str
    frame: pl.DataFrame  # keys, then value, lo, hi, suppressed, reason
    k: int
    unit: str
    budget: pl.DataFrame  # team, week, spent, total (rho-zCDP)
    note: str
    pending: tuple[dt.date, ...] = ()  # weeks asked for that the server has not drawn yet (member reads)


UNITS = {
    "activity": "active minutes per person-day in that hour (0-60)",
    "categories": "share of the team's active time (0-1; each person counts equally)",
    "switching": "app switches per active hour (mean over people)",
    "focus": "share of the team's person-days whose focus time falls in the bin (0-1)",
    "typing": "share of typing intervals in the bin (0-1; each person counts equally)",
    "clicking": "share of click intervals in the bin (0-1; each person counts equally)",
    "compare": "per measure, in its own unit (see the measure column)",
}


# --- checking the request -----------------------------------------------------------
def _check_teams(viewer: Viewer, teams) -> list[str]:
    if not isinstance(teams, (list, tuple)) or not teams:
        raise ValueError("choose at least one team")
    for team in teams:
        teamstore.check_team(team)
        if not viewer.may_read(team):
            raise PermissionError(f"{viewer.who} may not read the figures of team {team!r}")
    return sorted(set(teams))


def _check_weeks(weeks, today: dt.date) -> list[dt.date]:
    if not isinstance(weeks, (list, tuple)) or not weeks:
        raise ValueError("choose at least one week")
    for week in weeks:
        if type(week) is not dt.date or week.weekday() != 0:
            raise ValueError(f"{week!r} is not a week: give the Monday of an ISO week as a datetime.date")
        if not drawing.complete(week, today):
            raise ValueError(f"the week of {week} is not over yet: its figures are drawn once it is "
                             f"(after its Sunday and {drawing.GRACE_DAYS} grace day)")
    return sorted(set(weeks))


def _check_categories(categories, known: list[str]) -> list[str] | None:
    if categories is None:
        return None
    if not isinstance(categories, (list, tuple)):
        raise ValueError("categories must be a list of category names")
    for name in categories:
        if not isinstance(name, str) or name not in known:
            raise ValueError(f"{str(name)[:80]!r} is not a category of these teams' figures")
    return sorted(set(categories))


def _before(weeks: list[dt.date]) -> list[dt.date]:
    return [weeks[0] - dt.timedelta(weeks=i) for i in range(len(weeks), 0, -1)]


# --- the read -------------------------------------------------------------------------
def _prepare(con, store: teamstore.Folder, teams: list[str], weeks: list[dt.date], rho: float, k: int) -> None:
    """Ingest and draw the team-weeks not drawn yet, and publish every drawn one the store lacks."""
    drawn = set(ledger.rows(con, "drawn_pairs", teams=teams, weeks=weeks))
    missing = [(t, w) for t in teams for w in weeks if (t, w) not in drawn]
    if missing:
        ingest.sync(con, store, [f"releases/{team}/{(week + dt.timedelta(days=day)).isoformat()}"
                                 for team, week in missing for day in range(7)])
        drawing.draw(con, missing, rho)
        drawn = set(ledger.rows(con, "drawn_pairs", teams=teams, weeks=weeks))
    there = {(t, w) for t in teams for w in published.published_weeks(store, t)}
    published.publish(con, store, sorted(drawn - there), k, rho)


def read(viewer: Viewer, view: str, teams: list[str], weeks: list[dt.date], categories: list[str] | None = None,
         *, store: teamstore.Folder, state: Path, k: int | None = None, today: dt.date | None = None) -> Result:
    """The figures of ``view`` for ``teams`` over ``weeks`` (ISO-week Mondays of completed weeks), narrowed to
    ``categories`` where the view has them (categories, compare). Raises PermissionError for a team the viewer
    may not read, ValueError for an unknown view, a bad week or category, LogRefused if the access log
    cannot be written. A ``member`` viewer reads the server's published figures only (``state`` is their own
    folder, for the digests of what they read): NotDrawnYet if none of the weeks is drawn, FiguresDamaged
    for a published file that fails its checks."""
    if view not in VIEWS:
        raise ValueError(f"{view!r} is not a team view; the views are {', '.join(VIEWS)}")
    teams = _check_teams(viewer, teams)
    weeks = _check_weeks(weeks, today or dt.date.today())
    read_weeks = _before(weeks) + weeks if view == "compare" else weeks
    measures = COMPARED if view == "compare" else (view,)
    if viewer.role == "member":
        return _read_published(viewer, view, teams, weeks, read_weeks, measures, categories, store, state, k)
    k, rho = ledger.settings(state, k)
    with ledger.opened(state) as con:
        _prepare(con, store, teams, read_weeks, rho, ledger.settings(state)[0])
        known = _known(con, viewer, k)
        chosen = _check_categories(categories, known)
        drawn = published.from_ledger(con, teams, read_weeks, measures)
    return _result(viewer, view, drawn, teams, weeks, read_weeks, chosen, known, k, rho, store)


def _from_store(store, teams, read_weeks, measures, state) -> published.Drawn:
    parts = [published.from_store(store, t, read_weeks, measures, state) for t in teams]
    if len(parts) == 1:
        return parts[0]
    return published.Drawn({m: pl.concat([p.draws[m] for p in parts]) for m in measures},
                           {m: pl.concat([p.refused[m] for p in parts]) for m in measures},
                           sorted({x for p in parts for x in p.members}), pl.concat([p.spent for p in parts]),
                           tuple(sorted({w for p in parts for w in p.missing})),
                           max((p.k for p in parts if p.k is not None), default=None))


def _read_published(viewer, view, teams, weeks, read_weeks, measures, categories, store, state, k) -> Result:
    """A member's read: the figures the server published, never drawn here (no ledger, no budget spent)."""
    drawn = _from_store(store, teams, read_weeks, measures, state)
    if all(w in drawn.missing for w in weeks):
        raise NotDrawnYet(f"The team server has not drawn the figures of {', '.join(teams)} for the week(s) of "
                          f"{', '.join(w.isoformat() for w in weeks)} yet: a week's figures are drawn on the server, "
                          "once, the first time a manager reads them after the week is over. Until then there is "
                          "nothing to show here.")
    k = max(x for x in (k, drawn.k, K_MIN) if x is not None)
    known = sorted({c for t in teams for c in published.known_categories(store, t, state)})
    chosen = _check_categories(categories, known)
    rho = max(published.settings(store, t)[1] for t in teams)
    return _result(viewer, view, drawn, teams, weeks, read_weeks, chosen, known, k, rho, store)


def _result(viewer, view, drawn: published.Drawn, teams, weeks, read_weeks, chosen, known, k, rho, store) -> Result:
    """The Result of a read from the drawn figures, wherever they came from (one path for server and member)."""
    frame = build(view, drawn.draws, teams, weeks, chosen if chosen is not None else known, k, drawn.refused)
    if drawn.missing and "week" in frame.columns:
        late = pl.col("week").is_in(list(drawn.missing))
        frame = frame.with_columns(*(pl.when(late).then(None).otherwise(pl.col(c)).alias(c) for c in ("value", "lo", "hi")),
                                   suppressed=late | pl.col("suppressed"),
                                   reason=pl.when(late).then(pl.lit(NOT_DRAWN)).otherwise(pl.col("reason")))
    _log(store, viewer, view, drawn.members, teams, read_weeks, chosen)
    note = _note(view, k, frame)
    if drawn.missing:
        note += (" Not drawn by the team server yet, so left out: the week(s) of "
                 f"{', '.join(w.isoformat() for w in drawn.missing)}.")
    return Result(view, frame, k, UNITS[view], _budget_frame(drawn.spent, teams, read_weeks, rho), note,
                  drawn.missing)


def _known(con, viewer: Viewer, k: int) -> list[str]:
    """The categories at least k people used in a drawn week of a team the viewer may read."""
    return [r[0] for r in ledger.rows(con, "known_categories", teams=sorted(viewer.teams), k=k)
            if viewer.may_read(r[1])]


def _log(store, viewer: Viewer, view: str, members: list[str], teams, weeks, categories) -> None:
    params = {"teams": teams, "weeks": [w.isoformat() for w in weeks], "categories": categories}
    why = "team figures: aggregates over at least k people with noise; no one's own figures"
    for pseudonym in members:
        try:
            teamlog.append(store, pseudonym, who=viewer.who, what=f"team figures: {view}", params=params, why=why)
        except OSError as exc:
            raise LogRefused(f"the read is refused: the access log of a worker in it cannot be written ({exc})") from None


def _note(view: str, k: int, frame: pl.DataFrame) -> str:
    shown = frame.filter(~pl.col("suppressed"))
    spread = (shown["hi"] - shown["lo"]).median() / 2 if shown.height else None
    noisy = f" In this read the noise's 95 % interval is typically ±{spread:.3g}." if spread is not None else ""
    return (f"{UNITS[view].capitalize()}. Each figure is computed from at least {k} people; cells from fewer are "
            f"suppressed. Every figure carries random noise (differential privacy), drawn once and kept, so reading "
            f"again shows the same value; lo-hi is the 95 % interval of that noise.{noisy}")


def _budget_frame(spent: pl.DataFrame, teams, weeks, rho: float) -> pl.DataFrame:
    grid = pl.DataFrame({"team": [t for t in teams for _ in weeks], "week": [w for _ in teams for w in weeks]},
                        schema={"team": pl.String, "week": pl.Date})
    return (grid.join(spent, on=["team", "week"], how="left")
            .with_columns(pl.col("spent").fill_null(0.0), pl.lit(rho).alias("total")))


def budget(viewer: Viewer, teams: list[str], weeks: list[dt.date], *, store: teamstore.Folder,
           state: Path) -> pl.DataFrame:
    """The privacy budget per team-week (rho-zCDP): spent and total. Reading it draws and logs nothing."""
    teams = _check_teams(viewer, teams)
    if not isinstance(weeks, (list, tuple)) or any(type(w) is not dt.date or w.weekday() != 0 for w in weeks):
        raise ValueError("weeks must be ISO-week Mondays (datetime.date)")
    weeks = sorted(set(weeks))
    if viewer.role == "member":  # what the server published; a member keeps no ledger
        drawn = _from_store(store, teams, weeks, (), state)
        rho = max(published.settings(store, t)[1] for t in teams)
        return _budget_frame(drawn.spent, teams, weeks, rho)
    _, rho = ledger.settings(state)
    with ledger.opened(state) as con:
        spent = ledger.frame(con, "read_spent", teams=teams, weeks=weeks)
    return _budget_frame(spent, teams, weeks, rho)


def options(viewer: Viewer, *, store: teamstore.Folder, state: Path,
            today: dt.date | None = None) -> tuple[list[str], list[dt.date]]:
    """The teams the viewer may read that have releases, and the completed weeks any of them has releases
    (or drawn figures) for, newest last."""
    today = today or dt.date.today()
    teams = [t for t in teamstore.teams(store) if viewer.may_read(t)]
    if viewer.role == "member":  # the weeks published, and those with releases not drawn yet (said so)
        weeks = {w for t in teams for w in published.published_weeks(store, t)}
    else:
        with ledger.opened(state) as con:  # weeks drawn before stay readable after their files went (revoked)
            weeks = {w for _, w in ledger.rows(con, "drawn_weeks", teams=teams)}
    for team in teams:
        for day in ingest.days(store, team):
            week = day - dt.timedelta(days=day.weekday())
            if drawing.complete(week, today):
                weeks.add(week)
    return teams, sorted(weeks)


def categories(viewer: Viewer, teams: list[str], weeks: list[dt.date] | None = None, *, store: teamstore.Folder,
               state: Path, k: int | None = None, today: dt.date | None = None) -> list[str]:
    """The categories the viewer may filter by: those at least k people used in some drawn week of a team the
    viewer may read. Given ``weeks``, those weeks of ``teams`` are drawn first (as a read would; nothing is
    shown, so nothing is logged)."""
    teams = _check_teams(viewer, teams)
    if viewer.role == "member":  # the categories of the published figures: each from k people or more
        return sorted({c for t in teams for c in published.known_categories(store, t, state)})
    k, rho = ledger.settings(state, k)
    with ledger.opened(state) as con:
        if weeks:
            _prepare(con, store, teams, _check_weeks(weeks, today or dt.date.today()), rho, ledger.settings(state)[0])
        return _known(con, viewer, k)
