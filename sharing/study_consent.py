"""The consent text of a study's scope (``study:<id>``): who asks and why,
until when, exactly what one release holds (generated from
sharing.study_format.columns of the study's measures), and how to leave.

Like the team text (sharing.team_consent) it is kept in the ledger as a
version, under the study's own consent scope, and its *scope* is the same
facts as data, which the Privacy page holds every study release file
against. A study's definition is part of the text: a study with another
purpose, end date, k or measures is another text, and another consent.
"""

from __future__ import annotations

import json

from . import studies
from . import study_format as sf
from .release_format import OTHER
from .team_consent import _fill


def scope(study: studies.Study, store: str, categories: list[str], worker_id: str) -> dict:
    """What the text covers, as data: the study, the store, the columns and the categories."""
    return {"consent_scope": study.scope, "study": study.id, "store": store, "worker_id": worker_id,
            "format": sf.FORMAT, "measures": list(study.measures), "columns": list(sf.names(study.measures)),
            "ends": study.ends.isoformat(), "k": study.k, "categories": sorted(set(categories) | {OTHER})}


def scope_json(study: studies.Study, store: str, categories: list[str], worker_id: str) -> str:
    return json.dumps(scope(study, store, categories, worker_id), sort_keys=True)


def generate(study: studies.Study, store: str, categories: list[str], worker_id: str, db=None) -> str:
    """The consent text for joining ``study``, published in the team store at
    ``store``; ``db``: the database path the leave command must name (None:
    the default one, which needs no --db)."""
    leave = f"python -m capture study leave --study {study.id}" + (f" --db {db}" if db else "")
    columns = "\n".join(_fill(f"{c.name}: {c.meaning}.", "  - ") for c in sf.columns(study.measures))
    cats = sorted(set(categories) - {OTHER})
    named = ", ".join(cats + [OTHER]) if cats else OTHER
    demo = [_fill("This is a demo study, made up by Workprint's demo: no researcher reads it.")] if study.demo else []
    return "\n\n".join(demo + [
        _fill(f"Study {study.name!r} ({study.id}), run by {study.researcher}."),
        "Its purpose, in the researcher's words:\n" + _fill(study.purpose, "  "),
        _fill(f"Joining sends a daily release of aggregates about your work to this study, in the team store at "
              f"{store}. Once a day, for each completed day (never today) from the day after you accept until "
              f"the study ends on {study.ends.isoformat()}, Workprint on this computer writes one file there for "
              "that day, and nothing else. Nothing is sent for a day after the study's end."),
        "What one release holds, exactly (one row per day, these columns only):\n" + columns,
        _fill(f"The categories that can appear are those of your category rules: {named}. An app no rule names, "
              "or a category added after you accept, counts as 'Other'. A release never holds an app name, a "
              "window title, raw timings or anything per event: rhythm leaves only as counts in the bins above, "
              "over the whole day."),
        _fill(f"Your pseudonym in this study is keyed for this study alone: HMAC-SHA256 of your worker id "
              f"({worker_id!r}) with a key made from the organisation's pseudonym secret and the study's id. It "
              "cannot be joined with your data in any other study, nor with your team's: each has a pseudonym "
              "of its own. The secret is kept only in your encrypted database."),
        _fill(f"The researcher never sees your release or any result about you alone: the research server shows "
              f"only results computed over at least k = {study.k} people, in every chart, query and download. "
              "Every read of data that includes you is logged in the store under your study pseudonym; your "
              "Privacy page shows those entries and checks that none was changed or removed."),
        _fill(f"The research server keeps what this study received until {study.keep_until.isoformat()} "
              f"({studies.KEEP_DAYS} days after the study's end), then deletes it. It holds each release as your "
              "rows under your study pseudonym (no name, no worker id), and may run the study's queries on a copy of "
              "those rows on a Spark cluster inside the organisation; each such run reads data that includes you, "
              "so it is logged in the access log like every other read."),
        _fill(f"Your Privacy page shows every release sent to this study, read back from the store, and checks it "
              f"against this text. You can leave at any time: {leave} stops all further releases and deletes every "
              "file you sent to this study from the store; leaving before "
              f"{study.keep_until.isoformat()} removes everything the study received from you: the files in the store "
              "and, with them, your rows on the research server. Leaving never changes your consent to capture, "
              "to your team, or to another study, nor the other way round."),
    ]) + "\n"
