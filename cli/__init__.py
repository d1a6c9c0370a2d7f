"""The ``workprint`` command: every subcommand of Workprint in one place.

    workprint run | stop | status | pause | resume | consent | settings | categories | purge | delete
    workprint export --format F | inventory | access-log
    workprint import FORMAT ... | demo ...
    workprint team join | leave | status, release   (the worker: cli/team_worker_commands.py)
    workprint query list | query run NAME ...
    workprint team init-store | team account ... | team serve ...   (the team server; cli/team_commands.py)
    workprint team study create | list | sync | export   (the research server; cli/research_commands.py)

``python -m capture ...`` is the same command; ``python -m queries ...`` is
``workprint query ...``. This package sits above every other: it builds the
command (capture's subcommands here, ``import`` and ``demo`` registered by
those packages) and hands each to capture's controller, the importers, the
demo or the query layer.
"""

from __future__ import annotations

import os
import sys

from store import client as store_client
from store import paths as store_paths

from . import lean, query_commands


def _parser():
    import argparse

    import importers
    from demo import cli as demo_cli

    from . import capture_commands, research_commands, team_commands, team_worker_commands

    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database file (default: $WORKPRINT_DB or data/workprint.duckdb)")
    parser = argparse.ArgumentParser(prog="workprint", description="Workprint: how your computer work flows")
    sub = parser.add_subparsers(dest="command", required=True)
    capture_commands.add_parsers(sub, common)
    importers.add_parser(sub, common)
    demo_cli.add_parser(sub, common)
    query_commands.add_parser(sub)
    # One `team` group: the team server's commands (init-store, account, serve) and the worker's (join,
    # leave, status) side by side.
    team_sub = team_commands.add_parser(sub)
    team_worker_commands.add_team_parsers(team_sub, common)
    research_commands.add_parsers(team_sub)  # team study create | list | sync | export
    team_worker_commands.add_release_parser(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; its exit code (2 with an ``error:`` line for bad input)."""
    argv = sys.argv[1:] if argv is None else argv
    store_paths.private_files()  # every file Workprint makes (database, WAL, log, exports) is its owner's alone
    store_client.identify("workprint-cli")  # the worker's own reads: not in the access log (store.accesslog)
    lean.keep_lean(argv)
    args = _parser().parse_args(argv)
    try:
        if args.command == "query" or getattr(args, "server_command", False):  # no worker database involved
            return args.handler(args)
        if args.command == "demo" and args.if_needed:  # the demo's own command, ahead of the dashboard
            from . import capture_commands

            return capture_commands.demo_if_needed(args)
        paths = store_paths.paths(args.db)
        try:
            paths.socket  # noqa: B018 - checks the private socket folder now, not mid-command
        except PermissionError as exc:
            from . import capture_commands

            return capture_commands.fail(str(exc))
        return args.handler(args, paths)
    except KeyboardInterrupt:  # each command leaves its files whole; say it stopped, without a traceback
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (`| head`): not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def queries_main(argv: list[str] | None = None) -> int:
    """``python -m queries ARGS`` is ``workprint query ARGS``, with only the
    query commands built: the start-up of a process that runs one query is
    most of its time (capture's commands bring pydantic and the settings)."""
    import argparse

    argv = sys.argv[1:] if argv is None else argv
    store_paths.private_files()
    store_client.identify("workprint-cli")
    lean.keep_lean(["query"])
    parser = argparse.ArgumentParser(prog="workprint", description="Workprint: how your computer work flows")
    query_commands.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["query", *argv])
    try:
        return args.handler(args)
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
