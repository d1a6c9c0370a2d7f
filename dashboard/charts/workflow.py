"""Charts of the Workflow page: switches between apps, where sessions start and
end, and when a routine happened."""

from __future__ import annotations

import datetime as dt
import math

import plotly.graph_objects as go
import polars as pl

from .style import DAY0, OKABE_ITO, app_colours, day_format, duration, layout, legend_on_top, rgba

LABEL_ON_LIGHT, LABEL_ON_DARK = "#1B1C22", "#F4F4F6"  # Sankey labels: near black, near white


def switch_flow(transitions: pl.DataFrame, top: int = 25, title: str = "App switches",
                order: list[str] | None = None, dark: bool = False) -> go.Figure:
    """The ``top`` most frequent switches (from `transitions`) as a Sankey
    diagram, from the app on the left to the app on the right. Links take the
    colour of the app switched from, translucent, so they show on light and
    dark backgrounds alike (plotly's default links are white on a transparent
    background, hence invisible on a light theme). Labels are in the theme's
    strongest text colour (``dark``: the dark theme), bold and without plotly's
    halo, which greyed them over the bands."""
    t = transitions.sort("n", descending=True).head(top)
    sources, targets = sorted(set(t["src"].to_list())), sorted(set(t["dst"].to_list()))
    labels = sources + targets
    index = {("src", s): i for i, s in enumerate(sources)}
    index |= {("dst", d): len(sources) + i for i, d in enumerate(targets)}
    colours = app_colours(labels, order or _by_switches(t))
    fig = go.Figure(go.Sankey(
        textfont=dict(size=13, weight=600, shadow="none", color=LABEL_ON_DARK if dark else LABEL_ON_LIGHT),
        node=dict(label=labels, pad=14, thickness=18, color=[colours[a] for a in labels], line_width=0,
                  customdata=["from"] * len(sources) + ["to"] * len(targets),
                  hovertemplate="%{value:,} switches %{customdata} %{label}<extra></extra>"),
        link=dict(
            source=[index["src", s] for s in t["src"].to_list()],
            target=[index["dst", d] for d in t["dst"].to_list()],
            value=t["n"].to_list(), color=[rgba(colours[s], 0.4) for s in t["src"].to_list()],
            customdata=[(s, d, duration(m)) for s, d, m in t.select("src", "dst", "median_s").iter_rows()],
            hovertemplate="%{customdata[0]} → %{customdata[1]}: %{value:,} switches, "
                          "after a median %{customdata[2]} in %{customdata[0]}<extra></extra>",
        ),
    ))
    return layout(fig, height=max(360, 40 * max(len(sources), len(targets)) + 120), title=title)


def _by_switches(transitions: pl.DataFrame) -> list[str]:
    """Apps by how many switches they are part of, most first."""
    both = pl.concat([transitions.select(app="src", n="n"), transitions.select(app="dst", n="n")])
    return both.group_by("app").agg(pl.col("n").sum()).sort("n", "app", descending=[True, False])["app"].to_list()


def follows_graph(transitions: pl.DataFrame, min_n: int = 1, title: str = "Directly-follows graph",
                  order: list[str] | None = None) -> go.Figure:
    """Apps on a circle (dot size: switches in and out), an arrow per switch
    seen at least ``min_n`` times, coloured like the app switched from and as
    wide as it is frequent. The two directions between a pair of apps run side
    by side, so each can be seen and hovered."""
    t = transitions.filter(pl.col("n") >= min_n, pl.col("src") != pl.col("dst"))
    apps = sorted(set(t["src"].to_list()) | set(t["dst"].to_list()))
    colours = app_colours(apps, order or _by_switches(transitions))
    angle = {a: math.pi / 2 - 2 * math.pi * i / max(len(apps), 1) for i, a in enumerate(apps)}
    pos = {a: (math.cos(angle[a]), math.sin(angle[a])) for a in apps}
    peak = max(t["n"].to_list(), default=1)
    fig = go.Figure()
    hover_x, hover_y, hover_text = [], [], []
    for src, dst, n, median_s in t.select("src", "dst", "n", "median_s").iter_rows():
        (x0, y0), (x1, y1) = pos[src], pos[dst]
        length = math.hypot(x1 - x0, y1 - y0) or 1
        ox, oy = 0.035 * (y1 - y0) / length, -0.035 * (x1 - x0) / length  # to the right of travel
        cut = 0.13 / length  # stop short of the dots
        ax, ay = x0 + (x1 - x0) * cut + ox, y0 + (y1 - y0) * cut + oy
        bx, by = x1 - (x1 - x0) * cut + ox, y1 - (y1 - y0) * cut + oy
        width = 1 + 7 * n / peak
        fig.add_annotation(x=bx, y=by, ax=ax, ay=ay, xref="x", yref="y", axref="x", ayref="y", showarrow=True,
                           arrowhead=2, arrowwidth=width, arrowsize=min(1.6, 4 / width),
                           arrowcolor=rgba(colours[src], 0.75))
        hover_x.append((ax + bx) / 2)
        hover_y.append((ay + by) / 2)
        hover_text.append(f"{src} → {dst}: {n:,} switches, after a median {duration(median_s)} in {src}")
    fig.add_trace(go.Scatter(x=hover_x, y=hover_y, mode="markers", marker=dict(size=14, opacity=0),
                             hovertext=hover_text, hovertemplate="%{hovertext}<extra></extra>", showlegend=False))
    touches = {a: 0 for a in apps}
    for src, dst, n in t.select("src", "dst", "n").iter_rows():
        touches[src] += n
        touches[dst] += n
    big = max(touches.values(), default=1)
    fig.add_trace(go.Scatter(
        x=[pos[a][0] for a in apps], y=[pos[a][1] for a in apps], mode="markers+text", text=apps,
        textposition=["top center" if pos[a][1] >= -0.01 else "bottom center" for a in apps],
        marker=dict(size=[14 + 22 * math.sqrt(touches[a] / big) for a in apps], color=[colours[a] for a in apps]),
        customdata=[touches[a] for a in apps], showlegend=False,
        hovertemplate="%{text}: %{customdata:,} switches in and out (shown)<extra></extra>",
    ))
    fig.update_xaxes(visible=False, range=[-1.45, 1.45])
    fig.update_yaxes(visible=False, range=[-1.3, 1.3], scaleanchor="x")
    return layout(fig, height=560, title=title)


