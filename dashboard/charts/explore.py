"""Charts of the Explore page: one study result, every row over at least k people.

A result (team.explore.Result.frame) is its group columns, then ``value`` and
``persons`` (how many people the row covers; never who). The first group
column is the x axis: a line over time keys (week, month, day), bars
otherwise; the second, if any, is the colour. Groups the query layer left out
for covering fewer than k people are simply absent, and the title says how
many.
"""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from .style import OKABE_ITO, WEEKDAYS, layout, legend_on_top
from .team import bin_label, category_colour

TIME_KEYS = ("week", "month", "day")
KEY_LABELS = {"week": "week (Monday)", "month": "month", "day": "day", "weekday": "weekday", "hour": "local hour",
              "category": "category", "from_category": "switched from", "to_category": "switched to", "bin": "bin"}


def key_label(key: str) -> str:
    return KEY_LABELS.get(key, key)


def _x(frame: pl.DataFrame, key: str) -> list:
    """The x values as the reader reads them: weekday names, bin ranges, hours as 09:00."""
    if key == "weekday":
        return [WEEKDAYS[d - 1] for d in frame["weekday"]]
    if key == "hour":
        return [f"{h:02d}:00" for h in frame["hour"]]
    if key == "bin":
        unit = next(c[3:] for c in frame.columns if c.startswith("lo_"))
        return [bin_label(lo, hi, unit) for lo, hi in zip(frame[f"lo_{unit}"], frame[f"hi_{unit}"])]
    return frame[key].to_list()


def _hover(frame: pl.DataFrame, unit: str) -> list[str]:
    share = "share" in unit
    return [f"{100 * v:,.1f} %" if share else f"{v:,.2f}" for v in frame["value"]]


def result_chart(frame: pl.DataFrame, by: tuple[str, ...], unit: str, title: str, suppressed: int, k: int) -> go.Figure:
    """The result drawn: x = the first group key (or one bar without any), colour = the second."""
    fig = go.Figure()
    share = "share" in unit
    x_key = by[0] if by else None
    colour_key = by[1] if len(by) > 1 else None
    parts = ([(None, frame)] if colour_key is None else
             [(name, frame.filter(pl.col(colour_key) == name)) for name in frame[colour_key].unique(maintain_order=True)])
    for i, (name, part) in enumerate(parts):
        colour = category_colour(name, i) if colour_key and "category" in colour_key else OKABE_ITO[i % len(OKABE_ITO)]
        label = "all" if name is None else (WEEKDAYS[name - 1] if colour_key == "weekday" else str(name))
        x = _x(part, x_key) if x_key else ["all"]
        common = dict(x=x, y=part["value"].to_list(), name=label, customdata=list(zip(_hover(part, unit), part["persons"])),
                      hovertemplate=f"{label + ', ' if name is not None else ''}%{{x}}: %{{customdata[0]}} "
                                    "(%{customdata[1]} people)<extra></extra>")
        if x_key in TIME_KEYS:
            fig.add_trace(go.Scatter(mode="lines+markers", line=dict(color=colour), marker=dict(color=colour), **common))
        else:
            fig.add_trace(go.Bar(marker_color=colour, **common))
    left_out = f"; {suppressed} group(s) under k = {k} people left out" if suppressed else ""
    layout(fig, height=380, title=f"{title}{left_out}", barmode="group", showlegend=colour_key is not None)
    fig.update_xaxes(title=key_label(x_key) if x_key else "", type="category" if x_key and x_key not in TIME_KEYS else None)
    fig.update_yaxes(title=unit, tickformat=".0%" if share else None, rangemode="tozero")
    if not frame.height:
        fig.add_annotation(text=f"No group covers at least k = {k} people", showarrow=False, xref="paper",
                           yref="paper", x=0.5, y=0.5)
    return legend_on_top(fig, columns=3) if colour_key else fig
