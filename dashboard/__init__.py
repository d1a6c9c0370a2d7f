"""The Streamlit dashboard's shared parts: data access, the sidebar frame, charts, small UI helpers."""