def start_end_bars(frame: pl.DataFrame, top: int = 8, title: str = "Where sessions start and end") -> go.Figure:
    """Sessions started and ended in each app (from `start_end_activities`), side by side."""
    wide = frame.pivot("role", index="app", values="n").fill_null(0)
    for role in ("start", "end"):
        if role not in wide.columns:
            wide = wide.with_columns(pl.lit(0).alias(role))
    wide = wide.with_columns(total=pl.col("start") + pl.col("end")).sort("total", descending=True).head(top).reverse()
    fig = go.Figure([
        go.Bar(y=wide["app"].to_list(), x=wide[role].to_list(), orientation="h", name=name, marker_color=colour,
               hovertemplate=f"%{{x}} sessions {verb} in %{{y}}<extra></extra>")
        for role, name, verb, colour in (("end", "last app", "ended", OKABE_ITO[5]),
                                          ("start", "first app", "started", OKABE_ITO[2]))
    ])
    layout(fig, height=max(260, 34 * wide.height + 130), barmode="group", title=title,
           xaxis_title="sessions", yaxis_title=None)
    return legend_on_top(fig).update_layout(legend_traceorder="reversed")


def occurrences(frame: pl.DataFrame, title: str = "When it happened") -> go.Figure:
    """Each occurrence of a sequence (from `sequence_occurrences`) as a dot by
    local day and time of day, with how many started in each hour alongside."""
    from plotly.subplots import make_subplots

    local = frame["local_start"]
    tod = local - local.dt.truncate("1d") + DAY0  # time of day on the dummy date
    by_hour = frame.group_by(hour=local.dt.hour()).len().sort("hour")
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.78, 0.22], horizontal_spacing=0.02)
    fig.add_trace(go.Scatter(
        x=local.dt.date().to_list(), y=tod.to_list(), mode="markers", name="one occurrence",
        marker=dict(color=OKABE_ITO[0], size=7, opacity=0.55, line_width=0),
        customdata=[duration(s) for s in frame["seconds"].to_list()],
        hovertemplate="%{x|%a %d %b %Y} %{y|%H:%M}, took %{customdata}<extra></extra>",
    ), row=1, col=1)
    fig.add_trace(go.Bar(
        y=[DAY0 + dt.timedelta(hours=h, minutes=30) for h in by_hour["hour"].to_list()], x=by_hour["len"].to_list(),
        orientation="h", width=3_300_000, marker_color=OKABE_ITO[1], name="per hour",
        customdata=[f"{h:02d}:00–{h + 1:02d}:00" for h in by_hour["hour"].to_list()],
        hovertemplate="%{customdata}: %{x} times<extra></extra>",
    ), row=1, col=2)
    fig.update_yaxes(type="date", tickformat="%H:%M", autorange="reversed", row=1, col=1,
                     title="local time of day")
    days = local.dt.date().n_unique()
    fig.update_xaxes(title="day (local)", tickformat=day_format(local.min(), local.max()), row=1, col=1,
                     dtick=86_400_000 if days <= 10 else None)
    fig.update_xaxes(title="times per hour", row=1, col=2)
    return layout(fig, height=380, title=title, showlegend=False)
