"""Reading buckets and events from a running ActivityWatch server.

Only the URL the user gave is contacted (no proxies, no redirects): the
documented REST API, ``GET /api/0/buckets/`` and then
``GET /api/0/buckets/<id>/events?limit=-1`` for each bucket, assembled into
the shape of ``GET /api/0/export``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

from .common import BadInput

TIMEOUT_S = 60


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        raise urllib.error.HTTPError(req.full_url, code, f"redirected to {newurl}; not followed", headers, fp)


# Direct connections only: a proxy from the environment must not see (or
# break) a loopback request.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def _get(url: str):
    try:
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        with _OPENER.open(request, timeout=TIMEOUT_S) as resp:
            body = resp.read()
    except urllib.error.HTTPError as exc:
        raise BadInput(f"{url}: the server answered {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise BadInput(f"{url}: cannot reach ActivityWatch ({reason}); is aw-server running?") from None
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{url}: the answer is not JSON ({exc})") from None


def fetch_export(base: str) -> dict:
    """An export-shaped dict ({"buckets": {id: bucket with "events"}}) from a server.

    Raises BadInput naming the URL if the server cannot be reached or answers
    something other than the documented JSON.
    """
    parts = urllib.parse.urlsplit(base)
    if not parts.hostname:
        raise BadInput(f"{base}: not a URL with a host")
    root = base.rstrip("/")
    if root.endswith("/api/0"):
        root = root[: -len("/api/0")]
    listing = _get(f"{root}/api/0/buckets/")
    if isinstance(listing, list):  # some servers list buckets instead of keying them
        listing = {b.get("id"): b for b in listing if isinstance(b, dict)}
    if not isinstance(listing, dict):
        raise BadInput(f"{root}/api/0/buckets/: expected an object of buckets, got {type(listing).__name__}")
    buckets = {}
    for bucket_id, meta in listing.items():
        if not isinstance(meta, dict):
            raise BadInput(f"{root}/api/0/buckets/: bucket {bucket_id!r} is not an object")
        quoted = urllib.parse.quote(str(bucket_id), safe="")
        events = _get(f"{root}/api/0/buckets/{quoted}/events?limit=-1")
        buckets[bucket_id] = {**meta, "id": meta.get("id", bucket_id), "events": events}
    return {"buckets": buckets}
