"""What every chart shares: palette, colour maps, layout, duration texts.

Colours are the Okabe-Ito palette (distinguishable with the common
colour-vision deficiencies); backgrounds are transparent so Streamlit's light
and dark themes both read well. Every axis says its unit, and times are local.
"""

from __future__ import annotations

import datetime as dt
import math
import zlib

import plotly.graph_objects as go
import polars as pl

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#999999"]
WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]  # ISO weekday 1 (Monday) to 7 (Sunday)
IDLE_COLOUR = "#999999"
OTHER_COLOUR = "#6B6B6B"
# Apps: Okabe-Ito without its grey (kept for idle and 'other apps'), then five of Paul Tol's muted colours.
APP_PALETTE = OKABE_ITO[:7] + ["#332288", "#882255", "#44AA99", "#999933", "#AA4499"]
OTHER_LABELS = {"other apps", "Other", "other"}

DAY0 = dt.datetime(2000, 1, 1)  # a time-of-day axis: local time of day on a dummy date, for every day alike


def layout(fig: go.Figure, height: int = 360, **kwargs) -> go.Figure:
    """The house layout: height, tight margins, transparent background, the palette, legend below."""
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=10),
        paper_bgcolor="rgba(0,0,0,0)", plot_bgcolor="rgba(0,0,0,0)",
        colorway=OKABE_ITO, legend=dict(orientation="h", y=-0.2), **kwargs,
    )
    return fig


def legend_on_top(fig: go.Figure, columns: int = 2) -> go.Figure:
    """Legend between the title and the plot, where it cannot cover an axis title.

    Its entries sit in ``columns`` equal columns (each a share of the plot's
    width), so the number of legend rows, and the room kept for them above the
    plot, is the same at every window width: plotly's own wrapping stacked the
    entries one per row in a narrow window, over the chart's title."""
    entries = sum(1 for trace in fig.data if trace.showlegend is not False)
    rows = max(math.ceil(entries / columns), 1)
    return fig.update_layout(
        legend=dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom",
                    entrywidth=1 / columns, entrywidthmode="fraction"),
        title=dict(yref="container", y=1, yanchor="top", pad=dict(t=10)), margin=dict(t=44 + 21 * rows))


def app_colours(apps, order: list[str] | None = None) -> dict[str, str]:
    """A colour per app in ``apps``, the same in every chart, view and filter:
    the n-th app of ``order`` (every app the worker has, in the order it first
    appeared: the `app_first_seen` query) gets the n-th colour of APP_PALETTE,
    cycling. Ranking by time instead made apps swap colours when a filter or
    live capture changed the ranking. An app missing from ``order`` gets a
    colour from its name; only 'other apps' is grey."""
    position = {a: i for i, a in enumerate(dict.fromkeys(order or []))}

    def colour(app: str) -> str:
        if app in OTHER_LABELS:
            return OTHER_COLOUR
        i = position.get(app)
        return APP_PALETTE[(zlib.crc32(app.encode()) if i is None else i) % len(APP_PALETTE)]

    return {a: colour(a) for a in set(apps)}


UNITS = [("s", "seconds", 1), ("min", "minutes", 60), ("h", "hours", 3600), ("days", "days", 86400)]


def time_unit(seconds) -> tuple[str, str, int]:
    """(symbol, axis name, seconds in one) of the unit that suits values up to
    ``max(seconds)``: seconds under 2 min, minutes under 2 h, hours under 10
    days, days beyond ("0.001 h" on a first day, "876048 h" over years)."""
    top = max((float(v) for v in seconds if v is not None), default=0)
    for (symbol, name, size), limit in zip(UNITS, (120, 7200, 864_000, None), strict=True):
        if limit is None or top < limit:
            return symbol, name, size
    raise AssertionError("unreachable")


def rgba(colour: str, alpha: float) -> str:
    """'#RRGGBB' as a translucent 'rgba(r,g,b,alpha)'."""
    return f"rgba({int(colour[1:3], 16)},{int(colour[3:5], 16)},{int(colour[5:7], 16)},{alpha})"


DAY, YEAR = 86400, 365.25 * 86400


def day_format(first, last) -> str:
    """A d3 date format for day ticks from ``first`` to ``last``: with the year once they span
    more than one ('Mon 01 Jan' over 2000-2013 said nothing), by month over years."""
    if first is None or last is None or first.year == last.year:
        return "%a %d %b"
    return "%d %b %Y" if (last - first).days < 400 else "%b %Y"


def long_duration(seconds: float) -> str:
    """'3 days 4 h', or '13.1 years' from 2 years: hours alone read '876048 h 00 min' over years."""
    if seconds >= 2 * YEAR:
        return f"{seconds / YEAR:,.1f} years"
    d, h = divmod(round(seconds / 3600), 24)
    return f"{d:,} days {h} h" if h else f"{d:,} days"


def duration(seconds: float) -> str:
    """'40 s', '12 min', '2 h 05 min', '3 days 4 h' (hover texts)."""
    if seconds >= 2 * DAY:
        return long_duration(seconds)
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    h, m = divmod(round(seconds / 60), 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def duration_text(column: str) -> pl.Expr:
    """:func:`duration` as a polars expression, for many rows at once."""
    seconds, minutes = pl.col(column), (pl.col(column) / 60).round(0).cast(pl.Int64)
    return (pl.when(seconds < 59.5).then(seconds.round(0).cast(pl.Int64).cast(pl.String) + " s")
            .when(minutes < 60).then(minutes.cast(pl.String) + " min")
            .otherwise((minutes // 60).cast(pl.String) + " h " + (minutes % 60).cast(pl.String).str.zfill(2) + " min"))
