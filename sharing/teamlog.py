"""The access log in the team store: one hash chain per pseudonym.

Whenever the team server reads figures that include a worker, it appends an
entry to that worker's chain (:func:`append`), in the store's access area.
The worker's own dashboard pulls its chain (:func:`entries`) and checks it
(:func:`verify`) with the same hashing as the worker's own access log
(store.accesslog): an edited, removed or reordered entry breaks the chain.
The worker keeps the last entry it has seen (number and hash) beside its own
database, so a chain rewritten or cut back since then is caught too.

Each entry is its own key, ``access/<pseudonym>/<seq>.json``, written with
put_new: two servers appending at once cannot both write the same number,
and the store never needs an append (an object store has none).
"""

from __future__ import annotations

import datetime as dt
import json

from store import accesslog
from store.accesslog import GENESIS, Entry, Verdict

from . import teamstore

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_FIELDS = ("seq", "ts_us", "who", "what", "params", "why", "prev_hash", "hash")
_ATTEMPTS = 50


def _key(pseudonym: str, seq: int) -> str:
    return f"{teamstore.access_prefix(pseudonym)}/{seq:09d}.json"


def _decode(data: bytes) -> Entry:
    raw = json.loads(data)
    return Entry(*(raw[f] for f in _FIELDS))


def entries(store: teamstore.Folder, pseudonym: str) -> list[Entry]:
    """Every entry of the pseudonym's chain, by number. An entry file that
    cannot be read as one is returned as an entry whose hash cannot match
    (so :func:`verify` reports it), never skipped."""
    found = []
    for key in store.list(teamstore.access_prefix(pseudonym)):
        try:
            found.append(_decode(store.get(key)))
        except (ValueError, KeyError, TypeError, OSError):
            seq = int(key.rsplit("/", 1)[1].split(".")[0]) if key.rsplit("/", 1)[1].split(".")[0].isdigit() else 0
            found.append(Entry(seq, 0, "?", "unreadable entry", "{}", "", "", ""))
    return sorted(found, key=lambda e: e.seq)


def append(store: teamstore.Folder, pseudonym: str, who: str, what: str, params: dict | None = None,
           why: str = "") -> Entry:
    """Append one entry to the pseudonym's chain; the entry written. Raises
    OSError if the store cannot be written (the read must then be refused)."""
    encoded = accesslog.canonical_params(params)
    for _ in range(_ATTEMPTS):
        keys = store.list(teamstore.access_prefix(pseudonym))
        if keys:
            last = _decode(store.get(keys[-1]))
            seq, prev = last.seq + 1, last.hash
        else:
            seq, prev = 1, GENESIS
        now = dt.datetime.now(dt.timezone.utc)
        ts_us = (now - _EPOCH) // dt.timedelta(microseconds=1)
        digest = accesslog.entry_hash(seq, ts_us, who, what, encoded, why, prev)
        entry = Entry(seq, ts_us, who, what, encoded, why, prev, digest)
        data = json.dumps(dict(zip(_FIELDS, (seq, ts_us, who, what, encoded, why, prev, digest))),
                          ensure_ascii=False).encode()
        if store.put_new(_key(pseudonym, seq), data):
            return entry
    raise OSError(f"could not append to the access log of {pseudonym[:12]}…: {_ATTEMPTS} writers raced for it")


def verify(found: list[Entry], seen: tuple[int, str] | None = None) -> Verdict:
    """The chain's state: every hash and link, and, given ``seen`` (the
    number and hash of the last entry the worker pulled before), that this
    entry is still there unchanged."""
    verdict = accesslog.check_chain(found)
    if not verdict.ok or seen is None:
        return verdict
    seq, digest = seen
    by_seq = {e.seq: e for e in found}
    if seq not in by_seq:
        return Verdict(len(found), seq, f"entry {seq}, which this dashboard saw before, is gone: the log was cut back")
    if by_seq[seq].hash != digest:
        return Verdict(len(found), seq, f"entry {seq} is not the one this dashboard saw before: the log was rewritten")
    return verdict
