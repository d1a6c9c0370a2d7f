"""Charts of the Timeline and Workflow pages: days, hours, weeks, switches, routines."""

from __future__ import annotations

import datetime as dt
import math

import plotly.graph_objects as go
import polars as pl

from .base import OKABE_ITO, _layout

_DAY0 = dt.datetime(2000, 1, 1)  # every day row shares one x axis: local time of day on a dummy date
IDLE_COLOUR = "#999999"
OTHER_COLOUR = "#6B6B6B"
_APP_COLOURS = OKABE_ITO[:7]  # the grey is kept for idle time


def app_colours(apps, order: list[str] | None = None) -> dict[str, str]:
    """A colour per app in ``apps``: the first seven apps of ``order`` (say, all
    apps by time spent) get the palette's colours, every other app a grey. The
    same ``order`` gives an app the same colour in every chart, whichever apps
    a chart shows."""
    ranked = list(dict.fromkeys(order or [])) + sorted(set(apps) - set(order or []))
    position = {a: i for i, a in enumerate(ranked)}
    shown = set(apps)
    return {a: _APP_COLOURS[i] if i < len(_APP_COLOURS) else OTHER_COLOUR for a, i in position.items() if a in shown}


def _legend_on_top(fig: go.Figure, top: int = 80) -> go.Figure:
    """Legend between the title and the plot, where it cannot cover an axis title."""
    return fig.update_layout(legend=dict(orientation="h", x=0, xanchor="left", y=1.0, yanchor="bottom"),
                             title=dict(yref="container", y=1, yanchor="top", pad=dict(t=10)), margin=dict(t=top))


