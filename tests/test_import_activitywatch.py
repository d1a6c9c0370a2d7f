"""python -m capture import activitywatch: real exports, a live server, bad files."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import urllib.parse
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

import queries
from importers.flood import flood
from testkit import cli, rows, shared

EXPORTS = ("aw-server-0.12-export-1day", "aw-android-plus-export")




def reference() -> dict:
    return json.loads(shared("activitywatch", "reference.json").read_text())


def span_seconds(db: Path, worker: str, active_only: bool) -> dict[str, float]:
    """Seconds per app summed in plain SQL over spans (no query-layer code)."""
    if not active_only:
        sql = """SELECT app, sum(epoch(stop) - epoch(start)) FROM spans
                 WHERE worker = $w AND kind = 'focus' GROUP BY app"""
    else:
        sql = """SELECT f.app, sum(epoch(least(f.stop, a.stop)) - epoch(greatest(f.start, a.start)))
                 FROM spans f JOIN spans a ON a.worker = f.worker AND a.kind = 'active'
                  AND a.start < f.stop AND a.stop > f.start
                 WHERE f.worker = $w AND f.kind = 'focus' GROUP BY f.app"""
    return dict(rows(db, sql, {"w": worker}))


def assert_seconds_match(got: dict[str, float], expected: dict[str, float], tolerance: float = 1.0) -> None:
    assert set(got) == set(expected)
    off = {app: (got[app], s) for app, s in expected.items() if abs(got[app] - s) > tolerance}
    assert not off, f"apps off by more than {tolerance} s (got, ActivityWatch): {off}"


def import_aw(db: Path, source, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
    return cli("import", "activitywatch", str(source), "--db", str(db), *extra, check=check)


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Path:
    """Both real exports imported once, each under its own worker (named after the file)."""
    db = tmp_path_factory.mktemp("aw") / "aw.duckdb"
    for name in EXPORTS:
        import_aw(db, shared("activitywatch", f"{name}.json"), "--worker", name)
    return db


def write_export(path: Path, buckets) -> Path:
    path.write_text(json.dumps({"buckets": buckets}), encoding="utf-8")
    return path


def window_bucket(events: list[dict], bucket_id: str = "aw-watcher-window_test") -> dict:
    return {"id": bucket_id, "type": "currentwindow", "client": "aw-watcher-window", "hostname": "test",
            "created": "2026-01-01T00:00:00+00:00", "data": {}, "events": events}


def event(ts: str, duration: float, **data) -> dict:
    return {"timestamp": ts, "duration": duration, "data": data}


@pytest.mark.parametrize("name", EXPORTS)
def test_plain_sums_over_spans_equal_activitywatch(imported, name):
    """Time per app must be what ActivityWatch itself reports for the same export, raw and not-afk."""
    ref = reference()[name]
    assert_seconds_match(span_seconds(imported, name, active_only=False), ref["app_seconds_raw"])
    total = rows(imported, "SELECT sum(epoch(stop) - epoch(start)) FROM spans WHERE worker = $w AND kind = 'focus'",
                 {"w": name})[0][0]
    assert total / 3600 == pytest.approx(ref["total_window_hours"], abs=1e-4)
    assert rows(imported, "SELECT count(*) FROM spans WHERE worker = $w AND kind = 'focus'", {"w": name})[0][0] \
        == ref["window_events"]
    if "app_seconds_active" in ref:
        assert_seconds_match(span_seconds(imported, name, active_only=True), ref["app_seconds_active"])


@pytest.mark.parametrize("name", EXPORTS)
def test_app_time_query_reproduces_activitywatch(imported, name):
    """The dashboard's 'time per app' (app_time) must agree with ActivityWatch within 1 s per app."""
    ref = reference()[name]
    raw = queries.run("app_time", db=imported, worker=name, active_only=False)
    assert_seconds_match(dict(zip(raw["app"], raw["seconds"])), ref["app_seconds_raw"])
    if "app_seconds_active" in ref:
        active = queries.run("app_time", db=imported, worker=name, active_only=True)
        assert_seconds_match(dict(zip(active["app"], active["seconds"])), ref["app_seconds_active"])


