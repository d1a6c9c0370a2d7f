"""Charts of the Today page: where the time went, per app or category and per day."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from .style import OKABE_ITO, layout


def time_bars(frame: pl.DataFrame, label: str, title: str, top: int = 12) -> go.Figure:
    """Horizontal bars of hours per label (from a `seconds` column), largest on
    top: the ``top`` largest labels, the rest left out."""
    frame = frame.sort("seconds", descending=True).head(top).reverse()
    fig = go.Figure(go.Bar(
        x=(frame["seconds"] / 3600).to_list(), y=frame[label].to_list(), orientation="h",
        marker_color=OKABE_ITO[0],
        hovertemplate="%{y}: %{x:.2f} h<extra></extra>",
    ))
    return layout(fig, height=max(220, 28 * frame.height + 80), title=title,
                  xaxis_title="hours", yaxis_title=None)


def daily_active_idle(frame: pl.DataFrame, title: str | None = None, known: bool = True) -> go.Figure:
    """Stacked bars of active and idle hours per local day (from `daily_activity`).

    With ``known=False`` (a source without input or AFK data) one bar per day:
    the time an app was in front, neither active nor idle.
    """
    days = frame["day"].to_list()
    if not known:
        fig = go.Figure(go.Bar(x=days, y=((frame["active_s"] + frame["idle_s"]) / 3600).to_list(),
                               name="an app in front (activity unknown)", marker_color=OKABE_ITO[4],
                               hovertemplate="%{x|%a %d %b}: %{y:.1f} h with an app in front<extra></extra>"))
        return layout(fig, title=title or "Time with an app in front per day (activity unknown)",
                      xaxis_title="day (local)", yaxis_title="hours", showlegend=False)
    fig = go.Figure([
        go.Bar(x=days, y=(frame["active_s"] / 3600).to_list(), name="active", marker_color=OKABE_ITO[0],
               hovertemplate="%{x|%a %d %b}: %{y:.1f} h active<extra></extra>"),
        go.Bar(x=days, y=(frame["idle_s"] / 3600).to_list(), name="idle (app open, no input)",
               marker_color=OKABE_ITO[7], hovertemplate="%{x|%a %d %b}: %{y:.1f} h idle<extra></extra>"),
    ])
    return layout(fig, barmode="stack", title=title or "Active and idle time per day", xaxis_title="day (local)",
                  yaxis_title="hours", legend_traceorder="normal")
