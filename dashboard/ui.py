"""Small UI pieces every page uses: a chart with its data to download, empty states."""

from __future__ import annotations

import io
import re

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from .charts import style


def chart(fig: go.Figure, frame: pl.DataFrame, name: str, key: str | None = None) -> None:
    """Show a chart, with the data behind it as CSV and Parquet downloads."""
    st.plotly_chart(fig, width="stretch", key=key or f"chart-{name}", config={"displaylogo": False})
    downloads(frame, name)


def dark_theme() -> bool:
    """True when the browser shows Streamlit's dark theme (for the few colours a chart cannot leave to it)."""
    return getattr(st.context.theme, "type", None) == "dark"


def safe_csv(frame: pl.DataFrame) -> bytes:
    """The frame as CSV, with every text cell that a spreadsheet would run as a
    formula (=, +, -, @, tab or CR first: an app name or title can be anything)
    prefixed with a quote, as OWASP advises against CSV injection."""
    texts = [c for c, dtype in frame.schema.items() if dtype == pl.String]
    guarded = frame.with_columns(
        pl.when(pl.col(c).str.contains(r"^[=+\-@\t\r]")).then("'" + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in texts
    )
    return guarded.write_csv().encode()


# Decimals a download keeps, by column: seconds to the tenth, derived hours and minutes to match.
DECIMALS = {"hours": 3, "minutes": 2, "total": 3, "each": 3, "share": 4}


def rounded(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame as downloaded: seconds (`seconds`, `*_s`) to 0.1 s, hours, minutes and shares
    to a matching precision; the sums of float seconds were like 3704.000000000582."""
    def decimals(name: str) -> int | None:
        return 1 if name == "seconds" or name.endswith("_s") else DECIMALS.get(name)

    return frame.with_columns(pl.col(c).round(decimals(c)) for c, dtype in frame.schema.items()
                              if dtype.is_float() and decimals(c) is not None)


def file_stem(name: str) -> str:
    """'workprint-app_time-2026-11-23-to-2026-11-27-w01': what, which dates and whose (a
    demo worker), so that downloads from different views do not all say 'app_time.csv'."""
    from . import frame as frame_  # the sidebar's choice on this run

    ctx = frame_.current()
    if ctx is None:
        return f"workprint-{name}"
    dates = f"{ctx.start_day:%Y-%m-%d}" + (f"-to-{ctx.end_day:%Y-%m-%d}" if ctx.days > 1 else "")
    who = f"-{ctx.source.worker}" if ctx.source.worker else ("-demo" if ctx.source.demo else "")
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"workprint-{name}-{dates}{who}")


def downloads(frame: pl.DataFrame, name: str) -> None:
    frame = rounded(frame)
    stem = file_stem(name)
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    with st.container(horizontal=True):
        st.download_button("CSV", safe_csv(frame), f"{stem}.csv", "text/csv",
                           key=f"csv-{name}", icon=":material/download:", width="content")
        st.download_button("Parquet", buffer.getvalue(), f"{stem}.parquet", "application/octet-stream",
                           key=f"parquet-{name}", icon=":material/download:", width="content")


def metric_row(n: int) -> list:
    """``n`` places for metrics side by side, each as wide as its text, that wrap onto
    the next line when the window is narrow: in equal columns an 800 px window cut
    values and labels ("7 h 2...", "App switches p...")."""
    row = st.container(horizontal=True, wrap=True, gap="large")
    return [row.container(width="content") for _ in range(n)]


def demo_banner() -> None:
    """Shown at the top of every page while the data is generated demo data."""
    st.warning("You are looking at **demo data**: generated workers, not anyone's real activity. "
               "Switch to your own data in the sidebar.", icon=":material/science:")


def empty(message: str) -> None:
    """Say there is nothing to show, and what to do about it."""
    st.info(message, icon=":material/info:")


def hours(seconds: float | None) -> str:
    """'3 h 25 min' (or '25 min', '40 s'; '3 days 4 h' from 2 days, '13.1 years' from 2 years:
    an event log over years gave '876048 h 00 min'); '0 min' for none (style.duration)."""
    return style.duration(float(seconds)) if seconds else "0 min"

