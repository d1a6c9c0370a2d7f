"""Workprint dashboard: `streamlit run app.py`."""

from pathlib import Path

import streamlit as st

from dashboard import access, frame, signin, ui

# A bundled tab icon, served by the dashboard itself: for a :material/... icon the browser fetches an
# SVG from a font CDN, and an emoji shows as a box where no emoji font is installed (issue 9 #10).
ICON = Path(__file__).resolve().parent / "dashboard" / "icon.png"
st.set_page_config(page_title="Workprint", page_icon=str(ICON), layout="wide")
if signin.team_mode():  # the team server: signed out, only the sign-in page exists (dashboard.signin)
    signin.navigation().run()
    st.stop()
refused = access.refusal()  # the owner's browser only, on this machine: before any page or data

pages = {
    "Your work": [
        st.Page("pages/overview.py", title="Overview", default=True),
        st.Page("pages/timeline.py", title="Timeline"),
        st.Page("pages/workflow.py", title="Workflow"),
        st.Page("pages/timing.py", title="Timing"),
    ],
    "Shared views": [
        st.Page("pages/team.py", title="Team"),
        st.Page("pages/explore.py", title="Explore"),
    ],
    "You decide": [
        st.Page("pages/privacy.py", title="Privacy & data"),
    ],
}
page = st.navigation(pages, position="hidden" if refused else "sidebar")
if refused:
    access.refuse(refused)
ctx = frame.sidebar()
if ctx is not None and ctx.source.demo and page.title != "Privacy & data":  # that page is always your own data
    ui.demo_banner()
page.run()
