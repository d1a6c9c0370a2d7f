"""A study release: one worker-day of exactly the aggregates a study asked
for (sharing.study_format), computed from the worker's own tables and
written as one-row Parquet into the team store at sharing.studies.release_key.

The team measures (activity, categories, focus, typing, clicking) are the
team release's own figures (sharing.release.compute, on the same local day
window); a study adds the day's category transitions and the finer rhythm
bins. Categories the accepted consent text does not name count as 'Other',
in the transitions as in the seconds, so a rule added after consent cannot
send a name the text did not; a transition that then falls within one
category is no transition.

Nothing here decides whether to send: capture.study_control does (consent,
the study's end, completed days, the local record).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import json
from pathlib import Path

from store import catalog

from . import release, studies, teamstore
from . import study_format as sf
from .release_format import OTHER

_TEAM_MEASURES = ("activity", "categories", "focus", "typing", "clicking")


class StudyReleaseError(ValueError):
    """A study release that is not what the study's consent text promised; the message says how."""


@functools.cache
def _sql() -> dict[str, catalog.Statement]:
    return {s.name: s for s in catalog.parse(Path(__file__).with_name("study_release.sql"))}


def transitions(con, worker: str, start, end, categories) -> list[dict]:
    """The day's category transitions as study_format promises them: (src,
    dst, n) sorted, each category named by the consent text or 'Other', src
    never dst, n > 0."""
    allowed = set(categories) | {OTHER}
    statement = _sql()["study_transitions"]
    counts: dict[tuple[str, str], int] = {}
    for src, dst, n in con.execute(statement.sql, statement.bind(
            {"worker": worker, "start": start, "end": end})).fetchall():
        pair = (src if src in allowed else OTHER, dst if dst in allowed else OTHER)
        if pair[0] != pair[1]:
            counts[pair] = counts.get(pair, 0) + int(n)
    return [{"src": s, "dst": d, "n": n} for (s, d), n in sorted(counts.items())]


def compute(con, day: dt.date, worker: str, pseudonym: str, study: studies.Study, categories) -> dict | None:
    """The release row of ``study`` for ``worker``'s local ``day``: exactly
    study_format.names(study.measures); None when the day holds no data."""
    window = release.day_window(con, worker, day)
    if window is None:
        return None
    _, start, end = window
    row: dict = {"pseudonym": pseudonym, "study": study.id, "day": day}
    if any(m in study.measures for m in _TEAM_MEASURES):
        row |= release.compute(con, day, worker, pseudonym, "", categories)
    if "transitions" in study.measures:
        row["category_transitions"] = transitions(con, worker, start, end, categories)
    if "typing_fine" in study.measures:
        row["typing_fine_bins"] = release.bins(con, worker, "iki", start, end, sf.TYPING_FINE_EDGES_MS)
    if "clicking_fine" in study.measures:
        row["click_fine_bins"] = release.bins(con, worker, "click_interval", start, end, sf.CLICK_FINE_EDGES_S)
    row["study"] = study.id
    return {name: row[name] for name in sf.names(study.measures)}


def encode(row: dict, measures, categories=None) -> bytes:
    """The row as one-row Parquet in exactly study_format.schema(measures);
    the same row always gives the same bytes. StudyReleaseError, with
    study_format.check's problems, if it breaks the promise."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if set(row) != set(sf.names(measures)):
        extra, missing = sorted(set(row) - set(sf.names(measures))), sorted(set(sf.names(measures)) - set(row))
        raise StudyReleaseError(f"a study release holds exactly {', '.join(sf.names(measures))}"
                                + (f"; not {', '.join(extra)}" if extra else "")
                                + (f"; it misses {', '.join(missing)}" if missing else ""))
    table = pa.Table.from_pylist([row], schema=sf.schema(measures))
    problems = sf.check(table, measures, None if categories is None else set(categories))
    if problems:
        raise StudyReleaseError("; ".join(problems))
    out = io.BytesIO()
    pq.write_table(table, out, compression="zstd", write_statistics=False)
    return out.getvalue()


def as_json(row: dict) -> str:
    """The row as the JSON the local record keeps (the day as ISO, the map as an object)."""
    plain = {**row, "day": row["day"].isoformat() if isinstance(row["day"], dt.date) else row["day"]}
    if "category_seconds" in plain:
        plain["category_seconds"] = dict(plain["category_seconds"] or [])
    return json.dumps(plain, sort_keys=True, ensure_ascii=False)


def row_of(table) -> dict:
    """The first row of a study release table, in the JSON form (as_json) for comparing."""
    return json.loads(as_json(table.to_pylist()[0]))


def send(folder: teamstore.Folder, row: dict, measures, categories=None, mine=()) -> release.Sent:
    """Write the row's file at studies.release_key (temp name, then an atomic
    rename); nothing is written when the store holds exactly these bytes
    already, and release.KeyTaken (nothing written) when it holds bytes this
    database did not send (``mine``: the sha256 the local record holds for the key)."""
    data = encode(row, measures, categories)
    key = studies.release_key(row["study"], row["day"], row["pseudonym"])
    changed = release.write(folder, key, data, mine)
    return release.Sent(key, hashlib.sha256(data).hexdigest(), len(data), as_json(row), changed)
