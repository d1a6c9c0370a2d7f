"""The worker's study commands: ``study list | join | leave | status | release``.

    workprint study list --store PATH
    workprint study join --store PATH --study ID --secret-file FILE [--worker-id ID] [--yes | --sha256 HASH]
    workprint study leave --study ID
    workprint study status [--json]
    workprint study release [--study ID] [--day YYYY-MM-DD]

They go through capture.study_control, as the Privacy page does; joining
shows the exact consent text and asks, as ``team join`` does. Every command
but ``list`` and ``join`` needs the worker's database and makes none: a
mistyped --db is an error, and a join that fails removes the database it
had just made.
"""

from __future__ import annotations

import json

from capture import control, study_control, study_seen, team_control
from store.paths import Paths

from .capture_commands import fail
from .team_worker_commands import _ask, _day, no_database


def add_parser(sub, common) -> None:
    study = sub.add_parser("study", help="studies: join one (consent per study), leave it, see what it received")
    study_sub = study.add_subparsers(dest="study_command", required=True)
    listed = study_sub.add_parser("list", parents=[common], help="the studies a team store holds")
    listed.add_argument("--store", required=True, metavar="PATH", help="the team store (a folder)")
    listed.set_defaults(handler=cmd_study_list)
    join = study_sub.add_parser("join", parents=[common], help="join a study: consent to its daily releases")
    join.add_argument("--store", required=True, metavar="PATH", help="the team store holding the study")
    join.add_argument("--study", required=True, metavar="ID", help="the study's id (see study list)")
    join.add_argument("--secret-file", required=True, metavar="FILE",
                      help="a file holding the organisation's pseudonym secret (never give the secret itself)")
    join.add_argument("--worker-id", metavar="ID", help="the id your pseudonym is made from (default: your login)")
    answer = join.add_mutually_exclusive_group()
    answer.add_argument("--yes", "--accept", dest="yes", action="store_true",
                        help="consent without asking (the text is printed all the same)")
    answer.add_argument("--sha256", help="consent to the text with this hash (shown with it); refused if it changed")
    join.set_defaults(handler=cmd_study_join)
    leave = study_sub.add_parser("leave", parents=[common],
                                 help="leave a study: no release after this, and every file sent to it removed")
    leave.add_argument("--study", required=True, metavar="ID", help="the study's id")
    leave.set_defaults(handler=cmd_study_leave)
    status = study_sub.add_parser("status", parents=[common], help="the studies you joined and what each received")
    status.add_argument("--json", action="store_true", help="print machine-readable JSON")
    status.set_defaults(handler=cmd_study_status)
    release = study_sub.add_parser("release", parents=[common], help="send your study releases now")
    release.add_argument("--study", metavar="ID", help="only this study (default: every study you are in)")
    release.add_argument("--day", type=_day, metavar="YYYY-MM-DD",
                         help="this completed day (default: every completed day not sent yet)")
    release.set_defaults(handler=cmd_study_release)


def cmd_study_list(args, paths: Paths) -> int:
    try:
        found = study_control.listing(args.store)
    except control.ControlError as exc:
        return fail(str(exc))
    if not found:
        print(f"the team store {args.store} holds no study")
    today = study_control.local_today()
    for study in found:
        demo = " (demo)" if study.demo else ""
        ends = f"ends {study.ends}" if study.running(today) else f"ended on {study.ends} (ended: no more releases)"
        print(f"{study.id}: {study.name!r}{demo}, by {study.researcher}; {ends}; k = {study.k}; "
              f"measures: {', '.join(study.measures)}")
    return 0


def cmd_study_join(args, paths: Paths) -> int:
    try:
        offered = study_control.offer(paths, args.store, args.study, args.secret_file, args.worker_id)
        print(offered["text"])
        print(f"(study consent text, sha256 {offered['sha256']})")
        if not (args.yes or args.sha256) and not _ask():
            print("nothing was recorded. To join, run the same command with --yes, or with "
                  f"--sha256 {offered['sha256']}")
            return 1
        done = study_control.join(paths, args.store, args.study, args.secret_file, args.worker_id,
                                  args.sha256 or offered["sha256"])
    except control.ControlError as exc:
        return fail(str(exc))
    entry = next(s for s in done["studies"] if s["study"] == offered["study"])
    print(f"joined study {entry['study']!r} (study consent version {entry['consent']['version']}); your "
          f"pseudonym in it is {entry['membership']['pseudonym'][:16]}…")
    print(f"completed days from tomorrow until {entry['ends']} are released once a day while capture runs, "
          "or with: python -m capture study release")
    if offered["default_worker_id"]:
        print("note: " + team_control.same_id_hint(offered["worker_id"]))
    return 0


