"""python -m capture import {activitywatch,keystrokes,eventlog} ...

Every importer is transactional: a bad file imports nothing, and the error
names the file, the line or event, and what was wrong. Importing the same
file twice stores it once.
"""

from __future__ import annotations


def add_parser(sub, common) -> None:
    """Register the ``import`` subcommand (to be filled in)."""
    parser = sub.add_parser("import", parents=[common], help="import ActivityWatch, keystroke-study or event-log data")
    parser.add_argument("format", choices=("activitywatch", "keystrokes", "eventlog"))
    parser.add_argument("source", help="file, folder or URL")


def run(args, paths) -> int:
    raise NotImplementedError("importers are not written yet")
