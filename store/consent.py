"""The consent ledger: who accepted or withdrew, when, and which text."""

from __future__ import annotations

from . import statements

CONSENT_TEXT_VERSION = "1"


def record_consent(con, accepted: bool, worker: str = "local") -> None:
    statements.execute(con, "consent_record", {
        "action": "accept" if accepted else "withdraw", "version": CONSENT_TEXT_VERSION, "worker": worker})


def consent_given(con, worker: str = "local") -> bool:
    """True if the worker's latest consent action is an accept."""
    return statements.scalar(con, "consent_action", {"worker": worker}) == "accept"
