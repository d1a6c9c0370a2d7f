"""Workprint vs pm4py: load an event log and build its directly-follows graph.

    bash bench/pm4py_env.sh                    # once: pm4py 2.7.23.11 in bench/.pm4py-venv
    .venv/bin/python bench/pm4py_compare.py [--events 2000000] [--runs 3] [--seed 1] [--keep DIR]

1. Generates a seeded CSV event log (case,activity,time) of --events rows:
   cases of 5-40 events walking a Markov-ish flow over 20 activities, rows
   shuffled in the file, about one event in seven at the same second as the
   one before it in its case (a tie), and times written with mixed UTC
   offsets (Z, +00:00, +01:00, +02:00, +05:30, -03:30, -05:00, or none, which
   both tools take as UTC) and either a space or a T between date and time.
2. pm4py, in a child process of bench/.pm4py-venv (pm4py is AGPL: it is never
   imported here, nor installed in the project's venv), fresh for each run:
   (a) pandas.read_csv(dtype=str) + pd.to_datetime(utc=True, format="ISO8601") +
   pm4py.format_dataframe, (b) pm4py.discover_dfg; the process's peak RSS.
3. Workprint: `python -m capture import eventlog` as a user runs it, into a
   fresh (encrypted) database each run, with its peak RSS; then, on the last
   one, the `transitions` query through store.client.read (warm, as
   aw_compare.py times queries) and a plain-DuckDB baseline on the same file
   (opened read-only by store.db.open_read_only): a lead() window over spans.
4. Checks that the graphs are equal, edge by edge (src, dst, count): pm4py's,
   Workprint's, the baseline's and the generator's own. Only then prints the
   timings (medians of --runs) and their ratios.

Ties. Both tools order events at the same time by their order in the file:
pm4py's format_dataframe sorts by case, timestamp and @@index (the row
number) and discover_dfg's own re-sort by case and timestamp is a stable
lexsort; Workprint stores rows in file order and reads by start, then rowid.
So shuffling can never make the two disagree, but a plain shuffle would put
tied events in the file in an order the generator did not walk. The file
therefore keeps each run of tied events in its generated order: the rows are
shuffled, and then the file positions a run of ties landed on are handed back
to its events in order (the run stays scattered across the file, only its
order is kept). The generator's own graph is then the truth all three must
give. --shuffle-ties shuffles tied events too: pm4py and Workprint must still
agree with each other (both follow the file), the generator is not checked.

Timing. pm4py's phases are timed inside its process, after `import pm4py`
(which is not counted; printed below the table). Workprint's import is the
whole `python -m capture import eventlog` process, interpreter start
included. The transitions and baseline times both include opening the file
read-only, as every read by a Workprint tool does.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # this checkout's Workprint, not whichever one the venv was installed from

import queries  # noqa: E402
from store import client, db  # noqa: E402
from store import paths as config  # noqa: E402

ACTIVITIES = [
    "Register request", "Check completeness", "Request documents", "Receive documents", "Verify identity",
    "Assess risk", "Check credit", "Examine thoroughly", "Examine casually", "Consult expert",
    "Decide", "Approve", "Reject", "Prepare offer", "Send offer", "Receive reply", "Renegotiate",
    "Pay compensation", "Archive", "Close case",
]
# (suffix, UTC offset in seconds, weight): a time without an offset is UTC to both tools.
OFFSETS = [("Z", 0, 2), ("+00:00", 0, 1), ("+01:00", 3600, 3), ("+02:00", 7200, 2), ("+05:30", 19800, 1),
           ("-03:30", -12600, 1), ("-05:00", -18000, 2), ("", 0, 2)]
T0 = 1_704_067_200  # 2024-01-01 00:00 UTC
MAX_LEN, TIE_SHARE = 40, 0.15

# The pm4py side, run by bench/.pm4py-venv's python: argv = CSV, JSON out.
PM4PY_SIDE = r"""
import json, sys, time
t0 = time.perf_counter()
import pandas as pd
import pm4py
imported = time.perf_counter() - t0
csv, out = sys.argv[1:3]
t0 = time.perf_counter()
df = pd.read_csv(csv, dtype=str)
df["time"] = pd.to_datetime(df["time"], utc=True, format="ISO8601")
df = pm4py.format_dataframe(df, case_id="case", activity_key="activity", timestamp_key="time")
read = time.perf_counter() - t0
t0 = time.perf_counter()
dfg, _starts, _ends = pm4py.discover_dfg(df)
discover = time.perf_counter() - t0
with open(out, "w") as f:
    json.dump({"import_s": imported, "read_s": read, "dfg_s": discover, "events": len(df),
               "pm4py": pm4py.__version__, "pandas": pd.__version__,
               "dfg": [[a, b, int(n)] for (a, b), n in dfg.items()]}, f)
