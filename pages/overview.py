"""Overview: is capture running, and what has been stored."""

import streamlit as st

import queries
from capture import client, config, store

st.title("Workprint")
paths = config.paths()

try:
    status = client.request(paths, "status", timeout=2)
    state = "paused" if status["paused"] else "capturing"
    st.success(f"Capture is running ({state}) since {status['since']}.")
except client.NotRunning:
    st.info("Capture is not running. Start it with `python -m capture run` (after `python -m capture consent --accept`).")

try:
    counts = queries.run("event_counts")
except store.StoreError as exc:
    st.warning(str(exc))
else:
    if counts.is_empty():
        st.info("Nothing captured yet.")
    else:
        st.metric("Events stored", f"{counts['n'].sum():,}")
        st.dataframe(counts, hide_index=True)
