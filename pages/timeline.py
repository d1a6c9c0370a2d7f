"""Timeline: coming next."""

import streamlit as st

from dashboard import frame

ctx = frame.context()
st.title("Timeline")
