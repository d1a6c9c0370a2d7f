"""Workprint dashboard: `streamlit run app.py`."""

import streamlit as st

from dashboard import access, frame, ui

# Emoji icons, not :material/...: the browser fetches a material tab icon from a font CDN (issue 9 #10).
st.set_page_config(page_title="Workprint", page_icon="📈", layout="wide")
refused = access.refusal()  # the owner's browser only, on this machine: before any page or data

pages = {
    "Your work": [
        st.Page("pages/overview.py", title="Today", icon="🗓️", default=True),
        st.Page("pages/timeline.py", title="Timeline", icon="🕒"),
        st.Page("pages/workflow.py", title="Workflow", icon="🔀"),
        st.Page("pages/timing.py", title="Timing", icon="⏱️"),
    ],
    "Shared views": [
        st.Page("pages/team.py", title="Team", icon="👥"),
        st.Page("pages/explore.py", title="Explore", icon="🔬"),
    ],
    "You decide": [
        st.Page("pages/privacy.py", title="Privacy & data", icon="🛡️"),
    ],
}
page = st.navigation(pages, position="hidden" if refused else "sidebar")
if refused:
    access.refuse(refused)
ctx = frame.sidebar()
if ctx is not None and ctx.source.demo and page.title != "Privacy & data":  # that page is always your own data
    ui.demo_banner()
page.run()
