"""``python -m capture demo``: write the generated demo into its own database."""

from __future__ import annotations

import datetime as dt
import sys

import store
from store import paths as store_paths


def add_parser(sub, common) -> None:
    """Register the ``demo`` subcommand (its own --db: the demo never goes into your own database)."""
    parser = sub.add_parser("demo", help="write a generated demo history into a demo database")
    parser.add_argument("--db", help="the demo database (default: $WORKPRINT_DEMO_DB or data/demo.duckdb, the one "
                                     "the dashboard shows); never your own database")
    parser.add_argument("--workers", type=int, default=8, help="how many workers (default 8)")
    parser.add_argument("--teams", type=int, default=2, help="how many teams (default 2)")
    parser.add_argument("--days", type=int, default=14, help="days of history (default 14)")
    parser.add_argument("--seed", type=int, default=1, help="same seed, same data (default 1)")
    parser.add_argument("--end", type=dt.date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help="last day of the history (default: yesterday, so nothing lies in the future)")
    parser.add_argument("--if-needed", action="store_true",
                        help="only if no current demo is there (what ./run.sh dashboard does before it starts)")
    parser.set_defaults(handler=run)


def run(args, paths) -> int:
    from .generate import DemoError, generate  # numpy only when a demo is made

    end = args.end or dt.date.today() - dt.timedelta(days=1)
    db = store_paths.demo_db_path(args.db)
    if db == store_paths.db_path():
        print(f"error: {db} is your own database (where capture and imports go); the demo writes only to a "
              "demo database: leave out --db (data/demo.duckdb) or give another file", file=sys.stderr)
        return 2
    try:
        con = store.open_writable(db)
    except store.StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        generate(con, args.workers, args.teams, args.days, args.seed, end)
    except DemoError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    finally:
        con.close()
    print(f"  written to {db} (marked as demo data)")
    return write_team_store(store_paths.demo_team_path(db), args.seed, end)


def write_team_store(root, seed: int = 1, end: dt.date | None = None) -> int:
    """The demo team store beside the demo database (demo.team), for the Team page."""
    import time

    from .team import DemoTeamError, generate

    started = time.monotonic()
    try:
        made = generate(root, seed, end)
    except (DemoTeamError, OSError) as exc:
        print(f"error: the demo team store: {exc}", file=sys.stderr)
        return 2
    print(f"  demo team store: {len(made['teams'])} teams, {made['releases']:,} daily releases, "
          f"{made['first']} to {made['last']}, written to {root} in {time.monotonic() - started:.1f} s")
    return 0
