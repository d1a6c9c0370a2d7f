"""Explore (researchers): consented, pseudonymized study data, every result over at least k people."""

import datetime as dt

import streamlit as st

from dashboard import frame, researchdata, ui
from dashboard.charts import explore as charts

frame.enter()

NO_PERSON = ("Every result covers **at least k people** of the study; a group from fewer is left out. There are "
             "no per-person rows: people appear only as pseudonyms inside the study, which join nothing outside "
             "it. Every read is written to the access log of each person it covers, which they see.")
SQL_RULES = ("One `SELECT` over the tables below, which must aggregate (`GROUP BY`, or a total): each row it returns "
             "must cover at least k people, and rows that do not are left out. Functions that return one person's "
             "value (`min`, `max`, `list`, `first`, ...) and anything beyond reading these tables (files, "
             "`ATTACH`, `COPY`, `SET`, other tables) are refused. A query may run 10 s and return 10,000 rows.")
READ_ERRORS = (ValueError, PermissionError, LookupError, researchdata.ResearchUnavailable)


def show_error(exc: Exception) -> None:
    st.error(str(exc), icon=":material/block:")


def span_picker(label: str, default: tuple[dt.date, dt.date], key: str) -> tuple[dt.date, dt.date] | None:
    picked = st.date_input(label, value=default, min_value=choices.first, max_value=choices.last, key=key)
    if not isinstance(picked, (tuple, list)) or len(picked) != 2:
        ui.empty("Pick the last day too.")
        return None
    return picked[0], picked[1]


SHORT_WEEKDAYS = {"every day": "Every day", "Monday to Friday": "Mon–Fri", "Saturday and Sunday": "Sat–Sun"}


def weekday_picker(label: str, key: str, default: str = "every day", narrow: bool = False) -> tuple[int, int]:
    """Buttons across the page; a drop-down where two pickers sit side by side (buttons were cut off at 800 px)."""
    names = list(researchdata.WEEKDAYS)
    if narrow:
        chosen = st.selectbox(label, names, index=names.index(default), key=key,
                              format_func=lambda n: SHORT_WEEKDAYS.get(n, n))
    else:
        chosen = st.segmented_control(label, names, default=default, key=key,
                                      format_func=lambda n: SHORT_WEEKDAYS.get(n, n)) or default
    return researchdata.WEEKDAYS[chosen]


def pick_for(measure, key: str):
    """The category or bin a share measure is narrowed to (None: all)."""
    if "category" in measure.filters:
        return "category", st.selectbox("Category", choices.categories, index=None, key=key,
                                        placeholder="all categories",
                                        help="Only categories at least k people of the study used are offered.")
    if "bin" in measure.filters:
        bins = researchdata.bins(measure)
        return "bin", st.selectbox("Bin", bins, index=None, key=key, placeholder="all bins")
    return None, None


def download(name: str, make, mime: str, key: str) -> None:
    """A download made when clicked (each export is logged as a read of its own), never at render time."""
    label = {"csv": "CSV", "parquet": "Parquet"}[name.rsplit(".", 1)[1]]
    st.download_button(label, make, name, mime, key=key, icon=":material/download:", width="content",
                       on_click="ignore")


def result_table(result) -> None:
    """The rows as read, with their units: dates as dates, shares as percentages, people as a count."""
    config = {key: st.column_config.DateColumn(charts.key_label(key), format="D MMM YYYY")
              for key in result.by if key in charts.TIME_KEYS}
    config |= {key: st.column_config.Column(charts.key_label(key)) for key in result.by if key not in config}
    share = "share" in result.unit
    config["value"] = st.column_config.NumberColumn(result.unit, format="percent" if share else "%.2f")
    config["persons"] = st.column_config.NumberColumn("people", help="How many people the row covers (never who)")
    st.dataframe(result.frame, hide_index=True, column_config=config)


st.title("Explore")
try:
    src = researchdata.source()
    found = researchdata.studies(src)
except READ_ERRORS as exc:
    ui.empty(str(exc))
    st.stop()
