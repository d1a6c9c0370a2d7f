"""The capture subcommands: run, stop, status, pause, resume, consent, categories,
settings, purge, delete, export, inventory, access-log.

Each handler is named after its command and goes through
:mod:`capture.control`, as the dashboard does; only ``run`` starts the daemon
in this process.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import logging.handlers
import os
import sys
import time
import tomllib

from capture import control
from store.paths import Paths, private_folder


def fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def add_parsers(sub, common) -> None:
    run = sub.add_parser("run", parents=[common], help="capture until stopped (Ctrl-C or 'stop')")
    run.add_argument("--backend", help="x11 or replay (default: $WORKPRINT_BACKEND, else the platform's)")
    run.add_argument("--replay", help="replay options, e.g. rate=200 or file=events.jsonl (default: $WORKPRINT_REPLAY)")
    run.add_argument("--idle-threshold", type=float, default=180.0, metavar="SECONDS",
                     help="no input for this long counts as idle (default 180)")
    run.add_argument("--flush-interval", type=float, default=1.0, metavar="SECONDS",
                     help="write to the database at least this often (default 1)")
    run.set_defaults(handler=cmd_run)

    sub.add_parser("stop", parents=[common], help="stop the running daemon, flushing everything"
                   ).set_defaults(handler=cmd_stop)
    status = sub.add_parser("status", parents=[common], help="is capture running, and what has it stored")
    status.add_argument("--json", action="store_true", help="print machine-readable JSON")
    status.set_defaults(handler=cmd_status)
    pause = sub.add_parser("pause", parents=[common], help="stop recording input until resumed, or for a while")
    when = pause.add_mutually_exclusive_group()
    when.add_argument("--for", dest="for_", metavar="DURATION", help="for a while: 30m, 2h, 1h30m, 1d")
    when.add_argument("--until", metavar="WHEN", help="until then: tomorrow, 17:30, or 2026-12-01T17:30+01:00")
    pause.set_defaults(handler=cmd_pause)
    sub.add_parser("resume", parents=[common], help="record input again (ends a pause for a while too)"
                   ).set_defaults(handler=cmd_resume)

    settings = sub.add_parser("settings", parents=[common], help="show or change what is recorded, when, and "
                              "for how long (the settings file)")
    settings.add_argument("action", nargs="?", choices=("show", "set", "unset", "add", "remove"), default="show",
                          help="show (default); set KEY VALUE; unset KEY; add KEY VALUE or remove KEY VALUE "
                               "(for lists)")
    settings.add_argument("key", nargs="?", help="a dotted key, e.g. exclude.apps, retention.raw_days, "
                                                 "work_hours.days.mon-fri")
    settings.add_argument("value", nargs="?", help="a TOML value (true, 30, [\"a\", \"b\"]) or plain text")
    settings.set_defaults(handler=cmd_settings)

    cats = sub.add_parser("categories", parents=[common], help="show or edit the rules that put apps in categories")
    cats.add_argument("--add", nargs=2, metavar=("PATTERN", "CATEGORY"),
                      help="apps matching PATTERN (a regular expression, any case) go to CATEGORY")
    cats.add_argument("--priority", type=int, help="with --add: lower numbers are tried first (default: last)")
    cats.add_argument("--remove", metavar="PATTERN", help="remove the rule with this pattern")
    cats.set_defaults(handler=cmd_categories)

    consent = sub.add_parser("consent", parents=[common], help="show, give or withdraw consent")
    group = consent.add_mutually_exclusive_group()
    group.add_argument("--accept", action="store_true", help="consent to capture")
    group.add_argument("--withdraw", action="store_true", help="withdraw consent; stops a running daemon")
    consent.add_argument("--sha256", help="with --accept: the hash of the text you read (shown with it); "
                                         "refused if the text has changed since")
    consent.set_defaults(handler=cmd_consent)
    add_retention_parsers(sub, common)
    add_rights_parsers(sub, common)


# --- run: the daemon, in this process ------------------------------------------
def _setup_logging(paths: Paths) -> None:
    """Log to <db>.log (rotated) and stderr; $WORKPRINT_LOG_LEVEL=DEBUG logs every batch."""
    private_folder(paths.db.parent)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger("workprint")
    root.setLevel(os.environ.get("WORKPRINT_LOG_LEVEL", "INFO").upper())
    to_file = logging.handlers.RotatingFileHandler(paths.log, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    handlers: list[logging.Handler] = [to_file]
    if not _same_file(sys.stderr, paths.log):  # started with stderr sent to the log: say things once
        to_stderr = logging.StreamHandler(sys.stderr)
        to_stderr.setLevel(logging.INFO)
        handlers.append(to_stderr)
    for handler in handlers:
        handler.setFormatter(fmt)
        root.addHandler(handler)


def _same_file(stream, path) -> bool:
    try:
        a, b = os.fstat(stream.fileno()), os.stat(path)
    except (OSError, ValueError):
        return False
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def demo_if_needed(args) -> int:
    """``demo --if-needed``: make the demo unless a current one is at its place."""
    from demo import cli as demo_cli
    from demo import team as demo_team
    from store.paths import demo_db_path, demo_team_path

    db, team_root = demo_db_path(args.db), demo_team_path(args.db)
    if control.demo_ready(db):
        print(f"demo data ready in {db}")
    else:
        print(f"generating the demo data in {db} (once; the dashboard shows it until you capture your own)...",
              flush=True)
        started = time.monotonic()
        try:
            control.ensure_demo(db)  # the demo command writes the demo team store too
        except control.ControlError as exc:
            return fail(str(exc))
        print(f"  done in {time.monotonic() - started:.1f} s")
    if demo_team.ready(team_root):
        print(f"demo team store ready in {team_root}")
    else:
        print(f"generating the demo team store in {team_root} (the Team page shows it)...", flush=True)
        code = demo_cli.write_team_store(team_root)
        if code:
            return code
    _demo_study_ledgers(team_root)
    return 0


def _demo_study_ledgers(team_root) -> None:
    """Take the demo study's releases into its ledger now, so that the first Explore page does not wait on it
    (a few seconds); a later page takes in only what is new."""
    from sharing import studies, teamstore
    from team import study_ledger

    try:
        store = teamstore.open_store(team_root)
        for study in (s for s in studies.listing(store) if s.demo):
            started = time.monotonic()
            with study_ledger.opened(team_root / ".server-state", study) as con:
                report = study_ledger.sync(con, store, study)
            if report.added or report.replaced or report.removed:
                print(f"  the demo study's ledger took in {report.added + report.replaced} release(s) "
                      f"in {time.monotonic() - started:.1f} s (the Explore page reads it)")
    except (teamstore.StoreError, OSError, ValueError, LookupError) as exc:
        print(f"note: the demo study's ledger could not be brought up to date now ({exc}); the Explore page "
              "will do it when it opens", file=sys.stderr)


def cmd_run(args, paths: Paths) -> int:
    from capture.backends import replay
    from capture.daemon import FILE_LOST, Daemon, DaemonStartError, Settings

    _setup_logging(paths)
    settings = Settings(
        backend=args.backend,
        backend_options=replay.parse_options(args.replay or os.environ.get("WORKPRINT_REPLAY")),
        idle_threshold=args.idle_threshold,
        flush_interval=args.flush_interval,
    )
    daemon = Daemon(paths, settings)
    try:
        code = daemon.run()
    except DaemonStartError as exc:
        return fail(str(exc), exc.exit_code)
    if daemon.exit_reason:
        print(f"error: {daemon.exit_reason}", file=sys.stderr)
    if code == FILE_LOST:  # never close the lost file: closing would delete the new file's WAL
        logging.shutdown()
        sys.stderr.flush()
        os._exit(code)
    return code


# --- the rest: through the controller ------------------------------------------
def cmd_stop(args, paths: Paths) -> int:
    try:
        control.stop(paths)
    except control.NotRunning as exc:
        return fail(str(exc), 1)
    except control.ControlError as exc:
        return fail(str(exc))
    print("capture stopped")
    return 0


def _print_status(status: dict) -> None:
    if status["running"]:
        holds = status.get("holds") or {}
        state = "held, recording nothing: " + "; ".join(holds.values()) if holds else (
            "an excluded app has focus: recording nothing" if status.get("excluded_in_focus") else "capturing")
        print(f"running ({state}) since {status['since']}, pid {status['pid']}, backend {status['backend']}")
        if "consent" in holds:
            print("to read what is recorded now and accept it: python -m capture consent")
        stored = "unknown (the database cannot be read now)" if status["events_stored"] is None else status["events_stored"]
        print(f"events stored: {stored}, last flush: {status['last_flush'] or 'not yet'}")
        if status["buffered"] or status["dropped"] or status["last_error"]:
            print(f"waiting to be written: {status['buffered']}, dropped: {status['dropped']}, "
                  f"last error: {status['last_error']}")
        return
    print(f"not running ({status['db']})")
    if "note" in status:
        print(f"note: {status['note']}")
    if "events_stored" in status:
        print(f"events stored: {status['events_stored']:,}")
        print(f"last stop: {status['last_stop'] or 'none recorded'}")
    if "consent" in status:
        if not status["consent"]:
            print(f"consent: not given ({ACCEPT})")
        elif status.get("consent_more"):
            print(f"consent: given for version {status['consent_version']}, but the settings now record more "
                  f"({'; '.join(status['consent_more'])}): capture will record nothing until you accept "
                  "(python -m capture consent)")
        else:
            print("consent: given")
    if status.get("settings_error"):
        print(f"settings: {status['settings_error']}; capture records nothing until it is fixed")
    if status.get("withdrawal_pending"):
        print("withdrawal: noted beside the file, to be written as soon as it can be; capture cannot start until then")


def cmd_status(args, paths: Paths) -> int:
    status = control.status(paths)
    if args.json:
        print(json.dumps(status, indent=2))
    else:
        _print_status(status)
    return 0


def _set_paused(paths: Paths, paused: bool) -> int:
    word = "pause" if paused else "resume"
    try:
        changed = control.set_paused(paths, paused)
    except control.NotRunning as exc:
        later = " (to keep a capture that starts later paused: pause --for 1h, or --until tomorrow)" if paused else ""
        return fail(f"{exc}; nothing to {word}{later}", 1)
    except control.ControlError as exc:
        return fail(str(exc))
    state = "paused" if paused else "capturing"
    print(state if changed else f"already {state}")
    return 0


def cmd_pause(args, paths: Paths) -> int:
    if args.for_ or args.until:
        try:
            until = control.parse_duration(args.for_) if args.for_ else control.parse_when(args.until)
            control.pause_until(paths, until)
        except ValueError as exc:
            return fail(str(exc))
        print(f"paused until {until.astimezone():%a %d %b %H:%M} (resume earlier with: python -m capture resume)")
        return 0
    return _set_paused(paths, True)


def cmd_resume(args, paths: Paths) -> int:
    try:
        settings = control.load_settings(paths)
        if settings.pause.until is not None:
            control.pause_until(paths, None)
            running = control.running(paths)
            if running and running.get("paused"):
                control.set_paused(paths, False)  # a pause by hand too: both end
            print("the pause for a while is over" + (": capturing" if running else ""))
            return 0
    except (ValueError, control.ControlError) as exc:
        return fail(str(exc))
    return _set_paused(paths, False)


ACCEPT = "to consent: python -m capture consent --accept"
WITHDRAW = "to withdraw it: python -m capture consent --withdraw"


def _standing_lines(standing: dict) -> list[str]:
    version = standing["version"]
    lines = [f"This is version {version} of the consent text" if version else "This text is new: it gets a "
             "version number when you accept it", f"(sha256 {standing['sha256']})."]
    if standing.get("note"):
        lines.append(f"Note: {standing['note']}.")
    if standing["covered"]:
        lines.append(f"You have consented (to version {standing['accepted_version']}, which covers what is "
                     f"recorded now); {WITHDRAW}")
    elif standing["given"]:
        lines.append(f"You consented to version {standing['accepted_version']}, but the settings now record more: "
                     f"{'; '.join(standing['more'])}. Nothing is recorded until you accept this text.")
        lines.append(ACCEPT[0].upper() + ACCEPT[1:])
    else:
        lines.append("You withdrew consent, so nothing is captured." if standing["action"] == "withdraw"
                     else "You have not consented, so nothing is captured.")
        lines.append(ACCEPT[0].upper() + ACCEPT[1:])
    return lines


def cmd_consent(args, paths: Paths) -> int:
    try:
        if args.accept:
            text = control.consent_text(paths)
            version = control.accept(paths, args.sha256)
            print(text)
            print(f"consent to version {version} recorded" + (
                "" if control.running(paths) else ": start capture with: python -m capture run"))
        elif args.withdraw:
            stopped = control.withdraw(paths)
            print("consent withdrawn; capture stopped" if stopped
                  else "consent withdrawn: capture will not start until you accept again")
            print("to delete what was recorded too: python -m capture delete --everything")
            if control.withdrawal_pending(paths):
                print(f"note: {paths.db} could not be written just now, so the withdrawal is noted beside it "
                      f"({paths.withdrawal.name}) and will be written as soon as it can be; capture cannot start "
                      "until then")
        else:
            standing = control.consent_standing(paths)
            print(standing["text"])
            print("\n".join(_standing_lines(standing)))
    except control.ControlError as exc:
        return fail(str(exc))
    return 0


def _value(text: str | None):
    """A command-line value as TOML (true, 30, ["a"]), else as plain text."""
    if text is None:
        raise ValueError("give a value")
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def cmd_settings(args, paths: Paths) -> int:
    try:
        if args.action == "show":
            settings = control.load_settings(paths)
            where = paths.settings if paths.settings.exists() else f"{paths.settings} (not there yet: the defaults)"
            print(f"# {where}")
            print(control.settings_toml(settings))
            return 0
        if not args.key:
            return fail(f"settings {args.action} needs a KEY (e.g. exclude.apps)")
        if args.action == "unset":
            changes = {args.key: None}
        elif args.action == "set":
            changes = {args.key: _value(args.value)}
        else:
            current = control.setting(control.load_settings(paths), args.key)
            if not isinstance(current, (list, tuple)):
                return fail(f"{args.key} is not a list: use settings set")
            value = _value(args.value)
            items = list(current)
            if args.action == "add" and value not in items:
                items.append(value)
            elif args.action == "remove":
                if value not in items:
                    return fail(f"{value!r} is not in {args.key} ({', '.join(map(repr, items)) or 'empty'})")
                items.remove(value)
            changes = {args.key: items}
        control.change_settings(paths, changes)
    except (ValueError, control.ControlError) as exc:
        return fail(str(exc))
    running = control.running(paths)
    print(f"{paths.settings} changed" + ("; capture put it in force" if running else "; capture reads it when it "
                                         "starts"))
    standing = control.consent_standing(paths)
    if standing["given"] and not standing["covered"]:
        print(f"this records more than you consented to ({'; '.join(standing['more'])}): nothing is recorded "
              "until you read and accept the new text (python -m capture consent)")
    return 0


def cmd_categories(args, paths: Paths) -> int:
    add = {"pattern": args.add[0], "category": args.add[1], "priority": args.priority} if args.add else None
    try:
        rules = control.edit_categories(paths, add, args.remove)
    except (ValueError, control.ControlError) as exc:
        return fail(str(exc))
    width = max((len(r[1]) for r in rules), default=7)
    print(f"{'priority':>8}  {'pattern':<{width}}  category")
    for priority, pattern, category in rules:
        print(f"{priority:>8}  {pattern:<{width}}  {category}")
    return 0


# --- retention and deletion ---------------------------------------------------
def add_retention_parsers(sub, common) -> None:
    sub.add_parser("purge", parents=[common], help="delete what the retention periods have expired, now"
                   ).set_defaults(handler=cmd_purge)
    delete = sub.add_parser("delete", parents=[common],
                            help="delete a time range, an app or everything (shows what would go unless --yes)")
    what = delete.add_mutually_exclusive_group(required=True)
    what.add_argument("--from", dest="start", type=_when, metavar="ISO",
                      help="with --to: delete from this date and time (local time unless it names a zone)")
    what.add_argument("--app", help="delete everything about this app (its name as stored, WM_CLASS)")
    what.add_argument("--everything", action="store_true", help="delete every captured, imported and derived row")
    delete.add_argument("--to", dest="stop", type=_when, metavar="ISO", help="with --from: up to this time (not included)")
    delete.add_argument("--yes", action="store_true", help="delete (without it, only shows what would go)")
    delete.set_defaults(handler=cmd_delete)


def _when(text: str) -> dt.datetime:
    """An ISO date or date and time; without a zone, local time."""
    import argparse

    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date and time, e.g. 2026-11-30T14:00") from None
    return value if value.tzinfo else value.astimezone()


def cmd_purge(args, paths: Paths) -> int:
    try:
        outcome = control.purge(paths)
    except control.ControlError as exc:
        return fail(str(exc))
    gone = {table: n for table, n in outcome["deleted"].items() if n}
    print("purged: " + (", ".join(f"{n:,} {table}" for table, n in gone.items()) if gone else "nothing had expired"))
    if outcome["compaction"]:
        print(_compaction_line(outcome["compaction"]))
    return 0


def _compaction_line(compaction: dict) -> str:
    return (f"file compacted, the deleted bytes gone from it: {compaction['before'] / 1e6:,.1f} MB (with its WAL) -> "
            f"{compaction['after'] / 1e6:,.1f} MB in {compaction['seconds']:.1f} s")


def _print_deletion(result: dict, done: bool) -> bool:
    """Print what went (or would); False when there was nothing."""
    rows = {table: n for table, n in result["rows"].items() if n}
    if not rows and not any(result["changed"].values()):
        print("nothing to delete: no data there" + (" (an app's name is as the Overview shows it, in any case)"
                                                   if result.get("what", "").startswith("app") else ""))
        return False
    print(("deleted" if done else "would delete") + (f", covering {result['first']} to {result['last']}:"
                                                     if result["first"] else ":"))
    for table, n in rows.items():
        print(f"  {table:<13} {n:>12,} rows")
    for table, n in result["changed"].items():
        if n:
            print(f"  {table:<13} {n:>12,} rows cut or unnamed, the rest of them kept")
    return True


def cmd_delete(args, paths: Paths) -> int:
    if (args.start is None) != (args.stop is None):
        return fail("a time range needs both --from and --to")
    what = {"start": args.start, "stop": args.stop, "app": args.app, "everything": args.everything}
    try:
        if not args.yes:
            if _print_deletion(control.delete_preview(paths, **what), done=False):
                print("nothing deleted yet: run again with --yes to delete")
            return 0
        result = control.delete(paths, **what)
    except (ValueError, control.ControlError) as exc:
        return fail(str(exc))
    if _print_deletion(result, done=True):
        print(_compaction_line(result["compaction"]))
        print("exports made before still hold it" + (
            f"; capture records {args.app} again whenever it has focus (to stop that: python -m capture settings "
            f"add exclude.apps {args.app})" if args.app else ""))
    return 0


# --- export, inventory, access log ---------------------------------------------
def add_rights_parsers(sub, common) -> None:
    export = sub.add_parser("export", parents=[common], help="export everything held about you",
                            description=f"Writes everything the database holds to a folder (parquet, json: one file "
                                        f"per table and a manifest saying what each column means) or one "
                                        f"ActivityWatch export file, under {control.export_folder()} only "
                                        f"($WORKPRINT_EXPORT_DIR). The export is written to the access log.")
    export.add_argument("--format", required=True, choices=control.EXPORT_FORMATS,
                        help="parquet (a folder of Parquet files), json (a folder of JSON-lines files) or "
                             "activitywatch (one file ActivityWatch imports)")
    export.add_argument("--to", metavar="NAME", help="its name under the export folder (default: workprint-DATE-FORMAT)")
    export.add_argument("--why", help="the reason, kept in the access log (default: a copy for the worker)")
    export.set_defaults(handler=cmd_export)

    inventory = sub.add_parser("inventory", parents=[common], help="what is kept: every stored column, its meaning, "
                                                                   "an example, how long, how many rows")
    inventory.add_argument("--raw-days", type=int, help="how long raw events are kept (default: the settings')")
    inventory.add_argument("--derived-months", type=int,
                           help="how long derived tables are kept (default: the settings')")
    inventory.add_argument("--json", action="store_true", help="print machine-readable JSON")
    inventory.set_defaults(handler=cmd_inventory)

    log = sub.add_parser("access-log", parents=[common], help="who read your data, and whether the log is intact")
    log.add_argument("--json", action="store_true", help="print machine-readable JSON")
    log.set_defaults(handler=cmd_access_log)


def _size(n: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1000
    return ""


def cmd_export(args, paths: Paths) -> int:
    try:
        done = control.export(paths, args.format, args.to, args.why)
    except control.ControlError as exc:
        return fail(str(exc))
    if "buckets" in done:
        what = f"{sum(done['buckets'].values()):,} events in {len(done['buckets'])} buckets"
    else:
        what = f"{sum(done['tables'].values()):,} rows of {len(done['tables'])} tables"
    print(f"exported {what} to {done['path']} ({_size(done['bytes'])}, {done['format']})")
    return 0


def _cut(text, width: int) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_inventory(args, paths: Paths) -> int:
    try:
        rows = control.inventory(paths, args.raw_days, args.derived_months)
    except control.ControlError as exc:
        return fail(str(exc))
    if args.json:
        print(json.dumps(rows, indent=2, ensure_ascii=False))
        return 0
    width = max((len(r["column"]) for r in rows), default=6)
    table = None
    for row in rows:
        if row["table"] != table:
            table = row["table"]
            print(f"{'' if table == rows[0]['table'] else chr(10)}{table}: {row['rows']:,} rows, kept {row['kept']}")
        print(f"  {row['column']:<{width}}  {_cut(row['example'] if row['example'] is not None else '-', 32):<32}  "
              f"{row['meaning']}")
    return 0


def cmd_access_log(args, paths: Paths) -> int:
    try:
        log = control.access_log(paths)
    except control.ControlError as exc:
        return fail(str(exc))
    if args.json:
        print(json.dumps(log, indent=2, ensure_ascii=False))
    else:
        for entry in log["entries"]:
            params = json.dumps(entry["params"], ensure_ascii=False)
            print(f"{entry['seq']:>5}  {entry['when']}  {entry['who']}")
            print(f"       {entry['what']} {_cut(params, 200)}; why: {entry['why']}")
        if not log["entries"]:
            print("nobody but you has read your data (the access log is empty)")
        print(f"chain: {log['state']}")
    return 0 if log["intact"] else 1
