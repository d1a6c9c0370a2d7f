"""Explore (researchers): consented, pseudonymized data. Not built yet."""

import streamlit as st

from dashboard import frame, ui

frame.enter()

st.title("Explore")
st.markdown(
    "Researchers will explore **consented, pseudonymized** data here interactively. Until that exists, "
    "every figure in this dashboard can be reproduced from the command line with the same named queries: "
    "`python -m queries list`, then `python -m queries run NAME --format csv|json|parquet`."
)
ui.empty("Research exploration is not available yet.")
