"""Charts of the Today page: where the time went, per app or category and per day."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from .style import DAY, OKABE_ITO, app_colours, day_format, layout, legend_on_top, time_unit


def time_bars(frame: pl.DataFrame, label: str, title: str, top: int = 12, order: list[str] | None = None) -> go.Figure:
    """Horizontal bars of time per label (from a `seconds` column), largest on
    top: the ``top`` largest labels, the rest left out; in the unit that suits
    the largest (style.time_unit). With ``order`` (apps in first-seen order) each
    bar is in its app's colour, as on every other page."""
    frame = frame.sort("seconds", descending=True).head(top).reverse()
    symbol, unit, size = time_unit(frame["seconds"])
    labels = frame[label].to_list()
    colours = app_colours(labels, order) if order is not None else {}
    fig = go.Figure(go.Bar(
        x=(frame["seconds"] / size).to_list(), y=labels, orientation="h",
        marker_color=[colours[a] for a in labels] if colours else OKABE_ITO[0],
        hovertemplate=f"%{{y}}: %{{x:,.3~r}} {symbol}<extra></extra>",
    ))
    return layout(fig, height=max(220, 28 * frame.height + 80), title=title,
                  xaxis_title=unit, yaxis_title=None)


def daily_active_idle(frame: pl.DataFrame, title: str | None = None, known: bool = True) -> go.Figure:
    """Stacked bars of active and idle time per local day (from `daily_activity`),
    in the unit that suits the longest day (style.time_unit).

    With ``known=False`` (a source without input or AFK data) one bar per day:
    the time an app was in front, neither active nor idle.
    """
    days = frame["day"].to_list()
    symbol, unit, size = time_unit((frame["active_s"] + frame["idle_s"]).to_list())
    if not known:
        fig = go.Figure(go.Bar(x=days, y=((frame["active_s"] + frame["idle_s"]) / size).to_list(),
                               name="an app in front (activity unknown)", marker_color=OKABE_ITO[4],
                               hovertemplate=f"%{{x|%a %d %b %Y}}: %{{y:,.3~r}} {symbol} with an app in front"
                                             "<extra></extra>"))
        return _day_ticks(layout(fig, title=title or "Time with an app in front per day (activity unknown)",
                                 xaxis_title="day (local)", yaxis_title=unit, showlegend=False), days)
    fig = go.Figure([
        go.Bar(x=days, y=(frame["active_s"] / size).to_list(), name="active", marker_color=OKABE_ITO[0],
               hovertemplate=f"%{{x|%a %d %b %Y}}: %{{y:,.3~r}} {symbol} active<extra></extra>"),
        go.Bar(x=days, y=(frame["idle_s"] / size).to_list(), name="idle (app open, no input)",
               marker_color=OKABE_ITO[7], hovertemplate=f"%{{x|%a %d %b %Y}}: %{{y:,.3~r}} {symbol} idle<extra></extra>"),
    ])
    layout(fig, barmode="stack", title=title or "Active and idle time per day", xaxis_title="day (local)",
           yaxis_title=unit, legend_traceorder="normal")
    return legend_on_top(_day_ticks(fig, days))


def _day_ticks(fig: go.Figure, days: list) -> go.Figure:
    """One tick per day, as a date: plotly's own ticks on a single day read '00:00:00 Oct 1, 2026'."""
    first, last = (min(days), max(days)) if days else (None, None)
    return fig.update_xaxes(type="date", tickformat=day_format(first, last),
                            dtick=DAY * 1000 if len(days) <= 31 else None)
