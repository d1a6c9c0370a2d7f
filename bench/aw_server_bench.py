"""Baseline: ActivityWatch's own Python server answering "time per app, active only".

    bash bench/aw_env.sh        # once: bench/.aw-venv with aw-server 0.12.0 (never .venv)
    .venv/bin/python bench/aw_server_bench.py [--days 30] [--seed 1] [--end 2025-06-02]

1. Generates --days of synthetic ActivityWatch data, deterministic from --seed: each day
   is one 24 h slot before --end (default: today's 00:00 UTC), ~8 working hours of
   contiguous `currentwindow` events (700-1500 a day, 15 apps, data {app, title}) and
   `afkstatus` events alternating "not-afk"/"afk" that cover the whole 24 h. Written as
   an ActivityWatch export (newest event first) to --export-out. `make_export()` is
   importable so Workprint's importer can load exactly the same data.
2. Starts `python -m aw_server --testing` from bench/.aw-venv on a free 127.0.0.1 port,
   storage peewee (SQLite), with HOME/XDG_* pointing at a temporary directory, loads the
   export through POST /api/0/import and reports the load time.
3. Times POST /api/0/query/ for the last 1, 7 and --days days, --runs times each, with
   aw-webui's canonical query (flood both buckets, keep not-afk, intersect, merge by
   app; --no-flood drops the flood() calls). Checks the per-app seconds against the
   same figure computed here in Python from the generated events (and sum <= period).
4. Prints `aw-server 0.12 time-per-app active-only 30d: median 2.41 s (5 runs)` lines
   and writes --json-out. The server is always stopped, and its temp data removed.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
HOST = "benchhost"
WINDOW_BUCKET = f"aw-watcher-window_{HOST}"
AFK_BUCKET = f"aw-watcher-afk_{HOST}"
# (app, weight, titles): a typical developer's desktop, weights roughly Zipf-like.
APPS = [
    ("Firefox", 22, ["GitHub - Pull requests", "Stack Overflow - DuckDB window functions",
                     "Gmail - Inbox", "Jira - Sprint board", "MDN Web Docs", "YouTube"]),
    ("Code", 20, ["store.py - workprint", "daemon.py - workprint", "README.md - workprint",
                  "test_store.py - workprint", "settings.json"]),
    ("Gnome-terminal", 12, ["bash", "pytest -x", "htop", "git log", "ssh build"]),
    ("Slack", 10, ["#general", "#dev", "Direct message - Alice", "#random"]),
    ("Chromium", 6, ["Grafana - Overview", "Google Docs - Design notes"]),
    ("Thunderbird", 5, ["Inbox", "Write: Re: weekly report"]),
    ("Zoom", 4, ["Zoom Meeting", "Zoom - Chat"]),
    ("Obsidian", 4, ["Daily note", "Project ideas"]),
    ("libreoffice-calc", 3, ["budget.ods", "timesheet.ods"]),
    ("Evince", 3, ["paper.pdf", "manual.pdf"]),
    ("Nautilus", 2, ["Home", "Downloads"]),
    ("Spotify", 2, ["Spotify Premium"]),
    ("Signal", 2, ["Signal"]),
    ("KeePassXC", 1, ["Passwords.kdbx"]),
    ("Gimp", 1, ["screenshot.png"]),
]
MIN_MS = 60_000


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat()


def _event(t0: int, t1: int, data: dict) -> dict:
    return {"timestamp": _iso(t0), "duration": (t1 - t0) / 1000, "data": data}


def _day(rng: random.Random, d0: int) -> tuple[list, list]:
    """One day starting at d0 (ms): window spans (t0, t1, app, title), afk spans."""
    start = d0 + 8 * 60 * MIN_MS + rng.randint(0, 90) * MIN_MS
    stop = start + 8 * 60 * MIN_MS + rng.randint(-30, 60) * MIN_MS
    afk, t, lunch_done, active = [(d0, start, "afk")], start, False, True
    while t < stop:  # alternate active blocks and breaks, lunch once after 12:00
        if active:
            n = min(stop, t + rng.randint(15, 80) * MIN_MS)
        elif not lunch_done and t >= d0 + 12 * 60 * MIN_MS:
            n, lunch_done = min(stop, t + rng.randint(30, 55) * MIN_MS), True
        else:
            n = min(stop, t + rng.randint(60, 12 * 60) * 1000)
        afk.append((t, n, "not-afk" if active else "afk"))
        t, active = n, not active
    if afk[-1][2] == "afk":  # ended on a break: stretch it to midnight
        afk[-1] = (afk[-1][0], d0 + 24 * 60 * MIN_MS, "afk")
    else:
        afk.append((stop, d0 + 24 * 60 * MIN_MS, "afk"))
    n = rng.randint(700, 1500)
    weights = [rng.lognormvariate(0, 1.3) for _ in range(n)]
    spare, total = (stop - start) - n * 1000, sum(weights)
    durs = [1000 + int(w / total * spare) for w in weights]
    durs[-1] += (stop - start) - sum(durs)  # exact: durations sum to the covered time
    windows, t, prev = [], start, None
    names, app_w = [a[0] for a in APPS], [a[1] for a in APPS]
    titles = {a[0]: a[2] for a in APPS}
    for dur in durs:
        while True:  # consecutive events differ, as the window watcher records them
            app = prev[0] if prev and rng.random() < 0.3 else rng.choices(names, app_w)[0]
            cur = (app, rng.choice(titles[app]))
            if cur != prev:
                break
        windows.append((t, t + dur, *cur))
        t, prev = t + dur, cur
    return windows, afk


def make_export(days: int, seed: int, end: datetime) -> dict:
    """ActivityWatch export dict with `days` days of window + AFK data before `end`.

    Same (days, seed) give the same events relative to `end`; timestamps are UTC."""
    rng = random.Random(seed)
    end_ms = round(end.astimezone(timezone.utc).timestamp() * 1000)
    first = end_ms - days * 24 * 60 * MIN_MS
    windows, afk = [], []
    for i in range(days):
        w, a = _day(rng, first + i * 24 * 60 * MIN_MS)
        windows += w
        afk += a
    created = _iso(first)

    def bucket(bid: str, btype: str, client: str, events: list) -> dict:
        events.sort(key=lambda e: e["timestamp"], reverse=True)
        return {"id": bid, "type": btype, "client": client, "hostname": HOST,
                "created": created, "data": {}, "events": events}

    return {"buckets": {
        WINDOW_BUCKET: bucket(WINDOW_BUCKET, "currentwindow", "aw-watcher-window",
                              [_event(t0, t1, {"app": a, "title": ti}) for t0, t1, a, ti in windows]),
        AFK_BUCKET: bucket(AFK_BUCKET, "afkstatus", "aw-watcher-afk",
                           [_event(t0, t1, {"status": s}) for t0, t1, s in afk]),
    }}


def expected_per_app(export: dict, start: datetime, end: datetime) -> dict:
    """Active seconds per app in [start, end): window events cut to not-afk spans."""
    def spans(bid, key):
        out = []
        for e in export["buckets"][bid]["events"]:
            t0 = datetime.fromisoformat(e["timestamp"])
            t1 = t0 + timedelta(seconds=e["duration"])
            t0, t1 = max(t0, start), min(t1, end)
            if t0 < t1:
                out.append((t0, t1, e["data"][key]))
        return sorted(out)
    active = [s for s in spans(AFK_BUCKET, "status") if s[2] == "not-afk"]
    per_app, j = {}, 0
    for t0, t1, app in spans(WINDOW_BUCKET, "app"):
        while j < len(active) and active[j][1] <= t0:
            j += 1
        k = j
        while k < len(active) and active[k][0] < t1:
            cut = (min(t1, active[k][1]) - max(t0, active[k][0])).total_seconds()
            per_app[app] = per_app.get(app, 0.0) + max(cut, 0.0)
            k += 1
    return per_app


def query_text(flood: bool) -> list[str]:
    """aw-webui's canonicalEvents + merge by app, one statement per list item."""
    window = f'query_bucket(find_bucket("{WINDOW_BUCKET}"))'
    afk = f'query_bucket(find_bucket("{AFK_BUCKET}"))'
    if flood:
        window, afk = f"flood({window})", f"flood({afk})"
    q = (f"events = {window};"
         f"not_afk = {afk};"
         'not_afk = filter_keyvals(not_afk, "status", ["not-afk"]);'
         "events = filter_period_intersect(events, not_afk);"
         'events = merge_events_by_keys(events, ["app"]);'
         "RETURN = sort_by_duration(events);")
    return [s + ";" for s in q.split(";") if s]


