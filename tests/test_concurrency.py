"""The dashboard reads live data while capture writes: 4 readers for 60 s
against a daemon taking 200 events/s."""

import datetime as dt
import json
import statistics
import threading
import time

import pytest

from store import client
from testkit import DaemonProcess, rows

pytestmark = pytest.mark.slow

RATE = 200
SECONDS = 60
READER_QUERIES = [
    ("SELECT kind, count(*) AS n FROM events GROUP BY kind", {}),
    ("SELECT date_trunc('second', ts) AS s, count(*) AS n FROM events WHERE ts > $since GROUP BY 1 ORDER BY 1", None),
    ("SELECT ts, kind, key_class FROM events ORDER BY ts DESC LIMIT 50", {}),
]


def _recording(path):
    n = RATE * SECONDS
    with open(path, "w") as fh:
        for i in range(n):
            kind = "key_down" if i % 2 == 0 else "key_up"
            fh.write(json.dumps({"t": i / RATE, "kind": kind, "key_class": "letter", "key_seq": i // 2}) + "\n")
    return n


def test_four_readers_for_a_minute_see_fresh_data_and_nothing_is_lost(consented, tmp_path):
    n = _recording(tmp_path / "rec.jsonl")
    errors: list[str] = []
    lags: list[float] = []
    latencies: list[float] = []
    stop = threading.Event()

    def reader(paths, k):
        i = k
        while not stop.is_set():
            sql, params = READER_QUERIES[i % len(READER_QUERIES)]
            if params is None:
                params = {"since": dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)}
            t0 = time.monotonic()
            try:
                client.read(paths, sql, params)
                fresh = client.read(paths, "SELECT max(ts) AS t FROM events WHERE kind = 'key_down'")
            except Exception as exc:  # noqa: BLE001 - every error is a failure here
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            latencies.append(time.monotonic() - t0)
            newest = fresh.column("t")[0].as_py()
            if newest is not None:
                lags.append((dt.datetime.now(dt.timezone.utc) - newest).total_seconds())
            i += 1
            time.sleep(0.05)

    with DaemonProcess(consented, "--backend", "replay", "--replay", f"file={tmp_path / 'rec.jsonl'}") as daemon:
        threads = [threading.Thread(target=reader, args=(daemon.paths, k)) for k in range(4)]
        for t in threads:
            t.start()
        time.sleep(SECONDS)  # the minute of reading is what is tested
        stop.set()
        for t in threads:
            t.join(30)
        daemon.wait_for_rows("SELECT count(*) FROM events WHERE kind IN ('key_down', 'key_up')",
                             lambda r: r[0][0] >= n, f"all {n} recorded key events to be stored")
        assert daemon.stop() == 0

    print(f"\n{len(latencies)} reader rounds, median {statistics.median(latencies) * 1000:.1f} ms, "
          f"max lag {max(lags):.2f} s")
    assert not errors, errors[:5]
    assert len(latencies) > 400
    # Only the first second may see no data yet; after that, never more than 2 s old.
    assert max(lags) <= 2.0
    stored = rows(consented, "SELECT count(*) FROM events WHERE kind IN ('key_down','key_up')")[0][0]
    assert stored == n
