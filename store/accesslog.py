"""The access log: who read data that includes the worker's, what, when and why.

An entry is written whenever the worker's data is read by anyone or anything
other than the worker: an export (the data then leaves the store, whoever
asked), a release or a team or research read (their issues call
:func:`append`), and every request on the daemon's socket from a client that
does not say it is the worker's own dashboard or command line
(:data:`OWN_CLIENTS`, the request's ``client`` field: store.client.identify).
Saying so is a declaration, not a proof: the socket is the owner's alone, so
every client is a program the worker's own account runs, and the field is how
such a program says "this is the worker looking". Anything that says nothing
is logged.

Tamper evidence. Each entry's hash is sha256 over a canonical encoding of its
fields and the previous entry's hash (:func:`entry_hash`), so editing,
deleting or reordering an entry breaks the chain there. A chain alone cannot
show that its tail was cut off, so the last entry's number and hash are also
pinned in a small owner-only file beside the database, ``<db>.access-head``
(store.paths.Paths.access_head). :func:`verify` checks both.

Why the entries in the table and the head in the file, not the reverse: the
database is where data gets rewritten. A SQL session (``DELETE FROM
access_log``), a purge, a deletion, a compaction (which copies the database
into a fresh file) and a restore of an older copy of the file all act on the
database and leave the head file beside it as it was, so each of them is
caught. The reverse would put the entries in a text file that any editor or
``sed`` rewrites in place, and the head where a restore rolls it back along
with everything else. Nothing stops a program running as the worker from
rewriting both together and recomputing every hash (sha256 has no secret):
the log is evidence against tools, mistakes and partial rewrites, not against
the worker's own account being taken over.

Appending never hides a break: a new entry follows the pinned head, not the
table's last row. After a truncated tail the gap stays (entries missing);
after the head file went missing, the next entry starts a new chain, which
:func:`verify` reports.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path

from . import statements
from .paths import write_private
from .txn import transaction

GENESIS = "0" * 64  # the previous hash of the first entry
OWN_CLIENTS = frozenset({"workprint-cli", "workprint-dashboard"})
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_APPENDING = threading.Lock()  # the daemon's reader threads append one at a time: one chain


@dataclass(frozen=True)
class Entry:
    seq: int
    ts_us: int  # microseconds since 1970, UTC
    who: str
    what: str
    params: str  # canonical JSON
    why: str
    prev_hash: str
    hash: str

    @property
    def when(self) -> dt.datetime:
        return _EPOCH + dt.timedelta(microseconds=self.ts_us)


@dataclass(frozen=True)
class Verdict:
    """The chain's state: intact, or broken at entry ``bad`` for ``reason``."""

    entries: int
    bad: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.bad is None

    def __str__(self) -> str:
        if self.ok:
            return f"intact ({self.entries} entr{'y' if self.entries == 1 else 'ies'})"
        return f"broken at entry {self.bad}: {self.reason}"