"""

TRANSITIONS_BASELINE = """
SELECT src, dst, count(*) AS n FROM (
    SELECT app AS src, lead(app) OVER (PARTITION BY worker, case_id ORDER BY start, rowid) AS dst
    FROM spans WHERE kind = 'focus'
) WHERE dst IS NOT NULL GROUP BY ALL
"""


def flow(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(start probabilities, transition matrix): mostly forward through the
    list, with a skip, a self-loop, two random jumps and a little noise."""
    n = len(ACTIVITIES)
    p = np.full((n, n), 0.02 / n)
    for i in range(n):
        p[i, (i + 1) % n] += 0.5
        p[i, (i + 2) % n] += 0.15
        p[i, i] += 0.05
        for j in rng.choice(n, size=2, replace=False):
            p[i, j] += 0.14
    start = np.zeros(n)
    start[[0, 1, 4]] = [0.7, 0.2, 0.1]
    return start, p / p.sum(axis=1, keepdims=True)


def make_log(path: Path, events: int, seed: int, keep_ties: bool) -> tuple[dict, int]:
    """Write the CSV; return the generator's own directly-follows graph and the number of cases."""
    rng = np.random.default_rng(seed)
    n = len(ACTIVITIES)
    lengths = rng.integers(5, MAX_LEN + 1, size=events // 5 + 1)
    cum = np.cumsum(lengths)
    cases = int(np.searchsorted(cum, events)) + 1
    lengths = lengths[:cases]
    lengths[-1] -= cum[cases - 1] - events  # the last case ends at exactly --events

    start_p, p = flow(rng)
    cum_p = p.cumsum(axis=1)
    acts = np.empty((cases, MAX_LEN), np.int64)
    acts[:, 0] = rng.choice(n, size=cases, p=start_p)
    for k in range(1, MAX_LEN):
        u = rng.random(cases)
        acts[:, k] = np.minimum((u[:, None] > cum_p[acts[:, k - 1]]).sum(axis=1), n - 1)
    mask = np.arange(MAX_LEN) < lengths[:, None]

    gaps = np.where(rng.random((cases, MAX_LEN)) < TIE_SHARE, 0,
                    1 + rng.exponential(900, (cases, MAX_LEN)).astype(np.int64))
    gaps[:, 0] = 0
    utc = (T0 + rng.integers(0, 180 * 86400, cases))[:, None] + np.cumsum(gaps, axis=1)

    pairs = mask[:, 1:]
    truth = np.bincount(acts[:, :-1][pairs] * n + acts[:, 1:][pairs], minlength=n * n)
    expected = {(ACTIVITIES[i // n], ACTIVITIES[i % n]): int(c) for i, c in enumerate(truth) if c}

    act, t = acts[mask], utc[mask]  # case by case, in the order each case walked
    case = np.repeat(np.arange(cases), lengths)
    starts_run = gaps > 0
    starts_run[:, 0] = True  # a case's first event starts its first run
    tie_run = np.cumsum(starts_run[mask])  # events of one run of ties share a number
    position = rng.permutation(events)
    if keep_ties:  # each run of ties takes back the positions it landed on, in its own order
        position = position[np.lexsort((position, tie_run))]
    order = np.argsort(position)  # order[row] = the event on that row of the file

    weights = np.array([w for _, _, w in OFFSETS], float)
    offset = rng.choice(len(OFFSETS), size=events, p=weights / weights.sum())[order]
    seconds = np.array([s for _, s, _ in OFFSETS])[offset]
    frame = pl.DataFrame({
        "case": case[order], "act": act[order], "local": t[order] + seconds,
        "offset": offset, "t_sep": rng.random(events) < 0.5,
    })
    text = pl.from_epoch("local", time_unit="s").dt.strftime("%Y-%m-%d %H:%M:%S")
    frame.select(
        case=pl.format("case-{}", pl.col("case").cast(pl.String).str.zfill(7)),
        activity=pl.col("act").replace_strict(list(range(n)), ACTIVITIES, return_dtype=pl.String),
        time=pl.concat_str(
            pl.when("t_sep").then(text.str.replace(" ", "T", literal=True)).otherwise(text),
            pl.col("offset").replace_strict(list(range(len(OFFSETS))), [s for s, _, _ in OFFSETS],
                                            return_dtype=pl.String)),
    ).write_csv(path)
    return expected, cases


def run_child(argv: list[str], env: dict | None = None) -> tuple[float, float, str]:
    """(seconds, peak resident MB, output) of one fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(argv)} failed:\n{out}")
    return seconds, usage.ru_maxrss / 1024, out


def pm4py_run(python: Path, csv: Path, out: Path) -> tuple[dict, float]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    _, mb, _ = run_child([str(python), "-c", PM4PY_SIDE, str(csv), str(out)], env)
    return json.loads(out.read_text()), mb


def workprint_import(csv: Path, target: Path) -> tuple[float, float, str]:
    return run_child([sys.executable, "-m", "capture", "import", "eventlog", str(csv), "--case", "case",
                      "--activity", "activity", "--time", "time", "--db", str(target)])


def timed(action, runs: int):
    """(median seconds of ``runs`` calls after one warm-up call, the last result)."""
    result = action()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def transitions(target: Path):
    query, params = queries.bind("transitions", {})
    table = client.read(config.paths(target), query.sql, params)
    return edges(table.column("src").to_pylist(), table.column("dst").to_pylist(), table.column("n").to_pylist())


def baseline(target: Path):
    con = db.open_read_only(target)
    try:
        return edges(*zip(*con.execute(TRANSITIONS_BASELINE).fetchall()))
    finally:
        con.close()


def edges(src, dst, n) -> dict:
    return {(s, d): int(c) for s, d, c in zip(src, dst, n)}


def differences(a: dict, b: dict, limit: int = 5) -> str:
    wrong = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    shown = ", ".join(f"{s} -> {d}: {a.get((s, d))} vs {b.get((s, d))}" for s, d in wrong[:limit])
    return f"{len(wrong)} edges differ ({shown}{', ...' if len(wrong) > limit else ''})"


def secs(s: float) -> str:
    return f"{s:.2f} s" if s >= 1 else f"{s * 1000:.0f} ms"


def ratio(other: float, ours: float, better: str = "faster", worse: str = "slower") -> str:
    """Workprint (``ours``) against ``other``: N.N× faster or slower."""
    return f"{other / ours:.1f}× {better}" if ours <= other else f"{ours / other:.1f}× {worse}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=2_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, metavar="DIR",
                        help="write the log, the databases (their keys in DIR/keys) and pm4py's graph here, and keep them")
    parser.add_argument("--shuffle-ties", action="store_true",
                        help="shuffle tied events too (the file order decides theirs; the generator is not checked)")
    args = parser.parse_args()
    if args.events < 2 or args.runs < 1:
        parser.error("--events must be at least 2 and --runs at least 1")
    pm4py_python = HERE / ".pm4py-venv" / "bin" / "python"
    if not pm4py_python.exists():
        sys.exit("run `bash bench/pm4py_env.sh` first")

    scratch = None if args.keep else tempfile.TemporaryDirectory(prefix="pm4pycmp-")
    work = args.keep or Path(scratch.name)
    work.mkdir(parents=True, exist_ok=True)
    os.environ["WORKPRINT_KEY_DIR"] = str(work / "keys")  # the bench's keys go with its files; the CLI inherits it
    try:
        csv = work / "log.csv"
        t0 = time.perf_counter()
        expected, cases = make_log(csv, args.events, args.seed, keep_ties=not args.shuffle_ties)
        print(f"generated {args.events:,} events in {cases:,} cases, {len(ACTIVITIES)} activities "
              f"({csv.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")

        pm = []
        for run in range(args.runs):
            pm.append(pm4py_run(pm4py_python, csv, work / "pm4py-dfg.json"))
            print(f"pm4py run {run + 1}: read {secs(pm[-1][0]['read_s'])}, discover_dfg {secs(pm[-1][0]['dfg_s'])}, "
                  f"peak {pm[-1][1]:,.0f} MB", flush=True)
        pm_result = pm[-1][0]
        pm_dfg = {(s, d): n for s, d, n in pm_result["dfg"]}

        imports = []
        for run in range(args.runs):
            target = work / f"workprint-{run + 1}.duckdb"
            seconds, mb, out = workprint_import(csv, target)
            imports.append((seconds, mb))
            print(f"workprint import run {run + 1}: {secs(seconds)}, peak {mb:,.0f} MB", flush=True)
            if run < args.runs - 1 and not args.keep:
                for leftover in work.glob(f"{target.name}*"):
                    leftover.unlink()
        for line in out.splitlines():
            if " imported " in line or line.startswith("note:"):
                print("  " + line)

        wp_query_s, wp_dfg = timed(lambda: transitions(target), args.runs)
        base_s, base_dfg = timed(lambda: baseline(target), args.runs)

        checks = [("Workprint transitions", wp_dfg), ("plain DuckDB lead()", base_dfg)]
        if not args.shuffle_ties:
            checks.append(("the generator", expected))
        for name, graph in checks:
            if graph != pm_dfg:
                sys.exit(f"pm4py's directly-follows graph is not {name}'s: {differences(pm_dfg, graph)}")
        if pm_result["events"] != args.events:
            sys.exit(f"pm4py kept {pm_result['events']:,} of {args.events:,} events")
        print(f"directly-follows graph checked: {len(pm_dfg)} edges ({sum(pm_dfg.values()):,} transitions), "
              f"counts equal in pm4py, Workprint transitions, plain DuckDB lead()"
              + ("" if args.shuffle_ties else " and the generator"))

        pm_read = statistics.median(r["read_s"] for r, _ in pm)
        pm_discover = statistics.median(r["dfg_s"] for r, _ in pm)
        pm_mb = max(mb for _, mb in pm)
        wp_import = statistics.median(s for s, _ in imports)
        wp_mb = max(mb for _, mb in imports)
        n = args.events
        print()
        print(f"pm4py {pm_result['pm4py']} (pandas {pm_result['pandas']}) vs Workprint; "
              f"median of {args.runs} run{'s' if args.runs > 1 else ''}, peaks the largest")
        rows = [
            ("", "pm4py", "Workprint", "Workprint is"),
            (f"load a {n:,}-event CSV log", f"{secs(pm_read)}, {n / pm_read:,.0f} events/s",
             f"{secs(wp_import)}, {n / wp_import:,.0f} events/s", ratio(pm_read, wp_import)),
            ("load + directly-follows graph, end to end", secs(pm_read + pm_discover),
             secs(wp_import + wp_query_s), ratio(pm_read + pm_discover, wp_import + wp_query_s)),
            ("DFG query alone", f"{secs(pm_discover)} (discover_dfg)", f"{secs(wp_query_s)} (transitions)",
             ratio(pm_discover, wp_query_s)),
            ("plain DuckDB lead() over the same table", f"{secs(base_s)} (baseline)",
             f"{secs(wp_query_s)} (transitions)", ratio(base_s, wp_query_s)),
            ("peak memory, pm4py vs import", f"{pm_mb:,.0f} MB", f"{wp_mb:,.0f} MB",
             ratio(pm_mb, wp_mb, "less", "more")),
        ]
        for label, a, b, c in rows:
            print(f"{label:<42} {a:>30} {b:>30}  {c}")
        print(f"(not counted for pm4py: `import pandas, pm4py` in its process, "
              f"{secs(statistics.median(r['import_s'] for r, _ in pm))}; Workprint's import counts its whole process)")
    finally:
        if scratch is not None:
            scratch.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
