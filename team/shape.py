"""The frames team.views returns, from the drawn cells: the k rule applied per
team-week and cell, the weeks summed, the 95 % interval of the noise.

A figure over several weeks is sum(noisy) / sum(denominator) over the
team-weeks whose cell had at least k people; the noise of that figure has
scale sqrt(sum(scale^2)) / sum(denominator), and its interval is OpenDP's
accuracy for that scale (linear in the scale for Gaussian noise).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from sharing import release_format

from . import noise
from .draw import FOCUS_EDGES_MIN

FEWER = "fewer than k people"
NO_BUDGET = "privacy budget spent"
COMPARED = ("activity", "switching", "focus", "typing", "clicking", "categories")
_BINS = {"focus": (0, *FOCUS_EDGES_MIN), "typing": (0, *release_format.TYPING_EDGES_MS),
         "clicking": (0, *release_format.CLICK_EDGES_S)}
_SUMS = {"num": pl.col("noisy").sum(), "var": (pl.col("scale") ** 2).sum(), "den": pl.col("denom").sum()}


def _z() -> float:
    return noise.accuracy(1.0)


def _finish(grid: pl.DataFrame, sums: pl.DataFrame, keys: list[str], refused: pl.DataFrame,
            refused_keys: list[str]) -> pl.DataFrame:
    """grid (every key) + sums (num, var, den per key) -> value, lo, hi, suppressed, reason."""
    z = _z()
    out = grid.join(sums, on=keys, how="left")
    out = out.with_columns(value=pl.col("num") / pl.col("den"), sigma=pl.col("var").sqrt() / pl.col("den"))
    ok = pl.col("den").is_not_null() & (pl.col("den") > 0)
    out = out.with_columns(
        value=pl.when(ok).then(pl.col("value")),
        lo=pl.when(ok).then(pl.col("value") - z * pl.col("sigma")),
        hi=pl.when(ok).then(pl.col("value") + z * pl.col("sigma")),
        suppressed=~ok,
    )
    short = refused.select(refused_keys).unique().with_columns(pl.lit(True).alias("_refused"))
    out = out.join(short, on=refused_keys, how="left") if refused_keys else out.with_columns(_refused=pl.lit(False))
    out = out.with_columns(reason=pl.when(ok).then(None).when(pl.col("_refused").fill_null(False))
                           .then(pl.lit(NO_BUDGET)).otherwise(pl.lit(FEWER)))
    return out.select(*keys, "value", "lo", "hi", "suppressed", "reason")


def _grid(**columns) -> pl.DataFrame:
    frame = None
    for name, (values, dtype) in columns.items():
        part = pl.DataFrame({name: values}, schema={name: dtype})
        frame = part if frame is None else frame.join(part, how="cross")
    return frame


def _included(d: pl.DataFrame, k: int) -> pl.DataFrame:
    return d.filter(pl.col("contributors") >= k)


def _activity(d, teams, weeks, k, refused):
    d = _included(d, k).with_columns(weekday=(pl.col("idx") // 24).cast(pl.Int8), hour=(pl.col("idx") % 24).cast(pl.Int8))
    sums = d.group_by("team", "weekday", "hour").agg(**_SUMS)
    grid = _grid(team=(teams, pl.String), weekday=(list(range(7)), pl.Int8), hour=(list(range(24)), pl.Int8))
    return _finish(grid, sums, ["team", "weekday", "hour"], refused, ["team"])


def _per_week(d, teams, weeks, k, refused, cats=None):
    keys = ["team", "week"] + (["category"] if cats is not None else [])
    sums = _included(d, k).group_by(keys).agg(**_SUMS)
    cols = {"team": (teams, pl.String), "week": (weeks, pl.Date)}
    if cats is not None:
        cols["category"] = (cats, pl.String)
    return _finish(_grid(**cols), sums, keys, refused, ["team", "week"])


def _bins(measure, d, teams, weeks, k, refused):
    edges = _BINS[measure]
    sums = _included(d, k).group_by("team", "idx").agg(**_SUMS)
    bins = pl.DataFrame({"idx": list(range(len(edges))), "bin_lo": [float(e) for e in edges],
                         "bin_hi": [float(e) for e in edges[1:]] + [None]},
                        schema={"idx": pl.Int32, "bin_lo": pl.Float64, "bin_hi": pl.Float64})
    grid = _grid(team=(teams, pl.String)).join(bins, how="cross")
    out = _finish(grid, sums.with_columns(pl.col("idx").cast(pl.Int32)), ["team", "idx"], refused, ["team"])
    return out.join(bins, on="idx").select("team", "bin_lo", "bin_hi", "value", "lo", "hi", "suppressed", "reason")


@dataclass(frozen=True)
class Compared:
    label: str
    measure: str
    cells: pl.Expr  # which of the measure's cells the figure sums


def _compared(cats: list[str]) -> list[Compared]:
    fixed = [
        Compared("active minutes per person-day", "activity", pl.lit(True)),
        Compared("app switches per active hour", "switching", pl.lit(True)),
        Compared("share of days with 2 h of focus or more", "focus", pl.col("idx") >= FOCUS_EDGES_MIN.index(120) + 1),
        Compared("share of typing intervals under 120 ms", "typing", pl.col("idx") <= 1),
        Compared("share of click intervals under 1 s", "clicking", pl.col("idx") <= 2),
    ]
    return fixed + [Compared(f"share of time: {c}", "categories", pl.col("category") == c) for c in cats]


def _team_weeks(item: Compared, d: pl.DataFrame, k: int) -> pl.DataFrame:
    """Per team-week: num, var, den of the measure's figure, for team-weeks where it is over k people."""
    d = d.filter(item.cells)
    if item.measure == "activity":  # each weekday's cells: its people; a person-day is 24 cells
        return (_included(d, k).group_by("team", "week")
                .agg(num=pl.col("noisy").sum(), var=(pl.col("scale") ** 2).sum(), den=pl.col("denom").sum() / 24))
    # Only cells of k people or more enter the sum: the cells a server publishes (team.published) are those,
    # so a worker's view of its team gives the manager's figures.
    return (_included(d, k).group_by("team", "week")
            .agg(num=pl.col("noisy").sum(), var=(pl.col("scale") ** 2).sum(), den=pl.col("denom").max()))


