"""What my team sees: every release sent, read back from the team store and
held against the promise, and the team store's access log for my pseudonym.

For the Privacy page (and anyone else who asks): it only reads the team
store. A release file is shown as the store holds it now, marked when it is
gone or is not the file sent (its sha256 differs from the local record), and
checked with sharing.release_format.check against its own Parquet schema
and values and the categories the accepted consent text named. The access
log is pulled and verified (sharing.teamlog); the last entry a verified pull
saw is pinned beside the database (store.paths.Paths.team_access_head), so a
chain cut back or rewritten since is caught too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from sharing import release, release_format, teamlog, teamstore
from store.paths import Paths, write_private

from . import team_control

AS_SENT, GONE, CHANGED, REMOVED, UNREACHABLE = "as sent", "gone", "changed", "removed by you", "store unreachable"


def read_back(folder: teamstore.Folder | None, record: dict, categories: set[str] | None,
               check=release_format.check, row_of=release.row_of) -> dict:
    """One release as the store holds it now, held against the promise
    (``check(table, categories)``: a team's unless told; capture.study_seen
    passes a study's)."""
    seen = {"day": record["day"], "key": record["key"], "sent": record["sent"], "bytes": record["bytes"],
            "sha256": record["sha256"], "recorded": json.loads(record["content"]), "row": None, "problems": []}
    if record["removed"]:
        return {**seen, "state": REMOVED}
    if folder is None:
        return {**seen, "state": UNREACHABLE}
    try:
        data = folder.get(record["key"])
    except FileNotFoundError:
        return {**seen, "state": GONE, "problems": ["the file is no longer in the team store"]}
    state = AS_SENT if hashlib.sha256(data).hexdigest() == record["sha256"] else CHANGED
    try:
        table = release.decode(data)
    except Exception as exc:  # noqa: BLE001 - whatever is there instead of a release is reported
        return {**seen, "state": CHANGED, "problems": [f"the file is not a Parquet release: {exc}"]}
    problems = check(table, categories)
    row = row_of(table) if table.num_rows == 1 and not [p for p in problems if "column" in p] else None
    if row is not None and row != seen["recorded"]:
        differ = sorted(k for k in set(row) | set(seen["recorded"]) if row.get(k) != seen["recorded"].get(k))
        problems.append("it differs from what was sent in: " + ", ".join(differ))
    if state == CHANGED and not problems:
        problems.append("its bytes are not the file sent (the sha256 differs)")
    return {**seen, "state": state, "row": row, "problems": problems}


def releases(paths: Paths) -> dict:
    """The team overview (capture.team_control.overview) with ``seen``: each
    release read back (state, row, problems), newest day first, and
    ``store_error`` when the store cannot be opened."""
    state = team_control.overview(paths)
    promise = state["promise"]
    categories = set(promise["categories"]) if promise else None
    folder, error = None, None
    member = state["membership"]
    if member:
        try:
            folder = teamstore.open_store(Path(member["store"]))
        except (teamstore.StoreError, OSError) as exc:
            error = str(exc)
    state["seen"] = [read_back(folder, r, categories) for r in state["records"]]
    state["store_error"] = error
    return state


def rows(row: dict) -> list[dict]:
    """A release row as (column, value, meaning) lines, in the promise's order."""
    meanings = {c.name: c.meaning for c in release_format.COLUMNS}
    return [{"column": name, "value": json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict))
             else str(value), "meaning": meanings.get(name, "NOT PROMISED")} for name, value in row.items()]


# --- the team store's access log ------------------------------------------------------
def _pinned(head: Path, pseudonym: str) -> tuple[int, str] | None:
    try:
        pinned = json.loads(head.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return (0, "unreadable")
    if pinned.get("pseudonym") != pseudonym:
        return None
    return int(pinned["seq"]), str(pinned["hash"])


def access(paths: Paths, pseudonym: str, store_root: str, head: Path | None = None) -> dict:
    """Who read figures that include me: ``entries`` (seq, when, who, what,
    params, why), ``intact`` and ``state`` (sharing.teamlog.verify against
    the pinned head: ``head``, else the team's), ``error`` when the store
    cannot be read. The head is moved on only after a pull that verified."""
    head = head or paths.team_access_head
    try:
        folder = teamstore.open_store(Path(store_root))
        found = teamlog.entries(folder, pseudonym)
    except (teamstore.StoreError, OSError) as exc:
        return {"entries": [], "intact": None, "state": "", "error": str(exc)}
    seen = _pinned(head, pseudonym)
    verdict = teamlog.verify(found, seen if seen != (0, "unreadable") else None)
    if seen == (0, "unreadable"):
        verdict = type(verdict)(len(found), 1, f"the pinned head {head} cannot be read")
    if verdict.ok and found:
        last = found[-1]
        write_private(head, json.dumps({"pseudonym": pseudonym, "seq": last.seq, "hash": last.hash}) + "\n")
    epoch = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    return {"entries": [{"seq": e.seq, "when": (epoch + dt.timedelta(microseconds=e.ts_us)).isoformat(),
                         "who": e.who, "what": e.what, "params": e.params, "why": e.why} for e in found],
            "intact": verdict.ok, "state": str(verdict), "error": None}
