"""``workprint query list | run NAME``: the named queries, results to stdout.

    workprint query list
    workprint query run NAME [--db PATH] [--param key=value ...] [--format csv|json|parquet] [--out FILE]

Parameters are given as text and cast by each query; a value the query cannot
cast is refused naming the parameter and the form it takes.
"""

from __future__ import annotations

import os
import re
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
    run.add_argument("--out", metavar="FILE", help="write the result to FILE (owner-only) instead of stdout")


# The form each cast of the named queries takes, for a value it refuses.
EXPECTED = {
    "TIMESTAMPTZ": "a date or a date and time, e.g. 2026-11-30, '2026-11-30 09:00' or 2026-11-30T09:00+01:00 "
                   "(or -infinity, infinity)",
    "INTEGER": "a whole number, e.g. 20",
    "DOUBLE": "a number, e.g. 180 or 2.5",
    "BOOLEAN": "true or false",
}
_CAST = re.compile(r"\$(\w+)::(\w+)")


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


def refused_value(name: str, params: dict, error: Exception) -> str | None:
    """The message for a parameter value the query could not cast, naming the
    parameter and the form it takes; None if ``error`` is not about one.
    DuckDB quotes the value it refused ("invalid timestamp field format:
    \"yesterday\"", "Could not convert string 'abc' to INT32")."""
    text = str(error)
    if "Conversion Error" not in text:
        return None
    casts = dict(_CAST.findall(queries.catalog()[name].sql))
    for key, value in params.items():
        if isinstance(value, str) and key in casts and (f'"{value}"' in text or f"'{value}'" in text):
            return f"--param {key}={value} is not {EXPECTED.get(casts[key], 'a ' + casts[key])}"
    return None


def _write(frame, fmt: str, out) -> None:
    if fmt == "csv":
        frame.write_csv(out)
    elif fmt == "json":
        out.write(frame.write_json().encode())
        out.write(b"\n")
    else:
        frame.write_parquet(out)


def cmd_run(args) -> int:
    if args.format == "parquet" and args.out is None and sys.stdout.isatty():
        print("error: --format parquet is binary and would garble your terminal: write it to a file with "
              "--out FILE, or pipe it (| program, > FILE)", file=sys.stderr)
        return 2
    params = _params(args.param)
    control.upgrade(paths.paths(args.db))  # a file from an older Workprint lacks today's macros
    try:
        frame = queries.run(args.name, db=args.db, **params)
    except Exception as exc:
        message = refused_value(args.name, params, exc)
        if message is None:
            raise
        print(f"error: {message}", file=sys.stderr)
        return 2
    if args.out is None:
        _write(frame, args.format, sys.stdout.buffer)
        return 0
    with open(os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        _write(frame, args.format, out)
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
