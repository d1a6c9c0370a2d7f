"""The research server's subcommands, in the ``team`` group: ``workprint team study create | list | sync | export``.

    workprint team study create --store PATH --id ID --name N --purpose P --researcher R --ends YYYY-MM-DD
                                --measures activity,transitions [--k 5]
    workprint team study list --store PATH
    workprint team study sync --store PATH --study ID [--state DIR]
    workprint team study export --store PATH --study ID --to DIR [--state DIR]

A study is published to the team store once (sharing.studies.publish) and never changed in place: creating
an id that exists is refused, and a changed study is a new id (the workers consented to the old one). sync
brings the study's ledger (team/study_ledger.py, in the server's state folder) up to date now and prints what
it read and skipped; export writes the ledger's tables as Parquet (what Spark reads).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

from .team_commands import fail


def add_parsers(team_group) -> None:
    """``study ...`` in the ``team`` group (cli/team_commands.add_parser's subparsers)."""
    study = team_group.add_parser("study", help="the research server: define, list and ingest studies")
    group = study.add_subparsers(dest="study_command", required=True)
    store = argparse.ArgumentParser(add_help=False)
    store.add_argument("--store", required=True, metavar="PATH", help="the team store (made with init-store)")
    state = argparse.ArgumentParser(add_help=False)
    state.add_argument("--state", metavar="DIR", help="the server's own folder (default: $WORKPRINT_TEAM_STATE "
                       "or data/team-server)")

    create = group.add_parser("create", parents=[store], help="publish a new study to the store (once; never changed)")
    create.add_argument("--id", required=True, help="2-48 lower-case letters, digits and dashes")
    create.add_argument("--name", required=True)
    create.add_argument("--purpose", required=True, help="why: what the workers read before they join")
    create.add_argument("--researcher", required=True, help="who is responsible, and how to reach them")
    create.add_argument("--ends", required=True, metavar="YYYY-MM-DD", help="the last day releases are sent for")
    create.add_argument("--measures", required=True, help="comma-separated: activity, categories, focus, typing, "
                        "clicking, transitions, typing_fine, clicking_fine")
    create.add_argument("--k", type=int, default=5, help="every result covers at least k people (default 5, "
                        "at least 3)")
    create.set_defaults(handler=cmd_study_create, server_command=True)
    listing = group.add_parser("list", parents=[store], help="the studies in the store")
    listing.set_defaults(handler=cmd_study_list, server_command=True)
    sync = group.add_parser("sync", parents=[store, state], help="ingest a study's releases now; prints the report")
    sync.add_argument("--study", required=True, metavar="ID")
    sync.set_defaults(handler=cmd_study_sync, server_command=True)
    export = group.add_parser("export", parents=[store, state], help="write a study's tables as Parquet (for Spark)")
    export.add_argument("--study", required=True, metavar="ID")
    export.add_argument("--to", required=True, metavar="DIR", help="the folder: <DIR>/<table>/part-0.parquet")
    export.set_defaults(handler=cmd_study_export, server_command=True)


def _store(args):
    from sharing import teamstore

    return teamstore.open_store(Path(args.store).resolve())


def cmd_study_create(args) -> int:
    from sharing import studies, teamstore

    try:
        store = _store(args)
        try:
            ends = dt.date.fromisoformat(args.ends)
        except ValueError:
            raise studies.StudyError(f"--ends must be a day, YYYY-MM-DD, not {args.ends!r}") from None
        study = studies.Study(id=args.id, name=args.name, purpose=args.purpose, researcher=args.researcher,
                              ends=ends, measures=tuple(m.strip() for m in args.measures.split(",") if m.strip()),
                              k=args.k)
        if not studies.publish(store, study):
            return fail(f"the store already holds a study {study.id!r}; a published study is never changed "
                        "(its workers consented to it): choose a new id")
    except (studies.StudyError, teamstore.StoreError) as exc:
        return fail(str(exc))
    print(f"published study {study.id!r} ({study.name}) to {store.root}: measures {', '.join(study.measures)}; "
          f"k = {study.k}; releases until {study.ends}")
    return 0


def cmd_study_list(args) -> int:
    from sharing import studies, teamstore

    try:
        found = studies.listing(_store(args))
    except teamstore.StoreError as exc:
        return fail(str(exc))
    if not found:
        print("no studies in the store yet: publish one with `workprint team study create ...`")
    for s in found:
        print(f"{s.id}: {s.name} ({s.researcher}); until {s.ends}; k = {s.k}; {', '.join(s.measures)}"
              f"{' (demo)' if s.demo else ''}")
    return 0


def _ledger(args):
    if getattr(args, "state", None):
        os.environ["WORKPRINT_TEAM_STATE"] = str(Path(args.state).resolve())
    from sharing import studies
    from team import config

    store = _store(args)
    return store, studies.load(store, args.study), config.state_dir()


def cmd_study_sync(args) -> int:
    from sharing import studies, teamstore
    from team import study_ledger

    try:
        store, study, state = _ledger(args)
        with study_ledger.opened(state, study) as con:
            report = study_ledger.sync(con, store, study)
    except (studies.StudyError, teamstore.StoreError, LookupError) as exc:
        return fail(str(exc))
    print(f"study {study.id}: {report}")
    return 0


def cmd_study_export(args) -> int:
    from sharing import studies, teamstore
    from team import study_ledger

    try:
        store, study, state = _ledger(args)
        with study_ledger.opened(state, study) as con:
            study_ledger.sync(con, store, study)
            written = study_ledger.export(con, study, Path(args.to).resolve())
    except (studies.StudyError, teamstore.StoreError, LookupError, OSError) as exc:
        return fail(str(exc))
    print(f"study {study.id}: wrote {len(written)} tables under {Path(args.to).resolve()}")
    return 0
