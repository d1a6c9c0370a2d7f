"""What each study received: every release sent to it, read back from the
store and held against that study's promise, and the store's access log
under the study pseudonym.

For the Privacy page's Studies section. It only reads the store, as
capture.team_seen does for the team (whose read-back and access-log pull it
reuses): a release file is shown as the store holds it now, marked gone or
changed when its sha256 is not the local record's, and checked with
sharing.study_format.check for the study's measures and the categories its
accepted consent text named. Each study's access log is verified against a
head pinned beside the database for that study (:func:`access_head`).
"""

from __future__ import annotations

import json
from pathlib import Path

from sharing import study_format, study_release, teamstore
from store.paths import Paths

from . import study_control, team_seen
from .team_seen import AS_SENT, CHANGED, GONE, REMOVED, UNREACHABLE  # noqa: F401 - the states, for the page


def _checker(measures):
    return lambda table, categories: study_format.check(table, measures, categories)


def releases(paths: Paths) -> dict:
    """The study overview (capture.study_control.overview), each study with
    ``seen``: its releases read back (state, row, problems), newest day
    first, and ``store_error`` when its store cannot be opened."""
    state = study_control.overview(paths)
    for entry in state["studies"]:
        promise = entry["promise"]
        categories = set(promise["categories"]) if promise else None
        folder, error = None, None
        try:
            folder = teamstore.open_store(Path(entry["membership"]["store"]))
        except (teamstore.StoreError, OSError) as exc:
            error = str(exc)
        entry["seen"] = [team_seen.read_back(folder, r, categories, _checker(entry["measures"]), study_release.row_of)
                         for r in entry["records"]]
        entry["store_error"] = error
    return state


def rows(row: dict, measures) -> list[dict]:
    """A study release row as (column, value, meaning) lines in the promise's
    order (a column it did not promise last), with the meanings the study's
    consent text gave."""
    meanings = {c.name: c.meaning for c in study_format.columns(measures)}
    order = [n for n in meanings if n in row] + [n for n in row if n not in meanings]
    return [{"column": name, "value": json.dumps(row[name], ensure_ascii=False) if isinstance(row[name], (list, dict))
             else str(row[name]), "meaning": meanings.get(name, "NOT PROMISED")} for name in order]


def access_head(paths: Paths, study_id: str) -> Path:
    """Where the last verified entry of the study's access log for me is pinned: one file per study."""
    return paths.db.with_name(f"{paths.db.name}.study-access-head.{study_id}")


def access(paths: Paths, entry: dict) -> dict:
    """Who read data of this study that includes me, under my study pseudonym
    (capture.team_seen.access, with this study's pinned head)."""
    member = entry["membership"]
    return team_seen.access(paths, member["pseudonym"], member["store"], access_head(paths, entry["study"]))
