"""The consent text of the ``team`` scope: exactly what a daily release
holds, generated from sharing.release_format.COLUMNS, and for whom.

It names the team, the store's location, the categories that can appear
(the worker's category rules at the time, and 'Other'), how the pseudonym is
made, what managers see (figures over at least k people, with noise), and
how to revoke. Like the capture text it is kept in the ledger as a version
(store.consent, consent scope 'team'); its *scope* is the same facts as data,
which the Privacy page checks every release file against.
"""

from __future__ import annotations

import json
import textwrap

from . import release_format as rf

WIDTH = 78
MIN_K = 3  # the team server never shows a figure over fewer people than this (its k is 5 unless set)


def _fill(text: str, indent: str = "") -> str:
    return textwrap.fill(text, WIDTH, initial_indent=indent, subsequent_indent=" " * len(indent),
                         break_on_hyphens=False, break_long_words=False)  # a path or hash stays whole


def scope(team: str, store: str, categories: list[str], worker_id: str) -> dict:
    """What the text covers, as data: the team, the store, the columns and the categories."""
    return {"consent_scope": "team", "team": team, "store": store, "worker_id": worker_id,
            "format": rf.FORMAT, "columns": list(rf.NAMES), "categories": sorted(set(categories) | {rf.OTHER})}


def scope_json(team: str, store: str, categories: list[str], worker_id: str) -> str:
    return json.dumps(scope(team, store, categories, worker_id), sort_keys=True)


def generate(team: str, store: str, categories: list[str], worker_id: str) -> str:
    """The team consent text for joining ``team`` through the store at ``store``."""
    columns = "\n".join(_fill(f"{c.name}: {c.meaning}.", "  - ") for c in rf.COLUMNS)
    cats = sorted(set(categories) - {rf.OTHER})
    named = ", ".join(cats + [rf.OTHER]) if cats else rf.OTHER
    return "\n\n".join([
        _fill(f"Joining team {team!r} sends a daily release of aggregates about your work to the team store "
              f"at {store}. Once a day, for each completed day (never today) from the day after you accept, "
              "Workprint on this computer writes one file there for that day, and nothing else."),
        "What one release holds, exactly (one row per day, these columns only):\n" + columns,
        _fill(f"The categories that can appear are those of your category rules: {named}. An app no rule names, "
              "or a category added after you accept, counts as 'Other'. A release never holds an app name, a "
              "window title, raw timings or anything per event: typing and clicking rhythm leave only as the "
              "counts in the wide bins above, over the whole day."),
        _fill(f"Your pseudonym is HMAC-SHA256 of your worker id ({worker_id!r}) keyed with the organisation's "
              "pseudonym secret. Without the secret it cannot be turned back into your id; the team server "
              "keeps no table from pseudonyms to names. The secret is kept only in your encrypted database."),
        _fill(f"Managers never see your release or any figure about you alone: the team server shows only "
              f"figures computed over at least k people (k is 5 unless your organisation sets it; never fewer "
              f"than {MIN_K}), with random noise added (differential privacy), and no ranking of people. Every "
              "read of figures that include you is logged in the store under your pseudonym; your Privacy page "
              "shows those entries and checks that none was changed or removed."),
        _fill("Your Privacy page shows every release sent, read back from the store, and checks it against this "
              "text. You can revoke at any time: python -m capture team leave stops all further releases, and "
              "python -m capture team leave --remove-releases also deletes every file you released from the "
              "store. Revoking this consent never changes your consent to capture, nor the other way round."),
    ]) + "\n"
