"""SIGKILL at random moments: the database always reopens and keeps every
batch the daemon reported as flushed before it died."""

import os
import random
import re
import time

import pytest

from testkit import DaemonProcess, connect

pytestmark = pytest.mark.slow
FLUSHED = re.compile(r"flushed batch (\d+) rows=(\d+)")


def test_kill_9_twenty_times_loses_nothing_flushed(consented):
    seed = int(os.environ.get("KILL9_SEED", time.time_ns() % 100_000))
    rng = random.Random(seed)
    log = consented.with_name(consented.name + ".log")
    confirmed: dict[int, int] = {}
    for attempt in range(20):
        daemon = DaemonProcess(
            consented, "--backend", "replay", "--replay", f"rate=400,seed={attempt}", "--flush-interval", "0.2",
            env={"WORKPRINT_LOG_LEVEL": "DEBUG"},
        ).start()
        time.sleep(rng.uniform(0.05, 1.5))  # a random moment to die at: the point of the test
        daemon.kill9()
        for batch_id, n in FLUSHED.findall(log.read_text()):
            confirmed[int(batch_id)] = int(n)
        con = connect(consented, read_only=True)  # must open cleanly
        try:
            stored = dict(con.execute("SELECT batch_id, count(*) FROM raw_events GROUP BY 1").fetchall())
            registered = dict(con.execute("SELECT batch_id, n_rows FROM batches").fetchall())
        finally:
            con.close()
        lost = {b: n for b, n in confirmed.items() if stored.get(b) != n}
        assert not lost, f"seed {seed}, kill {attempt + 1}: flushed batches missing or short: {lost}"
        assert stored == registered, f"seed {seed}: a batch's rows and its registration disagree"
    assert len(confirmed) > 20, "the daemon should have flushed many batches across 20 runs"
