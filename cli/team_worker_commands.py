"""The worker's team commands: ``team join | leave | status`` and ``release``.

    workprint team join --store PATH --team NAME --secret-file FILE [--worker-id ID] [--yes | --sha256 HASH]
    workprint team leave [--remove-releases]
    workprint team status [--json]
    workprint release [--day YYYY-MM-DD]

They go through capture.team_control, as the Privacy page does. The team
server's commands (account, serve, init-store) live beside these under the
same ``team`` group, in their own module.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

from capture import control, team_control
from store.paths import Paths

from .capture_commands import fail


def add_team_parsers(team_sub, common) -> None:
    """The worker's subcommands of ``team`` (``team_sub``: the group's subparsers)."""
    join = team_sub.add_parser("join", parents=[common], help="join a team: consent to daily releases of aggregates")
    join.add_argument("--store", required=True, metavar="PATH", help="the team store (a folder your organisation set up)")
    join.add_argument("--team", required=True, metavar="NAME", help="the team's name")
    join.add_argument("--secret-file", required=True, metavar="FILE",
                      help="a file holding the organisation's pseudonym secret (never give the secret itself)")
    join.add_argument("--worker-id", metavar="ID", help="the id your pseudonym is made from (default: your login)")
    answer = join.add_mutually_exclusive_group()
    answer.add_argument("--yes", "--accept", dest="yes", action="store_true",
                        help="consent without asking (the text is printed all the same)")
    answer.add_argument("--sha256", help="consent to the text with this hash (shown with it); refused if it changed")
    join.set_defaults(handler=cmd_team_join)
    leave = team_sub.add_parser("leave", parents=[common], help="revoke team consent: no release is sent after this")
    leave.add_argument("--remove-releases", action="store_true",
                       help="also delete every file you released from the team store")
    leave.set_defaults(handler=cmd_team_leave)
    status = team_sub.add_parser("status", parents=[common], help="your team, your team consent, releases sent")
    status.add_argument("--json", action="store_true", help="print machine-readable JSON")
    status.set_defaults(handler=cmd_team_status)


def add_release_parser(sub, common) -> None:
    release = sub.add_parser("release", parents=[common], help="send your daily team releases now")
    release.add_argument("--day", type=_day, metavar="YYYY-MM-DD",
                         help="this completed day (default: every completed day not sent yet)")
    release.set_defaults(handler=cmd_release)


def _day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        import argparse

        raise argparse.ArgumentTypeError(f"{text!r} is not a day: give YYYY-MM-DD") from None


def no_database(paths: Paths) -> int:
    """The error of a command that needs the worker's database where there is
    none: a mistyped --db must not make a new, empty one."""
    return fail(f"no Workprint database at {paths.db}: check --db (or $WORKPRINT_DB); nothing was created")


def _ask() -> bool:
    if not sys.stdin.isatty():
        return False
    try:
        return input("Type yes to consent to these releases: ").strip().lower() in ("yes", "y")
    except EOFError:
        return False


def cmd_team_join(args, paths: Paths) -> int:
    try:
        offered = team_control.offer(paths, args.store, args.team, args.secret_file, args.worker_id)
        print(offered["text"])
        print(f"(team consent text, sha256 {offered['sha256']})")
        if not (args.yes or args.sha256):
            if not _ask():
                print("nothing was recorded. To join, run the same command with --yes, or with "
                      f"--sha256 {offered['sha256']}")
                return 1
        done = team_control.join(paths, args.store, args.team, args.secret_file, args.worker_id,
                                 args.sha256 or offered["sha256"])
    except control.ControlError as exc:
        return fail(str(exc))
    member = done["membership"]
    print(f"joined team {member['team']!r} (team consent version {done['consent']['version']}); your pseudonym "
          f"there is {member['pseudonym'][:16]}…")
    print("completed days from tomorrow on are released once a day while capture runs, or with: "
          "python -m capture release")
    if offered["default_worker_id"]:
        print("note: " + team_control.same_id_hint(offered["worker_id"]))
    return 0


def cmd_team_leave(args, paths: Paths) -> int:
    if not paths.db.exists():
        return no_database(paths)
    try:
        done = team_control.leave(paths, args.remove_releases)
    except control.ControlError as exc:
        return fail(str(exc))
    print(f"left team {done['team']!r}: team consent withdrawn, no release is sent from now on" if done["left"]
          else f"you had left team {done['team']!r} already")
    if args.remove_releases:
        if done["remove_error"]:
            return fail(f"your released files could not be removed: {done['remove_error']}", 1)
        print(f"removed {len(done['removed'])} released file(s) from the team store")
        for kept in done["kept"]:
            print(f"not removed: {kept}")
    return 0


def cmd_team_status(args, paths: Paths) -> int:
    if not paths.db.exists():
        return no_database(paths)
    try:
        state = team_control.status(paths)
    except control.ControlError as exc:
        return fail(str(exc))
    if args.json:
        print(json.dumps(state, default=str, indent=2))
        return 0
    member = state["membership"]
    if member is None:
        print("you have not joined a team: nothing is released")
        return 0
    where = f"team {member['team']!r}, store {member['store']}, pseudonym {member['pseudonym'][:16]}…"
    print(f"in {where}" if state["in_team"] else f"left {where} on {member['left_at']}")
    consent = state["consent"]
    print(f"team consent: given (version {consent['version']}) on {consent['at']}" if consent["given"]
          else "team consent: withdrawn" if consent["action"] else "team consent: never given")
    last = state["last_release"]
    print(f"{state['releases']} release(s) sent" + (f"; newest: {last['day']}, sent {last['sent']}" if last else ""))
    return 0


def cmd_release(args, paths: Paths) -> int:
    if not paths.db.exists():
        return no_database(paths)
    try:
        sent = team_control.send(paths, args.day)
    except control.ControlError as exc:
        return fail(str(exc))
    if not sent:
        print("nothing to send: every completed day with data since you joined is in the team store already")
    for release in sent:
        state = "sent" if release["new"] else "already in the team store, unchanged"
        print(f"{release['day']}: {state}: {release['key']} ({release['bytes']} bytes, sha256 "
              f"{release['sha256'][:16]}…)")
        print("  " + json.dumps(release["content"], sort_keys=True))
    return 0