def test_spans_input_totals_and_offsets(imported):
    """Window events are focus spans, not-afk periods active spans, 5-second input totals kept apart."""
    name = EXPORTS[0]
    export = json.loads(shared("activitywatch", f"{name}.json").read_text())["buckets"]
    afk = export["aw-watcher-afk_vm"]["events"]
    hid = export["aw-watcher-input_vm"]["events"]
    assert rows(imported, "SELECT count(*) FROM spans WHERE worker = $w AND kind = 'active'", {"w": name})[0][0] \
        == sum(e["data"]["status"] == "not-afk" for e in afk)
    stored = rows(imported, "SELECT count(*), sum(presses), sum(clicks) FROM input_totals WHERE worker = $w",
                  {"w": name})[0]
    in_file = (len(hid), sum(e["data"]["presses"] for e in hid), sum(e["data"]["clicks"] for e in hid))
    assert stored == in_file
    assert rows(imported, "SELECT DISTINCT utc_offset, source, case_id FROM spans WHERE worker = $w", {"w": name}) \
        == [(0, "activitywatch", None)]
    # Titles are not stored unless asked for, as for capture.
    assert rows(imported, "SELECT count(title) FROM spans")[0][0] == 0


def test_unknown_bucket_types_are_skipped_with_a_note(tmp_path):
    """An Android export's unlock bucket must not stop the import of its app usage."""
    result = import_aw(tmp_path / "a.duckdb", shared("activitywatch", "aw-android-plus-export.json"))
    assert "skipped bucket 'aw-watcher-android-unlock'" in result.stdout
    assert "14,350" in result.stdout


def test_list_shaped_buckets_and_offsets_in_timestamps(tmp_path, db):
    """aw-core's schema has buckets as a list; timestamps may carry any offset, which is kept."""
    bucket = window_bucket([
        event("2026-03-01T10:00:05.500+02:00", 2.5, app="Code", title="secret.py"),
        event("2026-03-01T08:00:00Z", 5, app="Firefox", title="Mail"),
    ])
    result = import_aw(db, write_export(tmp_path / "list.json", [bucket]), "--store-titles")
    assert "spans 2" in result.stdout
    assert rows(db, "SELECT app, title, utc_offset, epoch(stop) - epoch(start), start FROM spans ORDER BY start") == [
        ("Firefox", "Mail", 0, 5.0, rows(db, "SELECT TIMESTAMPTZ '2026-03-01 08:00:00+00'")[0][0]),
        ("Code", "secret.py", 7200, 2.5, rows(db, "SELECT TIMESTAMPTZ '2026-03-01 08:00:05.5+00'")[0][0]),
    ]


