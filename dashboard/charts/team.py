"""Charts of the Team page: team figures with the noise they carry, never a person.

Each function draws one view's frame from the team query layer (team.views:
keys, then ``value``, ``lo``/``hi`` = the 95 % interval of the noise, and
``suppressed``) as it is: a suppressed cell is left blank (None, never 0) and
says "fewer than k people" where the pointer shows its value, every other
cell or point carries its interval, as error bars, a band or in the hover.
Nothing here adds up, ranks or picks out anyone: there is no per-person
figure to draw.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl

from .style import OKABE_ITO, WEEKDAYS, layout, legend_on_top, rgba

FEWER = "fewer than k people"  # what team.views says of a cell under k
CATEGORY_COLOURS = {  # one colour per category of the default rules, the same in every chart
    "Development": OKABE_ITO[0], "Web": OKABE_ITO[1], "Chat": OKABE_ITO[2], "Email": OKABE_ITO[3],
    "Meetings": OKABE_ITO[4], "Documents": OKABE_ITO[5], "Planning & design": "#332288", "Terminal": "#882255",
    "Media": "#44AA99", "Files": "#999933", "Other": "#6B6B6B",
}
_EXTRA = ["#AA4499", OKABE_ITO[6], "#117733", "#88CCEE"]


def team_colours(teams) -> dict[str, str]:
    """A colour per team, by its place in the sorted list (the same on every chart of the page)."""
    return {t: OKABE_ITO[i % len(OKABE_ITO)] for i, t in enumerate(sorted(set(teams)))}


def category_colour(category: str, i: int = 0) -> str:
    return CATEGORY_COLOURS.get(category, _EXTRA[i % len(_EXTRA)])


def _num(value: float | None, unit: str, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if unit == "%":  # a share (0-1) shown as a percentage
        return f"{100 * value:,.{digits}f} %"
    return f"{value:,.{digits}f}{' ' + unit if unit else ''}"


def suppressed_text(reason: str | None, k: int) -> str:
    """Why a cell has no figure: too few people (the k rule), or its privacy budget is spent."""
    if reason and reason != FEWER:
        return reason
    return f"{FEWER} (k = {k})"


def cell_text(row: dict, unit: str, k: int, digits: int = 1) -> str:
    """What the pointer shows for one cell: the figure and its 95 % noise interval, or why there is none."""
    if row.get("suppressed"):
        return suppressed_text(row.get("reason"), k)
    return f"{_num(row['value'], unit, digits)} (95 % interval {_num(row['lo'], unit, digits)} to " \
           f"{_num(row['hi'], unit, digits)})"


def legend_name(team: str, part: pl.DataFrame, k: int) -> str:
    """The team's legend entry; one with no figure at all says so there (an entry with nothing drawn
    would otherwise look like a line lost)."""
    return f"{team} (fewer than k)" if part.height and part["suppressed"].all() else team


def _shown(frame: pl.DataFrame, column: str = "value") -> list:
    """The column's values with every suppressed row as None: a gap, never a 0."""
    return [None if s else v for v, s in zip(frame[column].to_list(), frame["suppressed"].to_list())]


def _errors(frame: pl.DataFrame) -> dict:
    """Asymmetric error bars from lo/hi (none on suppressed points)."""
    plus = [None if s else h - v for v, h, s in zip(frame["value"], frame["hi"], frame["suppressed"])]
    minus = [None if s else v - lo for v, lo, s in zip(frame["value"], frame["lo"], frame["suppressed"])]
    return dict(type="data", symmetric=False, array=plus, arrayminus=minus, thickness=1.2, width=4)


def _percent_axis(fig: go.Figure, unit: str) -> None:
    """Shares (0-1) read as percentages on the axis; the figures themselves stay as the frame's."""
    if unit == "%":
        fig.update_yaxes(tickformat=".0%", rangemode="tozero")


def _nothing_note(fig: go.Figure, empty: bool, k: int) -> go.Figure:
    """Over a chart with no figure at all, say why in its middle (a blank chart looks broken)."""
    if empty:
        fig.add_annotation(text=f"No figure: {FEWER} (k = {k}) in every cell", showarrow=False, xref="paper",
                           yref="paper", x=0.5, y=0.5, font=dict(size=14))
    return fig


def _week_label(week) -> str:
    return f"{week:%d %b}"


# --- active time by weekday x hour -------------------------------------------------------------
def readable_first(frame: pl.DataFrame, teams: list[str]) -> list[str]:
    """The teams in their order, those with at least one figure shown first: the tab a
    page opens on is then a chart, not a team whose every cell is suppressed."""
    shown = set(frame.filter(~pl.col("suppressed"))["team"].to_list()) if frame.height else set()
    return sorted(teams, key=lambda team: team not in shown)


