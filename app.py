"""Workprint dashboard: `streamlit run app.py`."""

import streamlit as st

st.set_page_config(page_title="Workprint", page_icon=":material/timeline:", layout="wide")
st.navigation([st.Page("pages/overview.py", title="Overview", icon=":material/today:", default=True)]).run()
