"""Team (managers): aggregated views only. Not built yet, and never individual."""

import streamlit as st

from dashboard import frame, ui

frame.enter()

st.title("Team")
st.markdown(
    "Managers will see **only aggregated team views** here: totals and distributions over a whole team, "
    "released by the workers' consent, with minimum group sizes and noise so that no one person can be picked out. "
    "There will be no per-person figures and no rankings."
)
ui.empty("Team views are not available yet. This page never shows data about an individual worker: "
         "individual activity is visible only to the worker it belongs to, on the other pages.")
