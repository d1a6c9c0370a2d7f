"""Charts of the Timing page: distributions, periods compared, visits, typing bursts."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import polars as pl

from .style import OKABE_ITO, layout


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
    return layout(fig, title=title, yaxis_title="% of values")


def compare_ecdf(a: list[float], b: list[float], labels: tuple[str, str], unit: str, title: str) -> go.Figure:
    """Two empirical CDFs on one log axis: how a measure shifted between periods."""
    fig = go.Figure()
    for values, label, colour in ((a, labels[0], OKABE_ITO[7]), (b, labels[1], OKABE_ITO[0])):
        xs = sorted(v for v in values if v > 0)
        n = len(xs)
        fig.add_trace(go.Scatter(x=xs, y=[100 * (i + 1) / n for i in range(n)], name=label, mode="lines",
                                 line=dict(color=colour, shape="hv")))
    fig.update_xaxes(type="log", title=unit)
    return layout(fig, height=320, title=title, yaxis_title="cumulative %")


def _tick_label(value: float) -> str:
    """A tick label: three significant digits at most, no exponent (0.05, 2, 1,000)."""
    digits = max(0, 2 - math.floor(math.log10(value)))
    return f"{round(value, digits):,.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:,.0f}"


def log_ticks(fig: go.Figure, lo: float, hi: float) -> go.Figure:
    """Label a log x axis at 1, 2, 5, 10, 20, ... in plain numbers (plotly's own
    labels show a lone '5' for 0.5 and '2' for 200)."""
    if not (lo and hi and lo > 0 and hi > lo):
        return fig
    ticks = [m * 10.0 ** e for e in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
             for m in (1, 2, 5) if lo <= m * 10.0 ** e <= hi]
    if len(ticks) > 14:  # many decades: powers of ten only
        ticks = [t for t in ticks if math.log10(t).is_integer()]
    return fig.update_xaxes(tickmode="array", tickvals=ticks, ticktext=[_tick_label(t) for t in ticks])


def measure_histogram(dist: pl.DataFrame, unit: str, title: str, x_title: str, log_x: bool = True) -> go.Figure:
    """:func:`histogram`, with an axis that says what is measured, plain tick labels,
    and hover text that names each bin's range to three significant digits
    (whole numbers would call every sub-second bin "0 s")."""
    fig = histogram(dist, unit, title, log_x)
    fig.update_traces(selector=dict(type="bar"), customdata=dist.select("lo", "hi").rows(),
                      hovertemplate=f"%{{customdata[0]:,.3~r}}–%{{customdata[1]:,.3~r}} {unit}: "
                                    "%{y:.1f}% of values<extra></extra>")
    fig.update_traces(selector=dict(type="scatter"),
                      hovertemplate=f"%{{y:.1f}}% of values are ≤ %{{x:,.3~r}} {unit}<extra></extra>")
    # plotly.js 4 syncs an overlaying axis to the left one's ticks, which gives 34.2%, 68.3%.
    fig.update_layout(yaxis2=dict(tickmode="linear", tick0=0, dtick=25, showgrid=False))
    fig.update_xaxes(title=f"{x_title} ({unit})")
    if log_x and not dist.is_empty():
        log_ticks(fig, dist["lo"].min(), dist["hi"].max())
    elif not dist.is_empty():
        # The bins are log-spaced: on a linear axis a wide bin's share would look
        # like a peak, so bar heights become shares per unit of width.
        density = (dist["share"] * 100 / (dist["hi"] - dist["lo"])).to_list()
        fig.update_traces(selector=dict(type="bar"), y=density, name=f"share of values per {unit}",
                          hovertemplate=f"%{{customdata[0]:,.3~r}}–%{{customdata[1]:,.3~r}} {unit}: "
                                        f"%{{y:.3~r}}% of values per {unit}<extra></extra>")
        fig.update_layout(yaxis_title=f"% of values per {unit}")
    return fig


def period_ecdf(a: list[float], b: list[float], labels: tuple[str, str], unit: str, title: str,
                x_title: str) -> go.Figure:
    """:func:`compare_ecdf`, with an axis that says what is measured and plain tick labels."""
    fig = compare_ecdf(a, b, labels, unit, title)
    positive = [v for v in (*a, *b) if v > 0]
    fig.update_xaxes(title=f"{x_title} ({unit})")
    fig.update_layout(legend=dict(orientation="h", yref="container", y=0, yanchor="bottom"),
                      margin=dict(l=10, r=10, t=40, b=70))
    return log_ticks(fig, min(positive), max(positive)) if positive else fig


def dwell_ranges(frame: pl.DataFrame, unit: str = "s", title: str = "How long a visit to each app lasts",
                 top: int = 12, log_x: bool = True) -> go.Figure:
    """Per app (most total time on top): the middle half of its visits as a band
    (25th to 75th percentile), the median visit and the 90th percentile."""
    rows = frame.head(top).with_columns(pl.col("app").fill_null("(no app)")).reverse()
    apps = rows["app"].to_list()
    band_x, band_y = [], []
    for app, p25, p75 in rows.select("app", "p25_s", "p75_s").iter_rows():
        band_x += [p25, p75, None]
        band_y += [app, app, None]
    fig = go.Figure([
        go.Scatter(x=band_x, y=band_y, mode="lines", line=dict(color=OKABE_ITO[4], width=12),
                   name="middle half of visits", hoverinfo="skip"),
        go.Scatter(x=rows["p50_s"].to_list(), y=apps, mode="markers", name="median visit",
                   marker=dict(color=OKABE_ITO[0], size=12, symbol="diamond"), customdata=rows["visits"].to_list(),
                   hovertemplate=f"%{{y}}: median visit %{{x:,.3~r}} {unit} (%{{customdata:,}} visits)<extra></extra>"),
        go.Scatter(x=rows["p90_s"].to_list(), y=apps, mode="markers", name="90% of visits are shorter than",
                   marker=dict(color=OKABE_ITO[5], size=10, symbol="triangle-right"),
                   hovertemplate=f"%{{y}}: 90% of visits are shorter than %{{x:,.3~r}} {unit}<extra></extra>"),
    ])
    fig.update_xaxes(type="log" if log_x else "linear", title=f"length of one visit ({unit})")
    fig.update_yaxes(categoryorder="array", categoryarray=apps)
    layout(fig, height=max(260, 30 * len(apps) + 150), title=title, yaxis_title=None)
    fig.update_layout(legend=dict(orientation="h", yref="container", y=0, yanchor="bottom"),
                      margin=dict(l=10, r=10, t=40, b=80))
    ends = [v for v in (*rows["p25_s"].to_list(), *rows["p90_s"].to_list()) if v and v > 0]
    return log_ticks(fig, min(ends), max(ends)) if log_x and ends else fig


def bursts_per_day(frame: pl.DataFrame, title: str = "Typing bursts per day") -> go.Figure:
    """Bars of typing bursts per local day, with the day's mean typing speed."""
    days = frame["day"].to_list()
    fig = go.Figure([
        go.Bar(x=days, y=frame["bursts"].to_list(), name="typing bursts", marker_color=OKABE_ITO[0],
               hovertemplate="%{x|%a %d %b %Y}: %{y:,} bursts<extra></extra>"),
        go.Scatter(x=days, y=frame["mean_wpm"].to_list(), name="mean speed (words per minute)", yaxis="y2",
                   mode="lines+markers", line_color=OKABE_ITO[1],
                   hovertemplate="%{x|%a %d %b %Y}: %{y:.0f} words per minute<extra></extra>"),
    ])
    fig.update_layout(yaxis2=dict(overlaying="y", side="right", title="words per minute", rangemode="tozero",
                                  tickmode="auto", showgrid=False))
    # Two-line day labels stay level (plotly tilts long ones into the legend).
    fig.update_xaxes(tickformat="%a<br>%-d %b", dtick=86_400_000 if len(days) <= 16 else None)
    layout(fig, height=320, title=title, xaxis_title="day (local)", yaxis_title="typing bursts")
    return fig.update_layout(legend=dict(orientation="h", yref="container", y=0, yanchor="bottom"),
                             margin=dict(l=10, r=10, t=40, b=70))
