"""Command line: python -m capture {run,stop,status,pause,resume,consent}.

Every command takes ``--db PATH`` (else $WORKPRINT_DB, else data/workprint.duckdb).
"""

from __future__ import annotations

import argparse
import importlib.abc
import json
import logging
import logging.handlers
import os
import sys
import time

from . import client, config, store

CONSENT_TEXT = """\
Workprint records how your computer work flows, on this machine only:
  - when keys go down and up, as a class only (letter, digit, space, ...):
    never which character, so what you type cannot be reconstructed;
  - mouse clicks (button and position), scrolling, and how far the pointer
    travelled each second (not its path);
  - which application has focus, and when (window titles only if you allow them);
  - when you are idle, and when capture is paused, started and stopped.
It is stored in {db} and never leaves this machine unless you share an
aggregate yourself. You can pause capture at any time (python -m capture pause)
and withdraw consent (python -m capture consent --withdraw), which stops it.
"""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="database file (default: $WORKPRINT_DB or data/workprint.duckdb)")
    parser = argparse.ArgumentParser(prog="python -m capture", description="Workprint capture daemon")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", parents=[common], help="capture until stopped (Ctrl-C or 'stop')")
    run.add_argument("--backend", help="x11 or replay (default: $WORKPRINT_BACKEND, else the platform's)")
    run.add_argument("--replay", help="replay options, e.g. rate=200 or file=events.jsonl (default: $WORKPRINT_REPLAY)")
    run.add_argument("--idle-threshold", type=float, default=180.0, metavar="SECONDS",
                     help="no input for this long counts as idle (default 180)")
    run.add_argument("--flush-interval", type=float, default=1.0, metavar="SECONDS",
                     help="write to the database at least this often (default 1)")
    run.add_argument("--store-titles", action="store_true", help="also store window titles (off by default)")

    sub.add_parser("stop", parents=[common], help="stop the running daemon, flushing everything")
    status = sub.add_parser("status", parents=[common], help="is capture running, and what has it stored")
    status.add_argument("--json", action="store_true", help="print machine-readable JSON")
    sub.add_parser("pause", parents=[common], help="stop recording input until resumed")
    sub.add_parser("resume", parents=[common], help="record input again")

    # import and demo live in their own modules, imported when used.
    from . import demo, importers

    importers.add_parser(sub, common)
    demo.add_parser(sub, common)

    cats = sub.add_parser("categories", parents=[common], help="show or edit the rules that put apps in categories")
    cats.add_argument("--add", nargs=2, metavar=("PATTERN", "CATEGORY"),
                      help="apps matching PATTERN (a regular expression, any case) go to CATEGORY")
    cats.add_argument("--priority", type=int, help="with --add: lower numbers are tried first (default: last)")
    cats.add_argument("--remove", metavar="PATTERN", help="remove the rule with this pattern")

    consent = sub.add_parser("consent", parents=[common], help="show, give or withdraw consent")
    group = consent.add_mutually_exclusive_group()
    group.add_argument("--accept", action="store_true", help="consent to capture")
    group.add_argument("--withdraw", action="store_true", help="withdraw consent; stops a running daemon")
    return parser


def _fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _setup_logging(paths: config.Paths) -> None:
    """Log to <db>.log (rotated) and stderr; $WORKPRINT_LOG_LEVEL=DEBUG logs every batch."""
    paths.db.parent.mkdir(parents=True, exist_ok=True)
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger("workprint")
    root.setLevel(os.environ.get("WORKPRINT_LOG_LEVEL", "INFO").upper())
    to_file = logging.handlers.RotatingFileHandler(paths.log, maxBytes=5_000_000, backupCount=3, encoding="utf-8")
    handlers = [to_file]
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


class _NoPandas(importlib.abc.MetaPathFinder):
    """Keeps pandas out of the daemon and the CLI.

    pyarrow imports pandas on first use when it is installed (Streamlit brings
    it), which costs the daemon ~55 MB of resident memory for nothing: the
    daemon never uses pandas.
    """

    def find_spec(self, name, path, target=None):
        if name == "pandas" or name.startswith("pandas."):
            raise ImportError("pandas is not used by the capture daemon")
        return None


def cmd_run(args, paths: config.Paths) -> int:
    from .backends import replay
    from .daemon import Daemon, DaemonStartError, Settings

    _setup_logging(paths)
    settings = Settings(
        backend=args.backend,
        backend_options=replay.parse_options(args.replay or os.environ.get("WORKPRINT_REPLAY")),
        idle_threshold=args.idle_threshold,
        flush_interval=args.flush_interval,
        store_titles=args.store_titles,
    )
    daemon = Daemon(paths, settings)
    try:
        code = daemon.run()
    except DaemonStartError as exc:
        return _fail(str(exc), exc.exit_code)
    if daemon.exit_reason:
        print(f"error: {daemon.exit_reason}", file=sys.stderr)
    return code


