"""Privacy & data: what is collected, a live sample of your own rows, capture controls, consent."""

import streamlit as st

from capture import client, config
from capture.__main__ import CONSENT_TEXT
from dashboard import data, ui

st.title("Privacy & data")
paths = config.paths()

st.subheader("What Workprint records")
st.markdown(CONSENT_TEXT.format(db=paths.db).replace("\n  - ", "\n- "))

st.subheader("Capture")
status = data.capture_status()
if status:
    state = "paused" if status["paused"] else "capturing"
    st.success(f"Running ({state}) since {status['since']}; {status['events_stored'] or 0:,} events stored; "
               f"last written {status['last_flush'] or 'not yet'}.")
    if status["paused"]:
        if st.button("Resume capture", icon=":material/play_arrow:"):
            client.request(paths, "resume")
            st.rerun()
    elif st.button("Pause capture", icon=":material/pause:"):
        client.request(paths, "pause")
        st.rerun()
else:
    st.info("Capture is not running. Start it in a terminal: `python -m capture consent --accept`, "
            "then `python -m capture run`.")

st.subheader("A live sample of your own rows")
try:
    sample = data.query(data.Source(paths.db, False, None), "recent_events", limit=20)
except data.DataUnavailable as exc:
    ui.empty(str(exc))
else:
    if sample.is_empty():
        ui.empty("Nothing stored yet.")
    else:
        st.caption("The newest rows exactly as stored: key classes, never characters.")
        st.dataframe(sample, hide_index=True, width="stretch")
