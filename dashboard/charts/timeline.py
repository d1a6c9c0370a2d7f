"""Charts of the Timeline page: the day(s) as focus intervals, idle and pauses;
the hours of a day; the week by hour; weeks compared."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import polars as pl

from .style import DAY0, IDLE_COLOUR, OKABE_ITO, OTHER_COLOUR, WEEKDAYS, app_colours, duration_text, layout, legend_on_top


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
    """Pieces cut at local midnight, with their day and x0/x1: time of day on DAY0."""
    midnight = pl.col("day").cast(pl.Datetime("us"))
    return (
        pieces.with_columns(day=pl.date_ranges(pl.col("local_start").dt.date(), pl.col("local_stop").dt.date()))
        .explode("day")
        .with_columns(
            x0=pl.max_horizontal("local_start", midnight) - midnight + pl.lit(DAY0),
            x1=pl.min_horizontal("local_stop", midnight + pl.duration(days=1)) - midnight + pl.lit(DAY0),
        )
        .filter(pl.col("x1") > pl.col("x0"))
        .with_columns(seconds=(pl.col("x1") - pl.col("x0")).dt.total_microseconds() / 1e6)
    )


NAMED_APPS = 9  # apps named in the timeline's legend; the rest are 'other apps'


def day_timeline(timeline: pl.DataFrame, order: list[str] | None = None,
                 title: str = "What had focus, and when you were active", known: bool = True) -> go.Figure:
    """One row per local day (and worker, when there are several), local time
    of day across: a thick bar coloured by app while you were active in it, a
    thin grey bar while an app was open without input (idle), nothing while
    capture was paused or off. The NAMED_APPS apps with most time here are
    named in the legend, in their colour from ``order`` (style.app_colours);
    the others, and an app named 'other apps', are grey 'other apps'. With
    ``known=False`` (a source without input or AFK data) every focus piece is
    drawn as the app in front, never as idle."""
    pieces = _by_day(focus_states(timeline))
    if not known:
        pieces = pieces.with_columns(state=pl.lit("in front"))
    several = pieces["worker"].n_unique() > 1
    years = pieces["day"].dt.year().n_unique() > 1  # then every row says its year
    pieces = pieces.with_columns(row=pl.col("day").dt.strftime("%a %d %b %Y" if years else "%a %d %b")
                                 + (pl.lit(" · ") + pl.col("worker") if several else pl.lit("")))
    rows = pieces.sort("day", "worker")["row"].unique(maintain_order=True).to_list()
    ranked = (pieces.filter(pl.col("app") != "other apps").group_by("app").agg(pl.col("seconds").sum())
              .sort("seconds", "app", descending=[True, False])["app"].head(NAMED_APPS).to_list())
    colours = app_colours(ranked, order)
    colours = {a: colours[a] for a in ranked}
    pieces = pieces.with_columns(
        trace=pl.when(pl.col("state") == "idle").then(pl.lit("idle"))
        .when(pl.col("app").is_in(list(colours))).then(pl.col("app")).otherwise(pl.lit("other apps")),
        text=pl.col("app") + pl.when(pl.col("state") == "idle").then(pl.lit(" open, no input (idle)"))
        .otherwise(pl.lit("")) + "<br>" + pl.col("x0").dt.strftime("%H:%M:%S") + "–"
        + pl.col("x1").dt.strftime("%H:%M:%S") + " (" + duration_text("seconds") + ")",
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
            name="idle (no input)" if name == "idle" else name,
            hovertext=part["text"].to_list(), hovertemplate="%{hovertext}<extra></extra>",
        ))
    fig.add_trace(go.Bar(x=[None], y=[None], name="blank: paused, off", showlegend=True,
                         marker=dict(color="rgba(0,0,0,0)", line=dict(color=IDLE_COLOUR, width=1))))
    first = pieces["x0"].min() or DAY0
    last = pieces["x1"].max() or DAY0 + dt.timedelta(hours=24)
    hour = dt.timedelta(hours=1)
    span = [first.replace(minute=0, second=0, microsecond=0),
            min(last.replace(minute=0, second=0, microsecond=0) + hour, DAY0 + 24 * hour)]
    fig.update_xaxes(type="date", tickformat="%H:%M", title="local time of day",
                     range=span, showgrid=True, gridcolor="rgba(128,128,128,0.25)")
    fig.update_yaxes(categoryorder="array", categoryarray=rows, autorange="reversed", fixedrange=True)
    layout(fig, height=200 + 40 * max(len(rows), 1), barmode="overlay", title=title, yaxis_title=None, bargap=0.2)
    return legend_on_top(fig, columns=3)


def _per_hour(hourly: pl.DataFrame) -> pl.DataFrame:
    """Mean seconds per local hour of day (all 24) over the days in `hourly_activity` rows."""
    days = max(hourly["day"].n_unique(), 1)
    hours = pl.DataFrame({"hour_of_day": list(range(24))}, schema={"hour_of_day": hourly["hour_of_day"].dtype})
    return (hourly.group_by("hour_of_day").agg(pl.col("active_s", "idle_s", "switches").sum() / days)
            .join(hours, on="hour_of_day", how="right").fill_null(0).sort("hour_of_day"))


def hourly_profile(hourly: pl.DataFrame, usual: pl.DataFrame | None = None,
                   title: str = "Minutes per hour of day", known: bool = True) -> go.Figure:
    """Active and idle minutes per local hour of day (mean over the days in
    ``hourly``, from `hourly_activity`), stacked; with ``usual`` (more days),
    their mean active minutes as a line to compare with. With ``known=False``
    (no input or AFK data) one bar: minutes with an app in front."""
    h = _per_hour(hourly)
    label = [f"{x:02d}:00–{x + 1:02d}:00" for x in h["hour_of_day"]]
    if not known:
        h = h.with_columns(active_s=pl.col("active_s") + pl.col("idle_s"), idle_s=pl.lit(0.0))
        usual = None
    fig = go.Figure([
        go.Bar(x=h["hour_of_day"].to_list(), y=(h["active_s"] / 60).to_list(),
               name="active" if known else "an app in front (activity unknown)",
               marker_color=OKABE_ITO[0] if known else OKABE_ITO[4],
               customdata=list(zip(label, h["switches"].to_list(), strict=True)),
               hovertemplate="%{customdata[0]}: %{y:.0f} min " + ("active" if known else "in front")
               + ", %{customdata[1]:.0f} app switches<extra></extra>"),
    ] + ([go.Bar(x=h["hour_of_day"].to_list(), y=(h["idle_s"] / 60).to_list(), name="idle (app open, no input)",
                 marker_color=IDLE_COLOUR, customdata=label,
                 hovertemplate="%{customdata}: %{y:.0f} min idle<extra></extra>")] if known else []))
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
    # Two-digit hours: "07:00 08:00 ..." ran together in a narrow window.
    fig.update_xaxes(tickmode="array", tickvals=list(range(24)), ticktext=[f"{x:02d}" for x in range(24)],
                     range=[lo - 0.5, hi + 0.5])
    layout(fig, height=320, barmode="stack", title=title, xaxis_title="hour of day (local)",
           yaxis_title="minutes in the hour", yaxis_range=[0, 61])
    return legend_on_top(fig)


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
    return layout(fig, height=300, title=title, xaxis_title="hour of day (local)", yaxis_title=None)


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
    return layout(fig, height=300, title=title, xaxis_title="week starting Monday (local)", yaxis_title="active hours")