def cmd_stop(args, paths: config.Paths) -> int:
    try:
        client.request(paths, "stop")
    except client.NotRunning as exc:
        return _fail(str(exc), 1)
    deadline = time.monotonic() + 60
    while paths.socket.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    print("capture stopped")
    return 0


def _offline_status(paths: config.Paths) -> dict:
    status = {"running": False, "db": str(paths.db)}
    try:
        con = store.open_read_only(paths.db)
    except store.StoreError as exc:
        status["note"] = str(exc)
        return status
    try:
        status["events_stored"] = con.execute("SELECT count(*) FROM raw_events").fetchall()[0][0]
        last = con.execute("SELECT max(ts) FROM raw_events WHERE kind = 'stop'").fetchall()[0][0]
        status["last_stop"] = last.isoformat() if last else None
        status["consent"] = store.consent_given(con)
    finally:
        con.close()
    return status


def cmd_status(args, paths: config.Paths) -> int:
    try:
        status = client.request(paths, "status")
    except client.NotRunning:
        status = _offline_status(paths)
    if args.json:
        print(json.dumps(status, indent=2))
    elif status["running"]:
        state = "paused" if status["paused"] else "capturing"
        print(f"running ({state}) since {status['since']}, pid {status['pid']}, backend {status['backend']}")
        stored = "unknown (the database cannot be read now)" if status["events_stored"] is None else status["events_stored"]
        print(f"events stored: {stored}, last flush: {status['last_flush'] or 'not yet'}")
        if status["buffered"] or status["dropped"] or status["last_error"]:
            print(f"waiting to be written: {status['buffered']}, dropped: {status['dropped']}, "
                  f"last error: {status['last_error']}")
    else:
        print(f"not running ({status['db']})")
        for key in ("note", "events_stored", "last_stop", "consent"):
            if key in status:
                print(f"{key.replace('_', ' ')}: {status[key]}")
    return 0


def cmd_pause_resume(args, paths: config.Paths) -> int:
    try:
        reply = client.request(paths, args.command)
    except client.NotRunning as exc:
        return _fail(f"{exc}; nothing to {args.command}", 1)
    state = "paused" if args.command == "pause" else "capturing"
    print(state if reply.get("changed") else f"already {state}")
    return 0


def cmd_consent(args, paths: config.Paths) -> int:
    if not (args.accept or args.withdraw):
        print(CONSENT_TEXT.format(db=paths.db))
        print("To consent: python -m capture consent --accept")
        return 0
    if args.withdraw:
        try:
            client.request(paths, "withdraw")
            print("consent withdrawn; capture stopped")
            return 0
        except client.NotRunning:
            pass
    try:
        con = store.open_writable(paths.db)
    except store.StoreError as exc:
        return _fail(str(exc))
    try:
        store.record_consent(con, accepted=bool(args.accept))
    finally:
        con.close()
    if args.accept:
        print(CONSENT_TEXT.format(db=paths.db))
        print("consent recorded: start capture with: python -m capture run")
    else:
        print("consent withdrawn: capture will not start until you accept again")
    return 0


def cmd_import(args, paths: config.Paths) -> int:
    from . import importers

    return importers.run(args, paths)


def cmd_demo(args, paths: config.Paths) -> int:
    from . import demo

    return demo.run(args, paths)


def cmd_categories(args, paths: config.Paths) -> int:
    add = {"pattern": args.add[0], "category": args.add[1], "priority": args.priority} if args.add else None
    try:
        try:  # the running daemon holds the file: it makes the change
            rules = client.request(paths, "categories", add=add, remove=args.remove)["rules"]
        except client.NotRunning:
            con = store.open_writable(paths.db)
            try:
                rules = store.edit_category_rules(con, add, args.remove)
            finally:
                con.close()
    except (ValueError, client.DaemonError, store.StoreError) as exc:
        return _fail(str(exc))
    width = max((len(r[1]) for r in rules), default=7)
    print(f"{'priority':>8}  {'pattern':<{width}}  category")
    for priority, pattern, category in rules:
        print(f"{priority:>8}  {pattern:<{width}}  {category}")
    return 0


COMMANDS = {
    "categories": cmd_categories,
    "import": cmd_import,
    "demo": cmd_demo,
    "run": cmd_run,
    "stop": cmd_stop,
    "status": cmd_status,
    "pause": cmd_pause_resume,
    "resume": cmd_pause_resume,
    "consent": cmd_consent,
}


LEAN_COMMANDS = ("run", "status", "stop", "pause", "resume")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in LEAN_COMMANDS and "pandas" not in sys.modules:
        # These never need pandas (imports and the demo use polars, which
        # probes for it): keep the daemon lean and the commands quick. Set up
        # before the parser, which loads the importer and demo modules.
        sys.meta_path.insert(0, _NoPandas())
    args = _parser().parse_args(argv)
    try:
        paths = config.paths(args.db)
    except PermissionError as exc:
        return _fail(str(exc))
    return COMMANDS[args.command](args, paths)


if __name__ == "__main__":
    sys.exit(main())