def test_bad_timestamp_in_the_middle_imports_nothing(tmp_path, db):
    """One broken event must leave the database untouched and say exactly where it is."""
    export = json.loads(shared("activitywatch", "aw-server-0.12-export-1day.json").read_text())
    export["buckets"]["aw-watcher-window_vm"]["events"][11]["timestamp"] = "abc"
    bad = tmp_path / "aw.json"
    bad.write_text(json.dumps(export))
    result = import_aw(db, bad, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: aw.json: bucket 'aw-watcher-window_vm', event 12: timestamp 'abc' is not ISO 8601")
    assert not db.exists()


def test_truncated_json_imports_nothing(tmp_path, db):
    content = shared("activitywatch", "aw-server-0.12-export-1day.json").read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(content[: len(content) // 2])
    result = import_aw(db, cut, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith("error: cut.json: not valid JSON, line ")
    assert not db.exists()


@pytest.mark.parametrize("events, message", [
    ([event("2026-03-01T10:00:00Z", -1, app="x")], "event 1: duration -1 is not a number of seconds"),
    ([event("2026-03-01T10:00:00Z", 1, title="no app")], "event 1: data.app is missing or not text"),
    ([{"timestamp": "2026-03-01T10:00:00Z", "duration": 1, "data": {"app": "a"}}, "junk"], "event 2: not an object"),
])
def test_invalid_events_are_named(tmp_path, db, events, message):
    result = import_aw(db, write_export(tmp_path / "e.json", {"w": window_bucket(events)}), check=False)
    assert result.returncode == 2 and message in result.stderr


def test_importing_twice_stores_once(imported, tmp_path):
    """Re-importing an export (by mistake, or a retry) must not double anyone's hours."""
    before = rows(imported, "SELECT count(*) FROM spans")[0][0]
    result = import_aw(imported, shared("activitywatch", "aw-server-0.12-export-1day.json"),
                       "--worker", EXPORTS[0])
    assert "already imported" in result.stdout
    assert rows(imported, "SELECT count(*) FROM spans")[0][0] == before


def test_locked_database_says_how_to_proceed(tmp_path, db):
    """While another process (the capture daemon) has the file open, say so and what to do."""
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from testkit import connect; c = connect(sys.argv[1]); "
                               "print('ok', flush=True); time.sleep(60)", str(db)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ok"
        result = import_aw(db, shared("activitywatch", "aw-server-0.12-export-1day.json"), check=False)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and "is in use" in result.stderr
    assert "python -m capture stop" in result.stderr and "--db" in result.stderr


class _AWServer(BaseHTTPRequestHandler):
    """The documented REST API of aw-server: bucket list and each bucket's events."""

    buckets: dict = {}

    def do_GET(self):  # noqa: N802 (http.server's naming)
        url = urllib.parse.urlsplit(self.path)
        parts = [urllib.parse.unquote(p) for p in url.path.strip("/").split("/")]
        if parts == ["api", "0", "buckets"]:
            body = {k: {f: v for f, v in b.items() if f != "events"} for k, b in self.buckets.items()}
        elif len(parts) == 5 and parts[:3] == ["api", "0", "buckets"] and parts[4] == "events" \
                and parts[3] in self.buckets and urllib.parse.parse_qs(url.query).get("limit") == ["-1"]:
            body = self.buckets[parts[3]]["events"]
        else:
            self.send_error(404)
            return
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def aw_server():
    export = json.loads(shared("activitywatch", "aw-server-0.12-export-1day.json").read_text())
    handler = type("Handler", (_AWServer,), {"buckets": export["buckets"]})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_import_from_a_live_server(aw_server, db):
    """Importing straight from a running ActivityWatch gives the same hours as its export."""
    result = import_aw(db, aw_server)
    assert "spans 719; input totals 4,831" in result.stdout
    ref = reference()[EXPORTS[0]]
    assert_seconds_match(span_seconds(db, "activitywatch", active_only=False), ref["app_seconds_raw"])
    assert_seconds_match(span_seconds(db, "activitywatch", active_only=True), ref["app_seconds_active"])


def test_unreachable_server_is_an_error(db):
    result = import_aw(db, "http://127.0.0.1:9/", check=False)
    assert result.returncode == 2 and "cannot reach ActivityWatch" in result.stderr


S = 1_000_000


def test_flood_follows_aw_core():
    """--flood must change events exactly as ActivityWatch's flood (aw-core 0.5.18) does."""
    a, b = "a", "b"
    # Different data across a short gap: both meet in the middle.
    assert flood([(0, 10 * S, a, 1), (12 * S, 8 * S, b, 2)], 5) == [(0, 11 * S, a, 1), (11 * S, 9 * S, b, 2)]
    # Equal data across a short gap: the longer absorbs the shorter.
    assert flood([(0, 10 * S, a, 1), (13 * S, 2 * S, a, 2)], 5) == [(0, 15 * S, a, 1)]
    assert flood([(0, 1 * S, a, 1), (3 * S, 8 * S, a, 2)], 5) == [(0, 11 * S, a, 2)]
    # Gaps longer than pulsetime stay; zero-length events go.
    assert flood([(0, S, a, 1), (7 * S, S, b, 2), (8 * S, 0, a, 3)], 5) == [(0, S, a, 1), (7 * S, S, b, 2)]
    # Overlap with different data: the later event wins; equal data: merged.
    assert flood([(0, 10 * S, a, 1), (4 * S, 2 * S, b, 2)], 5) == [(0, 4 * S, a, 1), (4 * S, 2 * S, b, 2)]
    assert flood([(0, 10 * S, a, 1), (4 * S, 8 * S, a, 2)], 5) == [(0, 12 * S, a, 1)]
    # Timestamps are set to the millisecond, as aw-core's Event does: the midpoint
    # 3.0015 s starts b at 3.001 s (its end stays put), and a is cut there.
    assert flood([(0, 3 * S, a, 1), (3 * S + 3000, S, b, 2)], 5) \
        == [(0, 3 * S + 1000, a, 1), (3 * S + 1000, S + 1500, b, 2)]


def test_flood_option_on_real_and_made_up_exports(tmp_path, db):
    """With --flood a 2 s hole between two apps is split between them; the real desktop export has none."""
    events = [event("2026-03-01T10:00:12Z", 8, app="B"), event("2026-03-01T10:00:00Z", 10, app="A")]
    import_aw(db, write_export(tmp_path / "gap.json", {"w": window_bucket(events)}), "--flood", "5")
    assert rows(db, "SELECT app, epoch(stop) - epoch(start) FROM spans ORDER BY start") == [("A", 11.0), ("B", 9.0)]
    other = tmp_path / "other.duckdb"
    import_aw(other, shared("activitywatch", "aw-server-0.12-export-1day.json"), "--flood", "5")
    ref = reference()[EXPORTS[0]]
    assert_seconds_match(span_seconds(other, "activitywatch", active_only=False), ref["app_seconds_raw"])
    assert_seconds_match(span_seconds(other, "activitywatch", active_only=True), ref["app_seconds_active"])


@pytest.mark.parametrize("bad, says", [
    (event("9999-12-31T10:00:00+00:00", 60, app="Code"), "timestamp '9999-12-31T10:00:00+00:00': lies outside"),
    (event("1900-01-01T10:00:00+00:00", 60, app="Code"), "lies outside 1990 to tomorrow"),
    (event("2026-01-01T11:00:00+00:00", 1e12, app="Code"), "duration 1000000000000.0: its end lies outside"),
], ids=["year 9999", "year 1900", "a duration of 1e12 s"])
def test_times_no_recording_can_have_are_refused(db, tmp_path, bad, says):
    """Hardening #9/#10: one absurd time names its event and imports nothing (it
    would stretch every date range, or take minutes to derive)."""
    path = write_export(tmp_path / "bad.json", {"w": window_bucket([event("2026-01-01T10:00:00+00:00", 60, app="Code"),
                                                                    bad])})
    result = import_aw(db, path, check=False)
    assert result.returncode == 2 and "event 2" in result.stderr and says in result.stderr, result.stderr
    assert not db.exists() or rows(db, "SELECT count(*) FROM spans") == [(0,)]


def test_the_same_events_are_stored_once_whatever_the_file_looks_like(db, tmp_path):
    """Hardening #6: a re-indented re-export, the same file with --flood or
    --store-titles, and a newer export of the same day all store each event
    once: the day's app time stays what ActivityWatch says."""
    original = shared("activitywatch", "aw-server-0.12-export-1day.json")
    import_aw(db, original)
    first = rows(db, "SELECT count(*), sum(epoch(stop) - epoch(start)) FROM spans")
    export = json.loads(original.read_text())
    reindented = write_export(tmp_path / "reindented.json", export["buckets"])
    reindented.write_text(json.dumps(export, indent=2))
    import_aw(db, reindented)
    import_aw(db, original, "--store-titles")
    assert rows(db, "SELECT count(*), sum(epoch(stop) - epoch(start)) FROM spans") == first
    # A newer export: the same events, and one more an hour after the last.
    buckets = export["buckets"]
    window = next(b for b in (buckets.values() if isinstance(buckets, dict) else buckets)
                  if b.get("type") == "currentwindow")
    last = max(window["events"], key=lambda e: e["timestamp"])
    later = dict(last, timestamp=(datetime.fromisoformat(last["timestamp"]) + timedelta(hours=1)).isoformat())
    window["events"].append(later)
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(export))
    import_aw(db, newer)
    count, seconds = rows(db, "SELECT count(*), sum(epoch(stop) - epoch(start)) FROM spans")[0]
    assert count == first[0][0] + 1 and seconds == pytest.approx(first[0][1] + later["duration"])
