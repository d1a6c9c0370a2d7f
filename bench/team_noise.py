"""How noisy the team figures are, measured: teams of 5, 10 and 25 people,
each releasing five days a week (tests/team_gen.py's releases), read for one
week and for 12 weeks, every view but compare (its figures are sums of the others'), many times over, each time as a fresh
server would draw them.

    .venv/bin/python bench/team_noise.py [--rounds 20]

For each view it prints the 95th percentile of |figure - figure without
noise| over all shown cells and rounds (what the noise actually did), next to
the median half-width of the 95 % interval the read reports (what it says),
in the view's own unit; and how many of the view's cells were shown (the
rest suppressed: fewer than k people).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
import team_gen as g  # noqa: E402

from team import ingest, ledger, noise, views  # noqa: E402
from team.viewer import Viewer  # noqa: E402

VIEWER = Viewer("bench", "admin", frozenset({"T"}))
VIEWS = [v for v in views.VIEWS if v != "compare"]  # compare's figures are the others' sums, in mixed units
KEYS = {"activity": ["weekday", "hour"], "categories": ["week", "category"], "switching": ["week"],
        "focus": ["bin_lo"], "typing": ["bin_lo"], "clicking": ["bin_lo"], "compare": ["measure", "period"]}


def _forget(state: Path) -> None:
    with ledger.opened(state) as con:
        for table in ("draws", "spent", "drawn", "members"):
            con.execute("DELETE FROM " + table)  # noqa: S608 (a fixed table name: a fresh server's ledger)


def _reads(store, state, weeks) -> dict[str, pl.DataFrame]:
    return {v: views.read(VIEWER, v, ["T"], weeks, store=store, state=state).frame for v in VIEWS}


def measure(size: int, rounds: int) -> list[tuple]:
    root = Path(tempfile.mkdtemp(prefix=f"team-noise-{size}-"))
    store = g.build(root / "store", {"T": size}, weeks=24, seed=size)
    state = root / "state"
    with ledger.opened(state) as con:
        ingest.sync(con, store)
    out = []
    for label, weeks in (("1 week", [g.WEEK0 + dt.timedelta(weeks=12)]),
                         ("12 weeks", [g.WEEK0 + dt.timedelta(weeks=12 + i) for i in range(12)])):
        real = noise.draw
        noise.draw = lambda m, rho, vector: (list(vector), noise.scale(m, rho))
        try:
            exact = _reads(store, state, weeks)
        finally:
            noise.draw = real
        errors = {v: [] for v in VIEWS}
        halves = {v: [] for v in VIEWS}
        shown = {}
        for _ in range(rounds):
            _forget(state)
            for view, frame in _reads(store, state, weeks).items():
                keys = ["team", *KEYS[view]]
                both = frame.join(exact[view].select(*keys, pl.col("value").alias("exact")), on=keys)
                both = both.filter(~pl.col("suppressed"))
                errors[view] += (both["value"] - both["exact"]).abs().to_list()
                halves[view] += ((both["hi"] - both["lo"]) / 2).to_list()
                shown[view] = (both.height, frame.height)
        _forget(state)
        for view in VIEWS:
            e = pl.Series(errors[view])
            h = pl.Series(halves[view])
            out.append((size, label, view, e.quantile(0.95) if e.len() else None, h.median() if h.len() else None,
                        shown[view]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="*", default=[5, 10, 25])
    args = parser.parse_args()
    print(f"rho {noise.RHO_DEFAULT} zCDP per team-week (epsilon {noise.epsilon(noise.RHO_DEFAULT):.1f} at delta 1e-6), "
          f"k {views.K_DEFAULT}, {args.rounds} draws each")
    print(f"{'team':>4}  {'period':8}  {'view':10}  {'95% |error|':>11}  {'stated ±':>9}  shown")
    for size in args.sizes:
        for size_, label, view, err, half, (n, total) in measure(size, args.rounds):
            e = f"{err:11.3g}" if err is not None else f"{'-':>11}"
            h = f"{half:9.3g}" if half is not None else f"{'-':>9}"
            print(f"{size_:>4}  {label:8}  {view:10}  {e}  {h}  {n}/{total}")


if __name__ == "__main__":
    main()
