"""Charts: pure functions from a polars DataFrame to a plotly Figure.

No Streamlit here, so every chart is testable on its own. Colours are the
Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies); backgrounds are transparent so Streamlit's light and dark
themes both read well. Every axis says its unit, and times are local.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def _layout(fig: go.Figure, height: int = 360, **kwargs) -> go.Figure:
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=10),
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        colorway=OKABE_ITO, legend=dict(orientation="h", y=-0.2), **kwargs,
    )
    return fig


def colour_map(labels) -> dict[str, str]:
    """A stable colour per label (app or category), cycling the palette."""
    return {label: OKABE_ITO[i % len(OKABE_ITO)] for i, label in enumerate(sorted(set(labels)))}


def time_bars(frame: pl.DataFrame, label: str, title: str, top: int = 12) -> go.Figure:
    """Horizontal bars of hours per label (from a `seconds` column), largest on top."""
    frame = frame.sort("seconds", descending=True).head(top).reverse()
    fig = go.Figure(go.Bar(
        x=(frame["seconds"] / 3600).to_list(), y=frame[label].to_list(), orientation="h",
        marker_color=OKABE_ITO[0],
        hovertemplate="%{y}: %{x:.2f} h<extra></extra>",
    ))
    return _layout(fig, height=max(220, 28 * frame.height + 80), title=title,
                   xaxis_title="hours", yaxis_title=None)


def daily_active_idle(frame: pl.DataFrame, title: str = "Active and idle time per day") -> go.Figure:
    """Stacked bars of active and idle hours per local day."""
    days = frame["day"].to_list()
    fig = go.Figure([
        go.Bar(x=days, y=(frame["active_s"] / 3600).to_list(), name="active", marker_color=OKABE_ITO[0],
               hovertemplate="%{x|%a %d %b}: %{y:.1f} h active<extra></extra>"),
        go.Bar(x=days, y=(frame["idle_s"] / 3600).to_list(), name="idle (app open, no input)",
               marker_color=OKABE_ITO[7], hovertemplate="%{x|%a %d %b}: %{y:.1f} h idle<extra></extra>"),
    ])
    return _layout(fig, barmode="stack", title=title, xaxis_title="day (local)", yaxis_title="hours",
                   legend_traceorder="normal")


def heatmap(frame: pl.DataFrame, title: str = "Active minutes by weekday and hour") -> go.Figure:
    """Weekday x hour-of-day heatmap of mean active minutes (local time)."""
    grid = [[0.0] * 24 for _ in range(7)]
    for weekday, hour, minutes in frame.select("weekday", "hour_of_day", "active_min").iter_rows():
        grid[weekday - 1][hour] = round(minutes, 1)
    fig = go.Figure(go.Heatmap(
        z=grid, x=list(range(24)), y=WEEKDAYS, colorscale="Cividis", colorbar=dict(title="min"),
        hovertemplate="%{y} %{x}:00: %{z:.0f} active min<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, height=300, title=title, xaxis_title="hour of day (local)", yaxis_title=None)


def histogram(dist: pl.DataFrame, unit: str, title: str, log_x: bool = True) -> go.Figure:
    """Log-binned histogram (share of values per bin) with the ECDF on a second axis."""
    centres = [math.sqrt(lo * hi) for lo, hi in dist.select("lo", "hi").iter_rows()]
    widths = [hi - lo for lo, hi in dist.select("lo", "hi").iter_rows()]
    fig = go.Figure([
        go.Bar(x=centres, y=(dist["share"] * 100).to_list(), width=widths, name="share of values",
               marker_color=OKABE_ITO[0], hovertemplate=f"%{{x:.0f}} {unit}: %{{y:.1f}}%<extra></extra>"),
        go.Scatter(x=dist["hi"].to_list(), y=(dist["cum_share"] * 100).to_list(), name="cumulative (ECDF)",
                   yaxis="y2", mode="lines", line=dict(color=OKABE_ITO[5], shape="hv"),
                   hovertemplate=f"≤ %{{x:.0f}} {unit}: %{{y:.1f}}%<extra></extra>"),
    ])
    fig.update_layout(yaxis2=dict(overlaying="y", side="right", range=[0, 100], title="cumulative %"))
    fig.update_xaxes(type="log" if log_x else "linear", title=unit)
    return _layout(fig, title=title, yaxis_title="% of values")


def compare_ecdf(a: list[float], b: list[float], labels: tuple[str, str], unit: str, title: str) -> go.Figure:
    """Two empirical CDFs on one log axis: how a measure shifted between periods."""
    fig = go.Figure()
    for values, label, colour in ((a, labels[0], OKABE_ITO[7]), (b, labels[1], OKABE_ITO[0])):
        xs = sorted(v for v in values if v > 0)
        n = len(xs)
        fig.add_trace(go.Scatter(x=xs, y=[100 * (i + 1) / n for i in range(n)], name=label, mode="lines",
                                 line=dict(color=colour, shape="hv")))
    fig.update_xaxes(type="log", title=unit)
    return _layout(fig, height=320, title=title, yaxis_title="cumulative %")
