"""The consent ledger: who accepted or withdrew, when, and which text.

A withdrawal always takes effect, even when it cannot be written (a full
disk): it is then marked in a small file beside the database
(:func:`mark_withdrawal`), capture cannot start while that mark is there, and
whoever next opens the file for writing records it (:func:`settle_withdrawal`).
"""

from __future__ import annotations

import logging
from pathlib import Path

from . import statements

log = logging.getLogger("workprint.consent")

CONSENT_TEXT_VERSION = "1"


def record_consent(con, accepted: bool, worker: str = "local") -> None:
    statements.execute(con, "consent_record", {
        "action": "accept" if accepted else "withdraw", "version": CONSENT_TEXT_VERSION, "worker": worker})


def consent_given(con, worker: str = "local") -> bool:
    """True if the worker's latest consent action is an accept."""
    return statements.scalar(con, "consent_action", {"worker": worker}) == "accept"


def withdraw(write, marker: Path) -> str:
    """Withdraw consent: ``write()`` records it in the file; if that fails for
    any reason (a full disk, a file it cannot open), the withdrawal still
    stands and is marked beside the file instead. Returns 'written', 'marked',
    or 'unrecorded' when even the mark failed."""
    try:
        write()
    except Exception as exc:  # noqa: BLE001 - whatever stops the write, the withdrawal stands
        log.error("the withdrawal could not be written yet (%s)", exc)
        return "marked" if mark_withdrawal(marker) else "unrecorded"
    return "written"


def mark_withdrawal(marker: Path) -> bool:
    """Note a withdrawal that could not be written yet; False if even that failed."""
    try:
        marker.touch(mode=0o600)
    except OSError as exc:
        log.error("could not note the withdrawal either (%s): it is in effect until capture restarts", exc)
        return False
    return True


def settle_withdrawal(con, marker: Path, worker: str = "local") -> bool:
    """Record a withdrawal noted in ``marker``, then remove the mark; True if
    one was pending. Raises what the write raised, leaving the mark."""
    if not marker.exists():
        return False
    record_consent(con, accepted=False, worker=worker)
    marker.unlink(missing_ok=True)
    return True