def _compare(draws, teams, weeks, k, refused, cats):
    before = [weeks[0] - dt.timedelta(weeks=i) for i in range(len(weeks), 0, -1)]
    rows = []
    for item in _compared(cats):
        tw = _team_weeks(item, draws[item.measure], k)
        for period, chosen in (("this", weeks), ("before", before)):
            part = (tw.filter(pl.col("week").is_in(chosen)).group_by("team")
                    .agg(pl.col("num").sum(), pl.col("var").sum(), pl.col("den").sum()))
            rows.append(part.with_columns(measure=pl.lit(item.label), period=pl.lit(period)))
    sums = pl.concat(rows, how="vertical_relaxed") if rows else None
    labels = [c.label for c in _compared(cats)]
    grid = _grid(team=(teams, pl.String), measure=(labels, pl.String), period=(["this", "before"], pl.String))
    keys = ["team", "measure", "period"]
    out = _finish(grid, sums.select(*keys, "num", "var", "den"), keys, refused, ["team"])
    this = out.filter(pl.col("period") == "this")
    was = out.filter(pl.col("period") == "before").select("team", "measure", pl.col("value").alias("v0"),
                                                          ((pl.col("hi") - pl.col("lo")) / 2).alias("h0"))
    change = this.join(was, on=["team", "measure"]).with_columns(
        period=pl.lit("change"),
        value=pl.col("value") - pl.col("v0"),
        half=(((pl.col("hi") - pl.col("lo")) / 2) ** 2 + pl.col("h0") ** 2).sqrt())
    change = change.with_columns(lo=pl.col("value") - pl.col("half"), hi=pl.col("value") + pl.col("half"),
                                 suppressed=pl.col("value").is_null())
    change = change.with_columns(reason=pl.when(pl.col("suppressed")).then(pl.coalesce("reason", pl.lit(FEWER))))
    return pl.concat([out, change.select(out.columns)]).sort("team", "measure", "period")


def build(view: str, draws: dict[str, pl.DataFrame], teams: list[str], weeks: list[dt.date], cats: list[str],
          k: int, refused: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """The view's frame (see team.views) from the drawn cells of its measures."""
    if view == "compare":
        any_refused = pl.concat([r for r in refused.values()]).unique()
        return _compare(draws, teams, weeks, k, any_refused, cats)
    d = draws[view]
    if view == "activity":
        return _activity(d, teams, weeks, k, refused[view])
    if view == "switching":
        return _per_week(d, teams, weeks, k, refused[view])
    if view == "categories":
        return _per_week(d.filter(pl.col("category").is_in(cats)), teams, weeks, k, refused[view], cats)
    return _bins(view, d, teams, weeks, k, refused[view])
