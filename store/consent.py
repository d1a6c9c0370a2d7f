"""The consent ledger: who accepted or withdrew, when, and which text.

Every text ever shown is kept, exactly, with its hash and what it covers
(``consent_texts``, numbered versions); each accept or withdrawal names the
version it was given for and the login that gave it (``consent_log``).

A withdrawal always takes effect, even when it cannot be written (a full
disk): it is then marked in a small file beside the database
(:func:`mark_withdrawal`), capture cannot start while that mark is there, and
whoever next opens the file for writing records it (:func:`settle_withdrawal`).
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import re
from pathlib import Path

from . import statements
from .txn import transaction

log = logging.getLogger("workprint.consent")


CAPTURE = "capture"  # recording on this computer: every consent before team mode
TEAM = "team"  # daily releases of aggregates to a team (capture/team_control.py)
SCOPES = (CAPTURE, TEAM)
# One consent per study (capture/study_control.py): 'study:<id>', the id as sharing.studies.check_id allows.
_STUDY_SCOPE = re.compile(r"^study:[a-z0-9][a-z0-9-]{1,47}$")


def _scope(scope: str) -> str:
    if scope not in SCOPES and not (isinstance(scope, str) and _STUDY_SCOPE.match(scope) and "--" not in scope):
        raise ValueError(f"{scope!r} is not a consent scope (one of {', '.join(SCOPES)}, or study:<id>)")
    return scope


def register_text(con, text: str, scope: str, consent_scope: str = CAPTURE) -> int:
    """The version number of ``text``, kept as a new version if it is new.
    ``scope`` (JSON) is what it covers; ``consent_scope`` which consent it
    asks for (CAPTURE or TEAM)."""
    sha = hashlib.sha256(text.encode()).hexdigest()
    with transaction(con):
        found = statements.scalar(con, "consent_text_find", {"sha256": sha})
        if found is not None:
            return int(found)
        return int(statements.scalar(con, "consent_text_add", {"sha256": sha, "text": text, "scope": scope,
                                                               "consent_scope": _scope(consent_scope)}))


def find_text(con, sha256: str) -> int | None:
    """The version number of the text with this hash, if it was ever kept."""
    found = statements.scalar(con, "consent_text_find", {"sha256": sha256})
    return None if found is None else int(found)


def text_version(con, version: int) -> dict | None:
    """One kept version: version, sha256, text, scope (JSON), created and
    consent_scope (which consent it asks for); None if unknown."""
    rows = statements.execute(con, "consent_text_get", {"version": int(version)}).fetchall()
    return dict(zip(("version", "sha256", "text", "scope", "created", "consent_scope"), rows[0])) if rows else None


def record_consent(con, accepted: bool, version: int | str | None = None, worker: str = "local",
                   scope: str = CAPTURE) -> None:
    """Append an accept of ``version``, or a withdrawal (of whatever was
    accepted), in ``scope``: an answer in one scope never changes another's.
    ValueError if ``version`` is a text of another scope."""
    _scope(scope)
    if version is None:
        latest = latest_consent(con, worker, scope)
        version = latest["text_version"] if latest else "0"
    elif accepted:
        kept = text_version(con, int(version))
        if kept is not None and kept["consent_scope"] != scope:
            raise ValueError(f"version {version} is the {kept['consent_scope']} consent text, not the {scope} one")
    statements.execute(con, "consent_record", {
        "action": "accept" if accepted else "withdraw", "version": str(version), "worker": worker,
        "account": _account(), "scope": scope})


def _account() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a uid with no name
        return "unknown"


def latest_consent(con, worker: str = "local", scope: str = CAPTURE) -> dict | None:
    """The worker's latest action in ``scope``: action, ts, text_version, account; None if none."""
    if _scope(scope) == CAPTURE:
        rows = statements.execute(con, "consent_latest_row", {"worker": worker}).fetchall()
    else:
        rows = statements.execute(con, "consent_latest_in_scope", {"worker": worker, "scope": scope}).fetchall()
    return dict(zip(("action", "ts", "text_version", "account"), rows[0])) if rows else None


def consent_given(con, worker: str = "local", scope: str = CAPTURE) -> bool:
    """True if the worker's latest consent action in ``scope`` is an accept (of any version)."""
    if _scope(scope) == CAPTURE:
        return statements.scalar(con, "consent_action", {"worker": worker}) == "accept"
    latest = latest_consent(con, worker, scope)
    return bool(latest) and latest["action"] == "accept"


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