def cmd_study_leave(args, paths: Paths) -> int:
    if not paths.db.exists():
        return no_database(paths)
    try:
        done = study_control.leave(paths, args.study)
    except control.ControlError as exc:
        return fail(str(exc))
    print(f"left study {done['study']!r}: consent withdrawn, no release is sent from now on" if done["left"]
          else f"you had left study {done['study']!r} already")
    if done["remove_error"]:
        return fail(f"the files you sent to it could not be removed yet (run study leave again): "
                    f"{done['remove_error']}", 1)
    print(f"removed {len(done['removed'])} file(s) you sent to it from the store")
    for kept in done["kept"]:
        print(f"not removed: {kept}")
    return 0


def _in_store(entry: dict) -> str:
    """How many of the releases held are in the store as sent, gone or changed (study_seen's read-back)."""
    if entry["store_error"]:
        return f"the store cannot be read now: {entry['store_error']}"
    counts = entry["in_store"]
    said = (f"in the store: {counts[study_seen.AS_SENT]} as sent, {counts[study_seen.GONE]} gone, "
            f"{counts[study_seen.CHANGED]} changed")
    return said + (" (a file gone or changed is not the one you sent: see the Privacy page)"
                   if counts[study_seen.GONE] or counts[study_seen.CHANGED] else "")


def _headline(entry: dict) -> str:
    member = entry["membership"]
    name = f"study {entry['study']!r} ({entry['name']})"
    where = f"store {member['store']}"
    if not entry["in_study"]:
        left = str(member["left_at"])[:10]
        ends = f"the study ended on {entry['ends']}" if entry["ended"] else f"the study ends on {entry['ends']}"
        return f"left {name} on {left} (the day you left); {ends}; {where}"
    if entry["ended"]:
        return f"{name} ended on {entry['ends']}, nothing more is sent; {where}"
    return f"in {name} until it ends on {entry['ends']}; {where}, pseudonym {member['pseudonym'][:16]}…"


def cmd_study_status(args, paths: Paths) -> int:
    if not paths.db.exists():
        return no_database(paths)
    try:
        state = study_seen.releases(paths)
    except control.ControlError as exc:
        return fail(str(exc))
    for entry in state["studies"]:  # the status, and what the read-back found, without the rows themselves
        seen = [s["state"] for s in entry.pop("seen")]
        entry["in_store"] = {k: seen.count(k) for k in (study_seen.AS_SENT, study_seen.GONE, study_seen.CHANGED)}
        for bulky in ("records", "promise", "promise_text"):
            entry.pop(bulky, None)
    if args.json:
        print(json.dumps(state, default=str, indent=2))
        return 0
    if not state["studies"]:
        print("you have not joined a study: nothing is sent to any")
    for entry in state["studies"]:
        print(_headline(entry))
        consent = entry["consent"]
        print(f"  consent: given (version {consent['version']}) on {consent['at']}" if consent["given"]
              else "  consent: withdrawn")
        last = entry["last_release"]
        print(f"  {entry['releases']} release(s) held, {entry['removed']} removed"
              + (f"; newest: {last['day']}, sent {last['sent']}" if last else ""))
        if entry["releases"]:
            print("  " + _in_store(entry))
    return 0


def cmd_study_release(args, paths: Paths) -> int:
    if not paths.db.exists():
        return no_database(paths)
    try:
        sent = study_control.send(paths, args.day, args.study)
    except control.ControlError as exc:
        return fail(str(exc))
    if not sent:
        print("nothing to send: no completed day with data is waiting for a study you are in")
    for release in sent:
        state = "sent" if release["new"] else "already in the store, unchanged"
        print(f"{release['day']} to study {release['study']}: {state}: {release['key']} ({release['bytes']} bytes, "
              f"sha256 {release['sha256'][:16]}…)")
    return 0