def _duration(seconds: float) -> str:
    """'40 s', '12 min', '2 h 05 min' (hover texts)."""
    if seconds < 59.5:
        return f"{seconds:.0f} s"
    h, m = divmod(round(seconds / 60), 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def _duration_text(column: str) -> pl.Expr:
    """:func:`_duration` as a polars expression, for many rows at once."""
    seconds, minutes = pl.col(column), (pl.col(column) / 60).round(0).cast(pl.Int64)
    return (pl.when(seconds < 59.5).then(seconds.round(0).cast(pl.Int64).cast(pl.String) + " s")
            .when(minutes < 60).then(minutes.cast(pl.String) + " min")
            .otherwise((minutes // 60).cast(pl.String) + " h " + (minutes % 60).cast(pl.String).str.zfill(2) + " min"))


def _rgba(colour: str, alpha: float) -> str:
    return f"rgba({int(colour[1:3], 16)},{int(colour[3:5], 16)},{int(colour[5:7], 16)},{alpha})"


def focus_states(timeline: pl.DataFrame) -> pl.DataFrame:
    """Focus spans from the `timeline` query cut into the pieces with input
    ('active') and without ('idle': the app was open but nobody used keyboard or
    mouse), as worker, app, state, local_start, local_stop. Time in neither was
    paused or not captured. A worker with no active span at all (an imported
    log without afk data) counts as active throughout."""
    columns = ["worker", "app", "state", "local_start", "local_stop"]
    focus = timeline.filter(pl.col("kind") == "focus", pl.col("local_stop") > pl.col("local_start"))
    active = timeline.filter(pl.col("kind") == "active").sort("local_start")
    if focus.is_empty() or active.is_empty():
        return focus.with_columns(state=pl.lit("active")).select(columns)
    lo, hi = focus["local_start"].min(), focus["local_stop"].max()
    pieces = []
    for (worker,), spans in focus.partition_by("worker", as_dict=True).items():
        a = active.filter(pl.col("worker") == worker)
        if a.is_empty():
            pieces.append(spans.with_columns(state=pl.lit("active")).select(columns))
            continue
        gaps = pl.DataFrame({
            "t0": pl.concat([pl.Series([lo], dtype=a["local_stop"].dtype), a["local_stop"]]),
            "t1": pl.concat([a["local_start"], pl.Series([hi], dtype=a["local_start"].dtype)]),
        }).with_columns(state=pl.lit("idle"))
        tiles = pl.concat([a.select(t0="local_start", t1="local_stop", state=pl.lit("active")), gaps])
        tiles = tiles.filter(pl.col("t1") > pl.col("t0"))
        overlap = spans.join_where(tiles, pl.col("local_start") < pl.col("t1"), pl.col("t0") < pl.col("local_stop"))
        pieces.append(overlap.with_columns(local_start=pl.max_horizontal("local_start", "t0"),
                                           local_stop=pl.min_horizontal("local_stop", "t1")).select(columns))
    return pl.concat(pieces).select(columns).sort("worker", "local_start")


def _by_day(pieces: pl.DataFrame) -> pl.DataFrame:
    """Pieces cut at local midnight, with their day and x0/x1: time of day on _DAY0."""
    midnight = pl.col("day").cast(pl.Datetime("us"))
    return (
        pieces.with_columns(day=pl.date_ranges(pl.col("local_start").dt.date(), pl.col("local_stop").dt.date()))
        .explode("day")
        .with_columns(
            x0=pl.max_horizontal("local_start", midnight) - midnight + pl.lit(_DAY0),
            x1=pl.min_horizontal("local_stop", midnight + pl.duration(days=1)) - midnight + pl.lit(_DAY0),
        )
        .filter(pl.col("x1") > pl.col("x0"))
        .with_columns(seconds=(pl.col("x1") - pl.col("x0")).dt.total_microseconds() / 1e6)
    )


def day_timeline(timeline: pl.DataFrame, order: list[str] | None = None,
                 title: str = "What had focus, and when you were active") -> go.Figure:
    """One row per local day (and worker, when there are several), local time
    of day across: a thick bar coloured by app while you were active in it, a
    thin grey bar while an app was open without input (idle), nothing while
    capture was paused or off. ``order`` ranks apps for the colours (the first
    seven get their own; later ones, and an app named 'other apps', are grey)."""
    pieces = _by_day(focus_states(timeline))
    several = pieces["worker"].n_unique() > 1
    pieces = pieces.with_columns(row=pl.col("day").dt.strftime("%a %d %b")
                                 + (pl.lit(" · ") + pl.col("worker") if several else pl.lit("")))
    rows = pieces.sort("day", "worker")["row"].unique(maintain_order=True).to_list()
    colours = {a: c for a, c in app_colours(set(pieces["app"].to_list()) - {"other apps"}, order).items()
               if c != OTHER_COLOUR}
    pieces = pieces.with_columns(
        trace=pl.when(pl.col("state") == "idle").then(pl.lit("idle"))
        .when(pl.col("app").is_in(list(colours))).then(pl.col("app")).otherwise(pl.lit("other apps")),
        text=pl.col("app") + pl.when(pl.col("state") == "idle").then(pl.lit(" open, no input (idle)"))
        .otherwise(pl.lit("")) + "<br>" + pl.col("x0").dt.strftime("%H:%M:%S") + "–"
        + pl.col("x1").dt.strftime("%H:%M:%S") + " (" + _duration_text("seconds") + ")",
    )
    fig = go.Figure()
    styles = [(app, colour, 0.7) for app, colour in colours.items()]
    styles += [("other apps", OTHER_COLOUR, 0.7), ("idle", IDLE_COLOUR, 0.22)]
    for name, colour, width in styles:
        part = pieces.filter(pl.col("trace") == name)
        if part.is_empty():
            continue
        fig.add_trace(go.Bar(
            base=part["x0"].to_list(), x=(part["seconds"] * 1000).to_list(), y=part["row"].to_list(),
            orientation="h", width=width, marker=dict(color=colour, line_width=0),
            name="idle: app open, no input" if name == "idle" else name,
            hovertext=part["text"].to_list(), hovertemplate="%{hovertext}<extra></extra>",
        ))
    fig.add_trace(go.Bar(x=[None], y=[None], name="blank: paused or not capturing", showlegend=True,
                         marker=dict(color="rgba(0,0,0,0)", line=dict(color=IDLE_COLOUR, width=1))))
    first = pieces["x0"].min() or _DAY0
    last = pieces["x1"].max() or _DAY0 + dt.timedelta(hours=24)
    hour = dt.timedelta(hours=1)
    span = [first.replace(minute=0, second=0, microsecond=0),
            min(last.replace(minute=0, second=0, microsecond=0) + hour, _DAY0 + 24 * hour)]
    fig.update_xaxes(type="date", tickformat="%H:%M", title="local time of day",
                     range=span, showgrid=True, gridcolor="rgba(128,128,128,0.25)")
    fig.update_yaxes(categoryorder="array", categoryarray=rows, autorange="reversed", fixedrange=True)
    _layout(fig, height=200 + 40 * max(len(rows), 1), barmode="overlay", title=title, yaxis_title=None, bargap=0.2)
    return _legend_on_top(fig, top=40 + 22 * math.ceil((len(colours) + 4) / 4))


def _per_hour(hourly: pl.DataFrame) -> pl.DataFrame:
    """Mean seconds per local hour of day (all 24) over the days in `hourly_activity` rows."""
    days = max(hourly["day"].n_unique(), 1)
    hours = pl.DataFrame({"hour_of_day": list(range(24))}, schema={"hour_of_day": hourly["hour_of_day"].dtype})
    return (hourly.group_by("hour_of_day").agg(pl.col("active_s", "idle_s", "switches").sum() / days)
            .join(hours, on="hour_of_day", how="right").fill_null(0).sort("hour_of_day"))


def hourly_profile(hourly: pl.DataFrame, usual: pl.DataFrame | None = None,
                   title: str = "Minutes per hour of day") -> go.Figure:
    """Active and idle minutes per local hour of day (mean over the days in
    ``hourly``, from `hourly_activity`), stacked; with ``usual`` (more days),
    their mean active minutes as a line to compare with."""
    h = _per_hour(hourly)
    label = [f"{x:02d}:00–{x + 1:02d}:00" for x in h["hour_of_day"]]
    fig = go.Figure([
        go.Bar(x=h["hour_of_day"].to_list(), y=(h["active_s"] / 60).to_list(), name="active",
               marker_color=OKABE_ITO[0], customdata=list(zip(label, h["switches"].to_list(), strict=True)),
               hovertemplate="%{customdata[0]}: %{y:.0f} min active, %{customdata[1]:.0f} app switches<extra></extra>"),
        go.Bar(x=h["hour_of_day"].to_list(), y=(h["idle_s"] / 60).to_list(), name="idle (app open, no input)",
               marker_color=IDLE_COLOUR, customdata=label,
               hovertemplate="%{customdata}: %{y:.0f} min idle<extra></extra>"),
    ])
    if usual is not None and not usual.is_empty():
        u = _per_hour(usual)
        fig.add_trace(go.Scatter(
            x=u["hour_of_day"].to_list(), y=(u["active_s"] / 60).to_list(), mode="lines+markers",
            name="active, mean of the days in range", line=dict(color=OKABE_ITO[1]), customdata=label,
            hovertemplate="%{customdata}: %{y:.0f} min active on a mean day<extra></extra>"))
    busy = [x for x, a, i in h.select("hour_of_day", "active_s", "idle_s").iter_rows() if a + i > 0]
    if usual is not None and not usual.is_empty():
        busy += usual.filter(pl.col("active_s") > 0)["hour_of_day"].to_list()
    lo, hi = (max(min(busy) - 1, 0), min(max(busy) + 1, 23)) if busy else (0, 23)
    fig.update_xaxes(tickmode="array", tickvals=list(range(24)), ticktext=[f"{x:02d}:00" for x in range(24)],
                     range=[lo - 0.5, hi + 0.5])
    _layout(fig, height=320, barmode="stack", title=title, xaxis_title="hour of day (local)",
            yaxis_title="minutes in the hour", yaxis_range=[0, 61])
    return _legend_on_top(fig)


def weekly_bars(weekly: pl.DataFrame, title: str = "Active hours per week") -> go.Figure:
    """Active hours per local week (from `weekly_trend`), with the days that had
    activity and the hours per such day on hover."""
    weekly = weekly.with_columns(pl.col("week").cast(pl.Datetime("us")))
    if not weekly.is_empty():  # weeks without activity show as zero, not as a missing bar
        weeks = pl.datetime_range(weekly["week"].min(), weekly["week"].max(), "1w", eager=True)
        weekly = pl.DataFrame({"week": weeks}).join(weekly, on="week", how="left").fill_null(0)
    per_day = (weekly["active_h"] / weekly["days"].clip(lower_bound=1)).to_list()
    labels = [f"{w:%d %b}" for w in weekly["week"].to_list()]
    fig = go.Figure(go.Bar(
        x=labels, y=weekly["active_h"].to_list(), marker_color=OKABE_ITO[0],
        text=[f"{d} day{'s' if d != 1 else ''}" for d in weekly["days"].to_list()], textposition="outside",
        customdata=list(zip(weekly["days"].to_list(), per_day, weekly["switches"].to_list(), strict=True)),
        hovertemplate="week of Mon %{x}: %{y:.1f} h active on %{customdata[0]} days "
                      "(%{customdata[1]:.1f} h a day), %{customdata[2]:,} app switches<extra></extra>",
    ))
    fig.update_traces(width=0.5 if weekly.height < 4 else None)
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[0, max(weekly["active_h"].max() or 1, 1) * 1.15])
    return _layout(fig, height=300, title=title, xaxis_title="week starting Monday (local)", yaxis_title="active hours")


def switch_flow(transitions: pl.DataFrame, top: int = 25, title: str = "App switches",
                order: list[str] | None = None) -> go.Figure:
    """The ``top`` most frequent switches (from `transitions`) as a Sankey
    diagram, from the app on the left to the app on the right. Links take the
    colour of the app switched from, translucent, so they show on light and
    dark backgrounds alike (plotly's default links are white on a transparent
    background, hence invisible on a light theme)."""
    t = transitions.sort("n", descending=True).head(top)
    sources, targets = sorted(set(t["src"].to_list())), sorted(set(t["dst"].to_list()))
    labels = sources + targets
    index = {("src", s): i for i, s in enumerate(sources)}
    index |= {("dst", d): len(sources) + i for i, d in enumerate(targets)}
    colours = app_colours(labels, order or _by_switches(t))
    fig = go.Figure(go.Sankey(
        node=dict(label=labels, pad=14, thickness=18, color=[colours[a] for a in labels], line_width=0,
                  customdata=["from"] * len(sources) + ["to"] * len(targets),
                  hovertemplate="%{value:,} switches %{customdata} %{label}<extra></extra>"),
        link=dict(
            source=[index["src", s] for s in t["src"].to_list()],
            target=[index["dst", d] for d in t["dst"].to_list()],
            value=t["n"].to_list(), color=[_rgba(colours[s], 0.4) for s in t["src"].to_list()],
            customdata=[(s, d, _duration(m)) for s, d, m in t.select("src", "dst", "median_s").iter_rows()],
            hovertemplate="%{customdata[0]} → %{customdata[1]}: %{value:,} switches, "
                          "after a median %{customdata[2]} in %{customdata[0]}<extra></extra>",
        ),
    ))
    return _layout(fig, height=max(360, 40 * max(len(sources), len(targets)) + 120), title=title)


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
                           arrowcolor=_rgba(colours[src], 0.75))
        hover_x.append((ax + bx) / 2)
        hover_y.append((ay + by) / 2)
        hover_text.append(f"{src} → {dst}: {n:,} switches, after a median {_duration(median_s)} in {src}")
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
    return _layout(fig, height=560, title=title)


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
    _layout(fig, height=max(260, 34 * wide.height + 130), barmode="group", title=title,
            xaxis_title="sessions", yaxis_title=None)
    return _legend_on_top(fig).update_layout(legend_traceorder="reversed")


def occurrences(frame: pl.DataFrame, title: str = "When it happened") -> go.Figure:
    """Each occurrence of a sequence (from `sequence_occurrences`) as a dot by
    local day and time of day, with how many started in each hour alongside."""
    from plotly.subplots import make_subplots

    local = frame["local_start"]
    tod = local - local.dt.truncate("1d") + _DAY0  # time of day on the dummy date
    by_hour = frame.group_by(hour=local.dt.hour()).len().sort("hour")
    fig = make_subplots(rows=1, cols=2, shared_yaxes=True, column_widths=[0.78, 0.22], horizontal_spacing=0.02)
    fig.add_trace(go.Scatter(
        x=local.dt.date().to_list(), y=tod.to_list(), mode="markers", name="one occurrence",
        marker=dict(color=OKABE_ITO[0], size=7, opacity=0.55, line_width=0),
        customdata=[_duration(s) for s in frame["seconds"].to_list()],
        hovertemplate="%{x|%a %d %b} %{y|%H:%M}, took %{customdata}<extra></extra>",
    ), row=1, col=1)
    fig.add_trace(go.Bar(
        y=[_DAY0 + dt.timedelta(hours=h, minutes=30) for h in by_hour["hour"].to_list()], x=by_hour["len"].to_list(),
        orientation="h", width=3_300_000, marker_color=OKABE_ITO[1], name="per hour",
        customdata=[f"{h:02d}:00–{h + 1:02d}:00" for h in by_hour["hour"].to_list()],
        hovertemplate="%{customdata}: %{x} times<extra></extra>",
    ), row=1, col=2)
    fig.update_yaxes(type="date", tickformat="%H:%M", autorange="reversed", row=1, col=1,
                     title="local time of day")
    days = local.dt.date().n_unique()
    fig.update_xaxes(title="day (local)", tickformat="%a %d %b", row=1, col=1, dtick=86_400_000 if days <= 10 else None)
    fig.update_xaxes(title="times per hour", row=1, col=2)
    return _layout(fig, height=380, title=title, showlegend=False)
