"""The worker's side of team mode, as stored: the teams joined
(``team_membership``) and every release sent (``team_releases``).

The organisation's pseudonym secret is kept here, in the encrypted file,
never in a plain file, and cleared when the worker leaves. What a release
holds and how it is computed is sharing.release; capture.team_control
decides when to send.
"""

from __future__ import annotations

import datetime as dt

from . import statements

_MEMBER = ("joined", "team", "store", "worker_id", "pseudonym", "secret", "text_version", "left_at")
_RELEASE = ("team", "day", "key", "sha256", "bytes", "sent", "content", "pseudonym", "store", "removed")


def membership(con) -> dict | None:
    """The team joined now (joined, team, store, worker_id, pseudonym, secret, text_version, left_at); None."""
    rows = statements.execute(con, "team_membership_current").fetchall()
    return dict(zip(_MEMBER, rows[0])) if rows else None


def last_membership(con) -> dict | None:
    """The newest join, even if left (its secret then cleared); None if never joined."""
    rows = statements.execute(con, "team_membership_last").fetchall()
    return dict(zip(_MEMBER, rows[0])) if rows else None


def join(con, team: str, store: str, worker_id: str, pseudonym: str, secret: str, text_version: int) -> None:
    statements.execute(con, "team_membership_add", {
        "team": team, "store": store, "worker_id": worker_id, "pseudonym": pseudonym, "secret": secret,
        "text_version": int(text_version)})


def leave(con) -> None:
    statements.execute(con, "team_membership_leave")


def record_release(con, team: str, day: dt.date, key: str, sha256: str, size: int, content: str,
                   pseudonym: str, store: str) -> None:
    statements.execute(con, "team_release_record", {
        "team": team, "day": day, "key": key, "sha256": sha256, "bytes": size, "content": content,
        "pseudonym": pseudonym, "store": store})


def release_record(con, store: str, key: str) -> dict | None:
    """What was sent at ``key`` (sha256, content, removed); None if never."""
    rows = statements.execute(con, "team_release_find", {"store": store, "key": key}).fetchall()
    return dict(zip(("sha256", "content", "removed"), rows[0])) if rows else None


def mark_removed(con, store: str, key: str) -> None:
    statements.execute(con, "team_release_removed", {"store": store, "key": key})


def releases(con) -> list[dict]:
    """Every release sent, newest day first."""
    return [dict(zip(_RELEASE, row)) for row in statements.execute(con, "team_releases_all").fetchall()]
