"""Charts: pure functions from a polars DataFrame (and plain values) to a plotly Figure.

No Streamlit here, so every chart is testable on its own. One module per
page's subject, imported by that page (``from dashboard.charts import timeline
as charts``): today, timeline, workflow, timing; and style, the palette, colour
maps, layout and duration texts they share.
"""