def http(port: int, path: str, body=None, timeout: float = 600):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}/api{path}", data=data,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        raw = r.read()
    return json.loads(raw) if raw.strip() else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(aw_python: str, tmp: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "PYTHON"))}
    env.update(HOME=str(tmp), XDG_DATA_HOME=str(tmp / "data"), XDG_CONFIG_HOME=str(tmp / "config"),
               XDG_CACHE_HOME=str(tmp / "cache"))
    cmd = [aw_python, "-m", "aw_server", "--testing", "--host", "127.0.0.1",
           "--port", str(port), "--storage", "peewee"]
    log = open(tmp / "aw-server.log", "wb")
    proc = subprocess.Popen(cmd, env=env, cwd=tmp, stdout=log, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            break
        try:
            info = http(port, "/0/info", timeout=2)
            print(f"aw-server {info['version']} up on 127.0.0.1:{port} (testing={info['testing']})")
            return proc, port
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    stop_server(proc)
    raise RuntimeError("aw-server did not answer /api/0/info; log:\n"
                       + (tmp / "aw-server.log").read_text(errors="replace")[-3000:])


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--days", type=int, default=30)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--end", help="ISO date/time, UTC if no offset (default: today 00:00 UTC)")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--no-flood", action="store_true", help="query without flood()")
    p.add_argument("--aw-python", default=str(HERE / ".aw-venv" / "bin" / "python"))
    p.add_argument("--export-out")
    p.add_argument("--json-out", default=str(HERE / "out" / "aw_server_results.json"))
    a = p.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops aw-server
    end = (datetime.fromisoformat(a.end) if a.end
           else datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0))
    end = end if end.tzinfo else end.replace(tzinfo=timezone.utc)
    if not Path(a.aw_python).exists():
        sys.exit(f"{a.aw_python} missing: run `bash bench/aw_env.sh` first")

    export = make_export(a.days, a.seed, end)
    export_out = Path(a.export_out or HERE / "out" / f"aw-{a.days}d.json")
    export_out.parent.mkdir(parents=True, exist_ok=True)
    export_out.write_text(json.dumps(export))
    counts = {b: len(v["events"]) for b, v in export["buckets"].items()}
    print(f"export: {export_out} ({export_out.stat().st_size / 1e6:.1f} MB) {counts}; "
          f"end {end.isoformat()}, seed {a.seed}")

    periods = sorted({1, 7, a.days} & set(range(1, a.days + 1)))
    query = query_text(not a.no_flood)
    results = {"aw_server": "0.12.0", "storage": "peewee", "flood": not a.no_flood,
               "days": a.days, "seed": a.seed, "end": end.isoformat(), "event_counts": counts,
               "query": "".join(query), "export": str(export_out),
               "query_median_s": {}, "query_runs_s": {}, "per_app_seconds": {}}
    with tempfile.TemporaryDirectory(prefix="aw-bench-") as tmp:
        proc, port = start_server(a.aw_python, Path(tmp))
        try:
            t = time.perf_counter()
            http(port, "/0/import", export)
            results["load_seconds"] = round(time.perf_counter() - t, 3)
            stored = {b: http(port, f"/0/buckets/{b}/events/count") for b in counts}
            assert stored == counts, f"server holds {stored}, export has {counts}"
            print(f"aw-server 0.12 load (POST /api/0/import, {sum(counts.values())} events): "
                  f"{results['load_seconds']:.2f} s")
            for d in periods:
                start = end - timedelta(days=d)
                body = {"timeperiods": [f"{start.isoformat()}/{end.isoformat()}"], "query": query}
                times, per_app = [], None
                for _ in range(a.runs):
                    t = time.perf_counter()
                    out = http(port, "/0/query/", body)
                    times.append(time.perf_counter() - t)
                    per_app = {e["data"]["app"]: e["duration"] for e in out[0]}
                want = expected_per_app(export, start, end)
                total = sum(per_app.values())
                assert total <= d * 86400, f"{d}d: {total} s of apps in a {d * 86400} s period"
                worst = max(abs(per_app.get(k, 0) - want.get(k, 0)) for k in want.keys() | per_app)
                med = statistics.median(times)
                results["query_median_s"][str(d)] = round(med, 4)
                results["query_runs_s"][str(d)] = [round(x, 4) for x in times]
                results["per_app_seconds"][str(d)] = {k: round(v, 3) for k, v in per_app.items()}
                print(f"aw-server 0.12 time-per-app active-only {d}d: median {med:.2f} s "
                      f"({a.runs} runs)  [{len(per_app)} apps, {total / 3600:.2f} h active, "
                      f"max diff vs expected {worst:.3f} s]")
                if worst > 1.0:
                    print(f"  WARNING: aw-server differs from the expected per-app seconds by {worst:.3f} s")
        except Exception:
            log = (Path(tmp) / "aw-server.log").read_text(errors="replace")
            print(f"aw-server log (tail):\n{log[-2500:]}", file=sys.stderr)
            raise
        finally:
            stop_server(proc)
    Path(a.json_out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json_out).write_text(json.dumps(results, indent=1))
    print(f"results: {a.json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