def heatmap(frame: pl.DataFrame, team: str, unit: str, k: int, title: str | None = None) -> go.Figure:
    """One team's weekday (rows, Monday on top; 0 = Monday) x local hour (columns) grid of
    ``value``: suppressed cells blank, with "fewer than k people" on hover, every other
    cell with its 95 % interval on hover."""
    grid: list[list[float | None]] = [[None] * 24 for _ in range(7)]
    text = [["no figure" for _ in range(24)] for _ in range(7)]
    for row in frame.filter(pl.col("team") == team).iter_rows(named=True):
        d, h = int(row["weekday"]), int(row["hour"])
        grid[d][h] = None if row["suppressed"] else row["value"]
        text[d][h] = cell_text(row, unit, k)
    fig = go.Figure(go.Heatmap(
        # The colours span 0-60 minutes, what an hour can hold; noise can push a figure past either end,
        # which the hover shows as it is.
        z=grid, x=list(range(24)), y=WEEKDAYS, colorscale="Cividis", colorbar=dict(title=unit), zmin=0, zmax=60,
        customdata=text, hoverongaps=True, xgap=1, ygap=1,
        hovertemplate="%{y} %{x}:00: %{customdata}<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(dtick=2, range=[-0.5, 23.5])
    layout(fig, height=300, title=title or f"{team}: active time by weekday and hour",
           xaxis_title="hour of day (local)", yaxis_title=None)
    return _nothing_note(fig, all(v is None for row in grid for v in row), k)


# --- per week: category shares, switching --------------------------------------------------------
def category_shares(frame: pl.DataFrame, team: str, unit: str, k: int, title: str | None = None) -> go.Figure:
    """One team's share of active time per category, week by week: a line per category, the
    noise as error bars; a suppressed week is a gap in its line."""
    rows = frame.filter(pl.col("team") == team).sort("week")
    fig = go.Figure()
    totals = rows.filter(~pl.col("suppressed")).group_by("category").agg(pl.col("value").sum())
    order = totals.sort("value", descending=True)["category"].to_list()
    order += sorted(set(rows["category"].to_list()) - set(order))
    for i, category in enumerate(order):
        part = rows.filter(pl.col("category") == category)
        fig.add_trace(go.Scatter(
            x=[_week_label(w) for w in part["week"]], y=_shown(part), name=category, mode="lines+markers",
            line=dict(color=category_colour(category, i)), error_y=_errors(part), connectgaps=False,
            customdata=[cell_text(r, unit, k) for r in part.iter_rows(named=True)],
            hovertemplate=f"{category}, week of Mon %{{x}}: %{{customdata}}<extra></extra>"))
    fig.update_xaxes(type="category", title="week (starting Monday)")
    layout(fig, height=420, title=title or f"{team}: share of active time per category",
           yaxis_title="share of the team's active time")
    _percent_axis(fig, unit)
    empty = rows["suppressed"].all()
    if empty:
        fig.update_yaxes(range=[0, 1])
    return _nothing_note(legend_on_top(fig, columns=3), empty, k)


def switching(frame: pl.DataFrame, unit: str, k: int, title: str = "App switches per active hour") -> go.Figure:
    """Each team's switching rate week by week: the line is the noisy figure, the band its
    95 % interval; a suppressed week is a gap in both."""
    fig = go.Figure()
    colours = team_colours(frame["team"].to_list())
    for team in sorted(colours):
        part = frame.filter(pl.col("team") == team).sort("week")
        x = [_week_label(w) for w in part["week"]]
        colour = colours[team]
        for edge, fill in (("hi", None), ("lo", "tonexty")):  # the band: hi, then lo filled up to it
            fig.add_trace(go.Scatter(x=x, y=_shown(part, edge), mode="lines", line=dict(width=0), fill=fill,
                                     fillcolor=rgba(colour, 0.2), showlegend=False, hoverinfo="skip",
                                     name=f"{team} {edge}", connectgaps=False))
        fig.add_trace(go.Scatter(
            x=x, y=_shown(part), name=legend_name(team, part, k), mode="lines+markers", line=dict(color=colour),
            connectgaps=False, customdata=[cell_text(r, unit, k) for r in part.iter_rows(named=True)],
            hovertemplate=f"{team}, week of Mon %{{x}}: %{{customdata}}<extra></extra>"))
    fig.update_xaxes(type="category", title="week (starting Monday)")
    layout(fig, height=340, title=title, yaxis_title=unit)
    fig.update_yaxes(rangemode="tozero")
    # plotly lists filled traces' legend backwards unless told; two columns hold a team's name and its note
    return legend_on_top(fig, columns=2).update_layout(legend_traceorder="normal")


# --- distributions: focus time, typing and clicking rhythm ------------------------------------------
def bin_label(lo: float, hi: float | None, unit: str) -> str:
    """'under 60 ms', '60-120 ms', '960 ms and more' (a bin's range in plain words)."""
    fmt = lambda v: f"{v:,.4g}"  # noqa: E731
    if not lo:
        return f"under {fmt(hi)} {unit}"
    if hi is None or (isinstance(hi, float) and math.isinf(hi)):
        return f"{fmt(lo)} {unit} and more"
    return f"{fmt(lo)}–{fmt(hi)} {unit}"


def distribution(frame: pl.DataFrame, unit: str, k: int, title: str, x_title: str, bin_unit: str,
                 y_title: str) -> go.Figure:
    """Per team, the share in each bin (bars side by side, a colour per team) with the
    noise as error bars; a suppressed bin has no bar and says why on hover."""
    fig = go.Figure()
    colours = team_colours(frame["team"].to_list())
    for team in sorted(colours):
        part = frame.filter(pl.col("team") == team).sort("bin_lo")
        labels = [bin_label(lo, hi, bin_unit) for lo, hi in zip(part["bin_lo"], part["bin_hi"])]
        fig.add_trace(go.Bar(
            x=labels, y=_shown(part), name=legend_name(team, part, k), marker_color=colours[team], error_y=_errors(part),
            customdata=[cell_text(r, unit, k) for r in part.iter_rows(named=True)],
            hovertemplate=f"{team}, %{{x}}: %{{customdata}}<extra></extra>"))
    fig.update_xaxes(type="category", title=x_title)
    layout(fig, height=360, title=title, yaxis_title=y_title, barmode="group")
    _percent_axis(fig, unit)
    return legend_on_top(fig, columns=2)


# --- this period against the one before ------------------------------------------------------------
def within_noise(change: dict) -> bool | None:
    """True when a change is within what the noise alone could make: its 95 % interval (from
    the two periods' independent noise) holds 0. None when either period is suppressed."""
    if change.get("suppressed") or change.get("value") is None:
        return None
    return change["lo"] <= 0 <= change["hi"]


def comparison_rows(frame: pl.DataFrame) -> list[dict]:
    """Per team and measure: both periods' figures, the change and whether it is within the noise."""
    out = []
    for (team, measure), part in frame.sort("team", "measure").group_by(["team", "measure"], maintain_order=True):
        by = {r["period"]: r for r in part.iter_rows(named=True)}
        if not {"this", "before", "change"} <= set(by):
            continue
        out.append({"team": team, "measure": measure, "this": by["this"], "before": by["before"],
                    "change": by["change"], "within_noise": within_noise(by["change"])})
    return out


def measure_unit(measure: str) -> str:
    """The unit to print a compared measure in: its shares as percentages."""
    return "%" if measure.startswith("share") else ""


def comparison_sentence(row: dict, k: int) -> str:
    """One plain sentence per team and measure: the change, or that it is within the noise."""
    unit = measure_unit(row["measure"])
    what = f"{row['team']}, {row['measure']}"
    if row["within_noise"] is None:
        why = suppressed_text(row["change"].get("reason"), k)
        return f"{what}: no comparison ({why} in one of the periods)."
    change = f"{_num(row['before']['value'], unit)} before, {_num(row['this']['value'], unit)} now"
    if row["within_noise"]:
        return f"{what}: {change}. The difference is within the noise: it may be no change at all."
    delta = row["change"]["value"]
    size = f"{100 * abs(delta):,.1f} percentage points" if unit == "%" else _num(abs(delta), unit)
    return f"{what}: {change}, {'up' if delta > 0 else 'down'} by {size}, more than the noise explains."


def comparison(frame: pl.DataFrame, measure: str, k: int, title: str | None = None) -> go.Figure:
    """One measure, per team (rows): the period before (grey ring) and this period (dot), each
    with its 95 % noise interval; a suppressed period has no point."""
    unit = measure_unit(measure)
    part = frame.filter(pl.col("measure") == measure).sort("team")
    teams = sorted(set(part["team"].to_list()))
    row_of = {t: len(teams) - 1 - i for i, t in enumerate(teams)}  # the first team on top
    fig = go.Figure()
    for period, name, colour, symbol, offset in (("before", "period before", OKABE_ITO[7], "circle-open", 0.15),
                                                 ("this", "this period", OKABE_ITO[0], "circle", -0.15)):
        rows = part.filter(pl.col("period") == period)
        fig.add_trace(go.Scatter(
            x=_shown(rows), y=[row_of[t] + offset for t in rows["team"]], name=name, mode="markers",
            marker=dict(color=colour, size=12, symbol=symbol, line=dict(width=2, color=colour)),
            error_x={**_errors(rows), "width": 6}, customdata=[[t, cell_text(r, unit, k)] for t, r in
                                                               zip(rows["team"], rows.iter_rows(named=True))],
            hovertemplate=f"%{{customdata[0]}}, {name}: %{{customdata[1]}}<extra></extra>"))
    fig.update_yaxes(tickmode="array", tickvals=[row_of[t] for t in teams], ticktext=teams,
                     range=[-0.6, len(teams) - 0.4], showgrid=False)
    if unit == "%":
        fig.update_xaxes(tickformat=".0%")
    layout(fig, height=max(220, 50 * len(teams) + 140), title=title or measure, xaxis_title=measure, yaxis_title=None)
    return legend_on_top(fig, columns=2)
