"""The worker's pseudonym in a team store: HMAC-SHA256 of the worker id, keyed
by the organisation's pseudonym secret.

The same worker and secret always give the same pseudonym, so a worker's days
line up across releases; without the secret, the pseudonym cannot be turned
back into the id, nor be computed for a guessed id. The team server never
holds a table from pseudonyms to names.
"""

from __future__ import annotations

import hashlib
import hmac
import re

MIN_SECRET_BYTES = 16
_PSEUDONYM = re.compile(r"^[0-9a-f]{64}$")


class SecretError(ValueError):
    """The organisation secret is missing or too short to protect anyone."""


def secret_from_text(text: str) -> bytes:
    """The secret as bytes, from the text an organisation hands out (one line,
    surrounding white space ignored). Raises SecretError if it is shorter than
    16 bytes."""
    secret = text.strip().encode()
    if len(secret) < MIN_SECRET_BYTES:
        raise SecretError(f"the organisation's pseudonym secret must be at least {MIN_SECRET_BYTES} characters "
                          f"(this one has {len(secret)})")
    return secret


def pseudonym(worker: str, secret: bytes) -> str:
    """64 hex digits: HMAC-SHA256(secret, worker id)."""
    if len(secret) < MIN_SECRET_BYTES:
        raise SecretError(f"the organisation's pseudonym secret must be at least {MIN_SECRET_BYTES} bytes")
    return hmac.new(secret, worker.encode(), hashlib.sha256).hexdigest()


def is_pseudonym(text: str) -> bool:
    return bool(_PSEUDONYM.match(text))


def scoped(worker: str, secret: bytes, scope: str) -> str:
    """64 hex digits: HMAC-SHA256 of the worker id keyed with a key of its own
    for ``scope`` (e.g. ``study:sleep-2027``), itself HMAC-SHA256(secret,
    scope). Two scopes give unrelated pseudonyms for the same worker, so their
    data cannot be joined on the person, and neither equals the team
    pseudonym (:func:`pseudonym`, keyed with the secret itself)."""
    if not scope:
        raise ValueError("a pseudonym scope must be named")
    if len(secret) < MIN_SECRET_BYTES:
        raise SecretError(f"the organisation's pseudonym secret must be at least {MIN_SECRET_BYTES} bytes")
    key = hmac.new(secret, b"workprint-scope:" + scope.encode(), hashlib.sha256).digest()
    return hmac.new(key, worker.encode(), hashlib.sha256).hexdigest()
