"""The worker's side of studies, as stored: each study joined
(``study_membership``, several at once) and every study release sent
(``study_releases``).

As for a team (store.team), the organisation's pseudonym secret is kept here,
in the encrypted file, and cleared when the worker leaves the study. The
study's definition is kept as it was consented to: what is sent follows it,
not whatever the store says later. capture.study_control decides when to
send; sharing.study_release computes what.
"""

from __future__ import annotations

import datetime as dt

from . import statements

_MEMBER = ("joined", "study", "store", "definition", "worker_id", "pseudonym", "secret", "text_version", "left_at")
_RELEASE = ("study", "day", "key", "sha256", "bytes", "sent", "content", "pseudonym", "store", "removed")


def _one(con, name: str, params: dict) -> dict | None:
    rows = statements.execute(con, name, params).fetchall()
    return dict(zip(_MEMBER, rows[0])) if rows else None


def membership(con, study: str) -> dict | None:
    """The join of ``study`` that stands now (joined, study, store, definition,
    worker_id, pseudonym, secret, text_version, left_at); None."""
    return _one(con, "study_membership_current", {"study": study})


def last_membership(con, study: str) -> dict | None:
    """The newest join of ``study``, even if left (its secret then cleared); None if never joined."""
    return _one(con, "study_membership_last", {"study": study})


def memberships(con) -> list[dict]:
    """The newest join of every study ever joined, by study id."""
    return [dict(zip(_MEMBER, row)) for row in statements.execute(con, "study_memberships").fetchall()]


def join(con, study: str, store: str, definition: str, worker_id: str, pseudonym: str, secret: str,
         text_version: int) -> None:
    statements.execute(con, "study_membership_add", {
        "study": study, "store": store, "definition": definition, "worker_id": worker_id,
        "pseudonym": pseudonym, "secret": secret, "text_version": int(text_version)})


def leave(con, study: str) -> None:
    statements.execute(con, "study_membership_leave", {"study": study})


def record_release(con, study: str, day: dt.date, key: str, sha256: str, size: int, content: str,
                   pseudonym: str, store: str) -> None:
    statements.execute(con, "study_release_record", {
        "study": study, "day": day, "key": key, "sha256": sha256, "bytes": size, "content": content,
        "pseudonym": pseudonym, "store": store})


def release_record(con, store: str, key: str) -> dict | None:
    """What was sent at ``key`` (sha256, content, removed); None if never."""
    rows = statements.execute(con, "study_release_find", {"store": store, "key": key}).fetchall()
    return dict(zip(("sha256", "content", "removed"), rows[0])) if rows else None


def mark_removed(con, store: str, key: str) -> None:
    statements.execute(con, "study_release_removed", {"store": store, "key": key})


def releases(con, study: str) -> list[dict]:
    """Every release sent to ``study``, newest day first."""
    return [dict(zip(_RELEASE, row)) for row in statements.execute(con, "study_releases_of", {"study": study})
            .fetchall()]