if src.demo:
    st.warning("**Demo data**: a generated study of made-up people, no real person's work. This is exactly what a "
               "researcher of this study would see on the team server.", icon=":material/science:")
st.caption(f"Showing {src.who}. {NO_PERSON}"
           + (" The sidebar's dates and filters are for your own data, not this page." if src.demo else ""))
if not found:
    ui.empty("No study you may read is in the team store yet.")
    st.stop()

by_id = {s.id: s for s in found}
study = by_id[st.selectbox("Study", list(by_id), format_func=lambda i: f"{by_id[i].name} ({i})", key="ex_study")]
measures = {m.name: m for m in researchdata.options(study).measures}
st.markdown(f"**{study.name}**: {study.purpose}\n\n"
            f"Researcher: {study.researcher}. Releases until {study.ends:%d %b %Y}. Every result covers at least "
            f"k = {study.k} people. Asked for: {', '.join(study.measures)}.")
try:
    with st.spinner("Reading the study's releases (new ones are taken into its ledger first)..."):
        choices = researchdata.choices(src, study.id)
except READ_ERRORS as exc:
    show_error(exc)
    st.stop()
if choices.first is None:
    ui.empty("This study has received no releases yet.")
    st.stop()
whole = (choices.first, choices.last)
explore_tab, compare_tab, sql_tab = st.tabs(["Explore", "Compare", "SQL"])

with explore_tab:
    m = measures[st.selectbox("Measure", list(measures), format_func=lambda n: researchdata.measure_label(measures[n]),
                              key="ex_measure")]
    left, right = st.columns(2)
    first_key = left.selectbox("Group by", [None, *m.keys], index=1, key="ex_by",
                               format_func=lambda k: "nothing (one figure)" if k is None else charts.key_label(k))
    second = [k for k in m.keys if k != first_key] if first_key else []
    second_key = right.selectbox("Split by", [None, *second], key="ex_by2", disabled=not second,
                                 format_func=lambda k: "nothing" if k is None else charts.key_label(k))
    by = tuple(k for k in (first_key, second_key) if k)
    span = span_picker("Days (each person's local days)", whole, "ex_days")
    weekdays = weekday_picker("Weekdays", "ex_weekdays")
    pick_name, pick = pick_for(m, "ex_pick")
    if span:
        filters = researchdata.Filters(first=span[0], last=span[1], weekdays=weekdays, **({pick_name: pick} if pick_name else {}))
        try:
            result = researchdata.read(src, study.id, m.name, by, filters, sync=False)  # choices() just synced
        except READ_ERRORS + (researchdata.LogRefused,) as exc:
            show_error(exc)
        else:
            st.plotly_chart(charts.result_chart(result.frame, result.by, result.unit, researchdata.measure_label(m),
                                                result.suppressed, result.k), key="ex-chart")
            st.caption(result.note)
            result_table(result)
            stem = f"workprint-{study.id}-{m.name}{'-by-' + '-'.join(by) if by else ''}{'-demo' if src.demo else ''}"
            with st.container(horizontal=True):
                download(f"{stem}.csv", lambda: researchdata.export(result, "csv"), "text/csv", "ex-csv")
                download(f"{stem}.parquet", lambda: researchdata.export(result, "parquet"), "application/octet-stream",
                         "ex-parquet")

