"""Research and team queries on DuckDB and on Spark local mode, at 1,000, 10,000 and 100,000 workers x one
year of daily releases, over the engine-neutral Parquet dataset (team/dataset.py; bench/research_gen.py).

    .venv/bin/python bench/research_bench.py [--workers 1000 10000 100000] [--runs 3] [--data /tmp/wp-bench]

For each size: the dataset is generated (unless already there) and its size on disk printed; then each
team/explore.sql statement whose tables the size has, and each team contribution statement (team.sql
contrib_*: one manager's read, 10 teams x 4 weeks, the same work at every size), is run ``runs`` times on
each engine: the median (and the first run, which includes Spark's planning and file listing) is printed.
Spark's session start is timed once. The machine's load average is printed, since others share it.
Figures go to <data>/results.json; --table prints the markdown table of RESULTS.md from it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import research_gen as gen  # noqa: E402
import sqlglot  # noqa: E402
from sqlglot import exp  # noqa: E402

from team import dataset, draw, engines, noise  # noqa: E402

TEAM_READ = {"teams": 10, "weeks": 4}
EXPLORE = {"measure": "active_minutes", "by1": "week", "by2": "none", "first": gen.DAY0,
           "last": gen.DAY0 + dt.timedelta(days=gen.DAYS - 1), "wd_lo": 1, "wd_hi": 7, "k": 5, "category": "",
           "bin": -1}


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*.parquet"))


def _tables(sql: str) -> set[str]:
    tree = sqlglot.parse_one(sql, read="duckdb")
    return {t.name for t in tree.find_all(exp.Table)} - {c.alias_or_name for c in tree.find_all(exp.CTE)}


def queries(root: Path) -> list[tuple[str, str, dict]]:
    """(label, statement, params) of every statement this dataset has the tables for."""
    have = set(dataset.tables(root))
    named = engines.statements()
    out = []
    for name, statement in sorted(named.items()):
        if statement.file == "explore.sql" and _tables(statement.sql) <= have:
            out.append((name, name, {p: EXPLORE[p] for p in statement.params}))
    teams = [f"t{i:05d}" for i in range(TEAM_READ["teams"])]
    weeks = [gen.DAY0 + dt.timedelta(weeks=20 + w) for w in range(TEAM_READ["weeks"])]
    for m in noise.MEASURES:
        name, params = draw.contribution_query(m.name, teams, weeks)
        out.append((f"{name}[{m.name}]" if name == "contrib_rhythm" else name, name, params))
    return out


def timed(engine, name: str, params: dict, runs: int) -> tuple[float, float, int]:
    times, n = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        n = len(engine.rows(name, **params))
        times.append(time.perf_counter() - start)
    return statistics.median(times), times[0], n


def bench(workers: int, data: Path, runs: int, results: dict, only: list[str] | None = None) -> None:
    root = data / f"w{workers}"
    if not (root / "releases").exists() or set(dataset.tables(root)) != set(gen.tables_for(workers)):
        print(f"generating {workers} workers x {gen.DAYS} days under {root}", flush=True)
        start = time.monotonic()
        rows = gen.generate(root, workers, log=lambda s: print(s, flush=True))
        print(f"  generated in {time.monotonic() - start:.0f} s: {rows}", flush=True)
    sizes = {t: _du(p) for t, p in dataset.tables(root).items()}
    print(f"{workers} workers on disk: " + ", ".join(f"{t} {s / 1e6:.0f} MB" for t, s in sizes.items())
          + f"; total {sum(sizes.values()) / 1e9:.2f} GB", flush=True)
    entry = results.setdefault(str(workers), {"sizes": sizes, "queries": {}})
    entry["sizes"] = sizes
    start = time.monotonic()
    session = engines.spark_session(conf={"spark.driver.memory": "6g"})
    results.setdefault("spark_start_s", round(time.monotonic() - start, 1))
    duck, spark = engines.DuckDB(root), engines.Spark(root, session)
    for label, name, params in queries(root):
        if only and not any(label.startswith(prefix) for prefix in only):
            continue
        for engine in (duck, spark):
            median, first, n = timed(engine, name, params, runs)
            entry["queries"].setdefault(label, {})[engine.name] = {"median_s": median, "first_s": first, "rows": n}
            print(f"  {workers:>6} {label:32} {engine.name:6} median {median * 1000:9.0f} ms  first "
                  f"{first * 1000:9.0f} ms  rows {n:>7}  load {os.getloadavg()[0]:.1f}", flush=True)
        (data / "results.json").write_text(json.dumps(results, indent=1, default=str))
    duck.close()
    spark.close()


def table(results: dict) -> str:
    sizes = sorted(int(w) for w in results if w.isdigit())
    labels = list(dict.fromkeys(label for w in sizes for label in results[str(w)]["queries"]))
    head = "| query | " + " | ".join(f"{w:,} DuckDB | {w:,} Spark" for w in sizes) + " | growth DuckDB | growth Spark |"
    lines = [head, "|" + "---|" * (2 * len(sizes) + 3)]
    for label in labels:
        cells, ms = [], {}
        for w in sizes:
            q = results[str(w)]["queries"].get(label, {})
            for e in ("duckdb", "spark"):
                value = q.get(e, {}).get("median_s")
                ms[(w, e)] = value
                cells.append("—" if value is None else f"{value * 1000:,.0f}")
        growth = [f"{ms[(sizes[-1], e)] / ms[(sizes[0], e)]:.1f}x"
                  if ms.get((sizes[0], e)) and ms.get((sizes[-1], e)) else "—" for e in ("duckdb", "spark")]
        lines.append(f"| {label} | " + " | ".join(cells) + " | " + " | ".join(growth) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", type=Path, default=Path("/tmp/wp-bench"))
    parser.add_argument("--table", action="store_true", help="print the markdown table of results.json")
    parser.add_argument("--only", nargs="+", help="only the queries whose label starts with one of these")
    args = parser.parse_args()
    path = args.data / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    if args.table:
        print(table(results))
        return
    args.data.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {os.getloadavg()}", flush=True)
    for workers in args.workers:
        bench(workers, args.data, args.runs, results, args.only)
    print(table(results))


if __name__ == "__main__":
    main()
