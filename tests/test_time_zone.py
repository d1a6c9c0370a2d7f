"""The store keeps UTC; local times come from the offset recorded with each
event, never from the time zone of the machine a query runs on."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from testkit import cli
from testkit.processes import ROOT

PROBE = """
import json, sys
from pathlib import Path
import store
con = store.open_read_only(Path(sys.argv[1]))
print(json.dumps(con.execute('''
    SELECT strftime(hour, '%Y-%m-%d %H:%M'), app, switches FROM hourly ORDER BY hour, app
''').fetchall() + con.execute('''
    SELECT strftime(local_time(start, utc_offset), '%Y-%m-%d %H:%M'), app, utc_offset FROM spans ORDER BY start
''').fetchall()))
"""


@pytest.mark.parametrize("zone", ["Asia/Kolkata", "America/New_York", "UTC"])
def test_hours_and_local_times_do_not_depend_on_the_machines_time_zone(tmp_path, zone):
    """A worker whose machine is set to India (+05:30) or New York gets UTC
    hours cut on the hour and local times from the log's own offsets: with the
    session in the machine's zone, India's hours were cut at half past and a
    Berlin machine added its hour on top of every local time."""
    log = tmp_path / "log.csv"
    log.write_text("case,activity,time\n"
                   "c1,mail,2024-01-01 10:45:00+01:00\n"
                   "c1,editor,2024-01-01 11:10:00+01:00\n"
                   "c1,mail,2024-01-01 11:20:00+01:00\n")
    db = tmp_path / "workprint.duckdb"
    env = {"TZ": zone}
    cli("import", "eventlog", str(log), "--case", "case", "--activity", "activity", "--time", "time",
        "--db", str(db), env=env)
    out = subprocess.run([sys.executable, "-c", PROBE, str(db)], cwd=ROOT, env={**os.environ, **env},
                         capture_output=True, text=True, check=True).stdout
    assert json.loads(out) == [
        ["2024-01-01 09:00", "mail", 1],
        ["2024-01-01 10:00", "editor", 1],
        ["2024-01-01 10:00", "mail", 1],
        ["2024-01-01 10:45", "mail", 3600],
        ["2024-01-01 11:10", "editor", 3600],
        ["2024-01-01 11:20", "mail", 3600],
    ]