with compare_tab:
    st.markdown("Compare two groups of days (two periods, or weekdays against weekends) on one measure, per person: "
                "each person's own figure on each side, in plain words. Each side must cover at least k people.")
    # A form: a comparison is a read logged for everyone it covers, so it runs when asked, not on every rerun.
    with st.form("compare_form"):
        cm = measures[st.selectbox("Measure", list(measures), key="cmp_measure",
                                   format_func=lambda n: researchdata.measure_label(measures[n]))]
        pick_name, pick = pick_for(cm, "cmp_pick")
        middle = choices.first + (choices.last - choices.first) / 2
        a_col, b_col = st.columns(2)
        with a_col:
            a_span = span_picker("A: days", (choices.first, middle), "cmp_a_days")
            a_days = weekday_picker("A: weekdays", "cmp_a_weekdays", narrow=True)
        with b_col:
            b_span = span_picker("B: days", (min(middle + dt.timedelta(days=1), choices.last), choices.last),
                                 "cmp_b_days")
            b_days = weekday_picker("B: weekdays", "cmp_b_weekdays", narrow=True)
        asked = st.form_submit_button("Compare", icon=":material/compare_arrows:")
    names = {v: k for k, v in researchdata.WEEKDAYS.items()}
    if asked and a_span and b_span:
        sides = [researchdata.Filters(first=s[0], last=s[1], weekdays=d, **({pick_name: pick} if pick_name else {}))
                 for s, d in ((a_span, a_days), (b_span, b_days))]
        labels = [f"{side} ({s[0]:%-d %b} to {s[1]:%-d %b %Y}{'' if d == (1, 7) else ', ' + names[d]})"
                  for side, s, d in (("A", a_span, a_days), ("B", b_span, b_days))]
        try:
            st.session_state["compared"] = (study.id, researchdata.compare(
                src, study.id, cm.name, sides[0], sides[1], labels[0], labels[1], sync=False))
        except READ_ERRORS + (researchdata.LogRefused,) as exc:
            st.session_state.pop("compared", None)
            show_error(exc)
    kept_comparison = st.session_state.get("compared")
    if kept_comparison and kept_comparison[0] == study.id:
        compared = kept_comparison[1]
        st.markdown(compared.sentence)
        c = compared.comparison
        for place, (label, value) in zip(ui.metric_row(4), (
                ("A: median per person", f"{c.median_a:,.3g}"), ("B: median per person", f"{c.median_b:,.3g}"),
                ("Cliff's delta", f"{c.cliffs_delta:+.2f} ({c.magnitude})"), ("people", f"{c.n_a} / {c.n_b}"))):
            place.metric(label, value)
        st.caption("A median of an odd number of people is one person's own figure: with few people, read the "
                   "difference (Cliff's delta), not the medians. The two sides are compared as separate groups, "
                   "even where the same people are on both.")

with sql_tab:
    st.markdown(SQL_RULES)
    tables = researchdata.tables(study)
    with st.expander("The tables this study's SQL can read", icon=":material/table:"):
        for table in tables:
            st.markdown(f"**`{table.name}`**: {table.meaning}.")
            st.dataframe([{"column": f.name, "type": f.sql_type, "meaning": f.meaning} for f in table.fields],
                         hide_index=True)
    example = ("SELECT weekday, avg(active_minutes) AS minutes, count(*) AS person_days\nFROM days\n"
               "GROUP BY weekday\nORDER BY weekday" if "activity" in study.measures else
               "SELECT week, count(*) AS person_days\nFROM days\nGROUP BY week\nORDER BY week")
    with st.form("sql_form"):
        text = st.text_area("SQL (read-only)", example, height=160, key="sql_text")
        ran = st.form_submit_button("Run", icon=":material/play_arrow:")
    if ran:
        try:
            st.session_state["sql_result"] = (study.id, text, researchdata.sql(src, study.id, text))
        except READ_ERRORS + (researchdata.LogRefused,) as exc:
            st.session_state.pop("sql_result", None)
            show_error(exc)
    kept = st.session_state.get("sql_result")
    if kept and kept[0] == study.id:
        answer = kept[2]
        st.caption(f"{answer.frame.height:,} row(s) over at least k = {answer.k} people"
                   f"{'; the first ' + format(answer.frame.height, ',') + ' only' if answer.truncated else ''}; "
                   f"{answer.suppressed:,} row(s) from fewer left out. Logged in {answer.persons:,} people's access "
                   "logs.")
        st.dataframe(answer.frame, hide_index=True)
        download(f"workprint-{study.id}-sql{'-demo' if src.demo else ''}.csv",
                 lambda: researchdata.sql_export(src, answer), "text/csv", "sql-csv")