def canonical_params(params: dict | None) -> str:
    return json.dumps(params or {}, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(seq: int, ts_us: int, who: str, what: str, params: str, why: str, prev_hash: str) -> str:
    """sha256 of the entry's fields and the previous hash, as one JSON array
    (one encoding for each value, so no two entries encode alike)."""
    encoded = json.dumps([seq, ts_us, who, what, params, why, prev_hash], ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()


def describe(client_name: str | None, pid: int | None = None) -> str:
    """Who a reader is: what it says it is, its process id and command line."""
    who = client_name or "unidentified"
    if pid is None:
        return who
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = " ".join(handle.read(300).replace(b"\0", b" ").decode(errors="replace").split())
    except OSError:
        command = ""
    return f"{who} (pid {pid}{': ' + command if command else ''})"


# --- the head pin -----------------------------------------------------------------
def read_head(head: Path) -> tuple[int, str] | None:
    """The pinned (number, hash) of the last entry, or None without a head file.
    Raises ValueError for a head file that is not one, OSError for one that
    cannot be read."""
    try:
        text = head.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        pinned = json.loads(text)
        seq, digest = int(pinned["seq"]), str(pinned["hash"])
    except (ValueError, KeyError, TypeError):
        raise ValueError(f"{head} is not an access log head") from None
    return seq, digest


def _pin(head: Path, seq: int, digest: str) -> None:
    """Replace the head file atomically (a new owner-only file, then a rename)."""
    write_private(head, json.dumps({"seq": seq, "hash": digest}) + "\n")


# --- writing and reading ------------------------------------------------------------
def append(con, head: Path, who: str, what: str, params: dict | None = None, why: str = "") -> Entry:
    """Write one entry and pin it as the head; the entry written.

    It follows the pinned head (see the module's docstring), or the table's
    last entry when that is newer (an append interrupted between its commit
    and its pin). Raises what the write raises (duckdb.Error, OSError): a
    caller serving a read must then refuse it, as the read would go unlogged.
    """
    with _APPENDING:
        try:
            pinned = read_head(head)
        except ValueError:
            pinned = None  # a new chain, reported by verify
        with transaction(con):
            tail = statements.execute(con, "access_log_tail").fetchall()
            last_seq, last_hash = tail[0] if tail else (0, GENESIS)
            if pinned is None:
                seq, prev = last_seq + 1, GENESIS
            elif pinned[0] >= last_seq:
                seq, prev = pinned[0] + 1, pinned[1]
            else:
                seq, prev = last_seq + 1, last_hash
            now = dt.datetime.now(dt.timezone.utc)
            ts_us = (now - _EPOCH) // dt.timedelta(microseconds=1)
            encoded = canonical_params(params)
            digest = entry_hash(seq, ts_us, who, what, encoded, why, prev)
            statements.execute(con, "access_log_append", {
                "seq": seq, "ts": now, "who": who, "what": what, "params": encoded, "why": why,
                "prev": prev, "hash": digest})
        _pin(head, seq, digest)
        return Entry(seq, ts_us, who, what, encoded, why, prev, digest)


def entries(con) -> list[Entry]:
    """Every entry, by number."""
    return [Entry(*row) for row in statements.execute(con, "access_log_entries").fetchall()]


def verify(con, head: Path) -> Verdict:
    """Check every entry's hash and link, then the pinned head.

    Returns the Verdict: intact, or the first bad entry and what is wrong
    with it (changed, missing, out of order, not following the one before,
    or a tail cut off below the pinned head).
    """
    found = entries(con)
    verdict = check_chain(found)
    if not verdict.ok:
        return verdict
    return _check_head(found, head)


def check_chain(found: list[Entry]) -> Verdict:
    prev, expected = GENESIS, 1
    for entry in found:
        if entry.seq > expected:
            missing = f"entry {expected}" if entry.seq == expected + 1 else f"entries {expected} to {entry.seq - 1}"
            return Verdict(len(found), expected, f"{missing} missing (the next one stored is {entry.seq})")
        if entry.seq < expected:
            return Verdict(len(found), entry.seq, f"entry {entry.seq} appears more than once")
        if entry.prev_hash != prev:
            why = ("it starts a new chain: it was written while the head file was missing or damaged"
                   if entry.prev_hash == GENESIS else
                   f"it does not follow entry {entry.seq - 1} as stored (entries were reordered, replaced "
                   "or rewritten)")
            return Verdict(len(found), entry.seq, why)
        recomputed = entry_hash(entry.seq, entry.ts_us, entry.who, entry.what, entry.params, entry.why, entry.prev_hash)
        if recomputed != entry.hash:
            return Verdict(len(found), entry.seq, "its content was changed after it was written (the hash differs)")
        prev, expected = entry.hash, expected + 1
    return Verdict(len(found))


def _check_head(found: list[Entry], head: Path) -> Verdict:
    try:
        pinned = read_head(head)
    except (ValueError, OSError) as exc:
        return Verdict(len(found), found[-1].seq if found else 1, f"the head in {head} cannot be read: {exc}")
    last = found[-1].seq if found else 0
    if pinned is None:
        if found:
            return Verdict(len(found), last, f"the head pinned in {head} is missing, so a cut-off end would go unseen")
        return Verdict(0)
    seq, digest = pinned
    if seq > last:
        return Verdict(len(found), last + 1,
                       f"the log ends at entry {last}, but entries up to {seq} were written (pinned in {head}): "
                       "its end was cut off")
    by_seq = {e.seq: e for e in found}
    if by_seq[seq].hash != digest:
        return Verdict(len(found), seq, f"it is not the entry pinned in {head} (the entries up to it were rewritten)")
    return Verdict(len(found))


def report(con, head: Path) -> dict:
    """The entries and the chain's state, as plain values (the CLI, the
    Privacy page, the daemon's ``access_log`` operation)."""
    verdict = verify(con, head)
    return {
        "entries": [{"seq": e.seq, "when": e.when.isoformat(), "who": e.who, "what": e.what,
                     "params": json.loads(e.params) if e.params.startswith("{") else e.params, "why": e.why}
                    for e in entries(con)],
        "intact": verdict.ok, "bad_entry": verdict.bad, "state": str(verdict),
    }
