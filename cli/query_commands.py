"""``workprint query list | run NAME``: the named queries, results to stdout.

    workprint query list
    workprint query run NAME [--db PATH] [--param key=value ...] [--format csv|json|parquet]

Parameters are given as text and cast by each query.
"""

from __future__ import annotations

import sys

import queries
import store
from capture import control
from store import client, paths


def add_parser(sub) -> None:
    parser = sub.add_parser("query", help="list or run the named queries (results to stdout)",
                            description="Workprint's named queries")
    parser.set_defaults(handler=cmd_query)
    qsub = parser.add_subparsers(dest="query_command", required=True)
    qsub.add_parser("list", help="every query with its parameters")
    run = qsub.add_parser("run", help="run one query; the result goes to stdout")
    run.add_argument("name")
    run.add_argument("--db", help="database file (default: $WORKPRINT_DB or data/workprint.duckdb)")
    run.add_argument("--param", action="append", default=[], metavar="KEY=VALUE")
    run.add_argument("--format", choices=("csv", "json", "parquet"), default="csv")


def _text(value) -> str:
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def cmd_list() -> int:
    for name in queries.names():
        query = queries.catalog()[name]
        print(f"{name}  ({query.file})")
        print(f"    {query.doc}")
        for param in query.params:
            default = f" (default: {_text(query.defaults[param])})" if param in query.defaults else " (required)"
            print(f"    --param {param}=...  {query.param_docs.get(param, '')}{default}")
    return 0


def _params(pairs: list[str]) -> dict:
    params = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"--param needs key=value, got {pair!r}")
        params[key] = None if value.lower() == "null" else value
    return params


def cmd_run(args) -> int:
    control.upgrade(paths.paths(args.db))  # a file from an older Workprint lacks today's macros
    frame = queries.run(args.name, db=args.db, **_params(args.param))
    out = sys.stdout.buffer
    if args.format == "csv":
        frame.write_csv(out)
    elif args.format == "json":
        out.write(frame.write_json().encode())
        out.write(b"\n")
    else:
        frame.write_parquet(out)
    return 0


def cmd_query(args) -> int:
    if args.query_command == "list":
        return cmd_list()
    try:
        return cmd_run(args)
    except (KeyError, ValueError, store.StoreError, client.DaemonError, control.ControlError) as exc:
        message = exc.args[0] if isinstance(exc, KeyError) and exc.args else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - DuckDB's errors (a bad parameter value, say) name what was wrong
        print(f"error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
