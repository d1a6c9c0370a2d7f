"""Workprint capture: input and focus timing into DuckDB, on the worker's own machine.

Run ``python -m capture --help``. Nothing here opens a display, a database or a
listener at import time.
"""
