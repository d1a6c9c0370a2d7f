"""The worker's side of team mode: joining a team (consent to the ``team``
scope), daily releases, revoking, and where it all stands. The command line
(cli/team_worker_commands.py), the daemon and the Privacy page all go
through these functions.

Each action has a form on an open connection (``*_on``), which the daemon
runs while it holds the file (capture.daemon's ``team_*`` operations), and a
form on the paths, which asks the daemon while it runs and otherwise opens
the file itself, as capture.control does. Every failure the worker should
read is a :class:`capture.control.ControlError`.

A release goes out only for a completed local day (before today), after the
day team consent was given, while it stands, and only for a day that holds
data; sending a day again writes nothing when its bytes are the same, and
nothing is ever written over a file this database did not send (another
worker with the same worker id has the same pseudonym): sharing.release.write
refuses it, naming the key.
"""

from __future__ import annotations

import datetime as dt
import functools
import getpass
import json
from pathlib import Path

import duckdb

import store
from sharing import pseudonym as pseudonyms
from sharing import release, team_consent, teamstore
from store import accesslog, client, schema, statements
from store import team as team_db
from store.consent import TEAM
from store.paths import Paths

from .control import ControlError, _through_daemon_or_file, upgrade

CAPTURED = "local"  # whose rows a release is computed from: what capture recorded here
DAYS_BACK = 28  # the daily round looks this far back for a completed day not yet sent (under raw retention)
RELEASE_WHO = "team release"
DEMO_MARKER = "demo-team.json"  # demo.team.MARKER (capture may not import demo): a demo team store holds it


# --- what the consent text needs ---------------------------------------------------
@functools.cache
def _default_rules() -> tuple[str, ...]:
    """The categories of a new database's rules (before there is a file)."""
    con = duckdb.connect()
    try:
        schema.migrate(con)
        return tuple(categories_of(con))
    finally:
        con.close()


def categories_of(con) -> list[str]:
    """The category names of the worker's rules."""
    return sorted({row[2] for row in statements.execute(con, "category_rules_all").fetchall()})


def _categories(paths: Paths) -> list[str]:
    if not paths.db.exists():
        return list(_default_rules())
    try:
        table = client.read(paths, statements.named()["category_rules_all"].sql, upgrade=True)
    except store.StoreError as exc:
        raise ControlError(str(exc)) from None
    except client.DaemonError as exc:
        raise ControlError(f"the capture daemon could not read the category rules: {exc}") from None
    return sorted(set(table.column("category").to_pylist()))


def _secret(secret_file: Path | str) -> str:
    try:
        text = Path(secret_file).expanduser().read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ControlError(f"the secret file {secret_file} does not exist: give the file your organisation "
                           "handed out, with --secret-file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ControlError(f"the secret file {secret_file} cannot be read: {exc}") from None
    try:
        return pseudonyms.secret_from_text(text).decode()
    except pseudonyms.SecretError as exc:
        raise ControlError(f"{secret_file}: {exc}") from None


def _open_store(root: str | Path) -> teamstore.Folder:
    try:
        return teamstore.open_store(Path(root).expanduser())
    except teamstore.StoreError as exc:
        raise ControlError(str(exc)) from None
    except OSError as exc:
        raise ControlError(f"the team store at {root} cannot be read: {exc}") from None


def offer(paths: Paths, store_root: str | Path, team: str, secret_file: Path | str,
          worker_id: str | None = None) -> dict:
    """What joining would mean, before anything is written: the team consent
    text (and its sha256), the team, the store's resolved path, the worker id
    and pseudonym. ControlError names a bad store, team name or secret."""
    try:
        team = teamstore.check_team(team)
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    folder = _open_store(store_root)
    refuse_demo_store(folder)
    secret = _secret(secret_file)
    default_id = not worker_id
    worker_id = worker_id or getpass.getuser()
    root = str(folder.root.resolve())
    cats = _categories(paths)
    text = team_consent.generate(team, root, cats, worker_id)
    return {"text": text, "sha256": consent_digest(text), "team": team, "store": root, "worker_id": worker_id,
            "default_worker_id": default_id,
            "pseudonym": pseudonyms.pseudonym(worker_id, secret.encode()), "categories": cats,
            "scope": team_consent.scope_json(team, root, cats, worker_id), "_secret": secret}


def refuse_demo_store(folder: teamstore.Folder, what: str = "team") -> None:
    """ControlError for the demo's team store: its people are made up, so a
    real worker's releases must never mix with them (and a researcher or
    manager reading it takes it for demo data)."""
    if (folder.root / DEMO_MARKER).exists():
        raise ControlError(f"{folder.root} is the demo team store (it holds {DEMO_MARKER}): a real database does not "
                           f"join its {what}. Join the team store your organisation set up")


def same_id_hint(worker_id: str) -> str:
    """What a join says when the worker id is the login name (the default)."""
    return (f"your worker id is {worker_id!r}, your login name (the default). Two people with the same worker id "
            "get the same pseudonym and their releases collide: if your organisation assigns worker ids, leave and "
            "join again with --worker-id ID (the id it gave you)")


def remove_mine(folder: teamstore.Folder, recorded: dict[str, str], found: set[str], mark) -> tuple[list, list]:
    """Delete each key whose bytes are the ones this database sent there
    (``recorded``: key -> sha256 of the local record); a file under my
    pseudonym that it did not send (``found`` not recorded, or bytes changed
    since) stays, and is reported, since it may be another worker's with the
    same worker id. ``mark(key)`` notes each recorded key as no longer mine in
    the store. (removed keys, "key: why" of each kept.)"""
    import hashlib

    removed, kept = [], []
    for key in sorted(set(recorded) | found):
        try:
            there = hashlib.sha256(folder.get(key)).hexdigest()
        except FileNotFoundError:
            there = None
        if there is not None and there == recorded.get(key):
            if folder.delete(key):
                removed.append(key)
        elif there is not None:
            kept.append(f"{key}: this database did not send it" + (
                " (its bytes are not the ones sent)" if key in recorded else "")
                + "; another worker may use the same worker id")
        if key in recorded:
            mark(key)
    return removed, kept


def consent_digest(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


# --- on a connection (the daemon's, or this process's) ---------------------------------
def check_offer(con, offered: dict, sha256: str | None, command: str) -> None:
    """ValueError unless the offered consent text (of ``python -m capture COMMAND join``) may be accepted on
    ``con`` now: not a demo database, the category rules it names unchanged, and the hash, if given, its own."""
    if store.marked_demo(con):
        raise ValueError(f"this database {store.DEMO_REFUSED}")
    if categories_of(con) != offered["categories"]:
        raise ValueError("the category rules changed since the text was made: read it again")
    if sha256 is not None and sha256 != offered["sha256"]:
        raise ValueError(f"that hash is not the {command} consent text's now: read it again (python -m capture "
                         f"{command} join without --yes), with its hash")


def join_on(con, offered: dict, sha256: str | None = None) -> dict:
    """Record team consent to the offered text and the membership. ValueError
    when the text is not the one read, the file is a demo, or another team is
    joined already."""
    check_offer(con, offered, sha256, "team")
    current = team_db.membership(con)
    if current and (current["team"], current["store"]) != (offered["team"], offered["store"]):
        raise ValueError(f"you are in team {current['team']!r} (store {current['store']}) already: leave it first "
                         "(python -m capture team leave)")
    with store.transaction(con):
        version = store.register_text(con, offered["text"], offered["scope"], TEAM)
        store.record_consent(con, accepted=True, version=version, scope=TEAM)
        if current:
            team_db.leave(con)
        team_db.join(con, offered["team"], offered["store"], offered["worker_id"], offered["pseudonym"],
                     offered["_secret"], version)
    return status_on(con)


def leave_on(con, remove: bool = False) -> dict:
    """Withdraw team consent and leave (no release is sent after this); with
    ``remove``, delete from the store every file this database released (the
    bytes the local record's sha256 names); one under the pseudonym it did not
    send stays, listed in ``kept`` (another worker may have the same worker
    id). ValueError if no team was ever joined."""
    last = team_db.last_membership(con)
    if last is None:
        raise ValueError("you have not joined a team: there is nothing to leave")
    was_in = last["left_at"] is None
    if was_in:
        with store.transaction(con):
            store.record_consent(con, accepted=False, scope=TEAM)
            team_db.leave(con)
    outcome = {"team": last["team"], "left": was_in, "removed": [], "kept": [], "remove_error": None}
    if remove:
        try:
            outcome["removed"], outcome["kept"] = _remove_releases(con, last)
        except (ControlError, OSError) as exc:
            outcome["remove_error"] = str(exc)
    return outcome


def _remove_releases(con, member: dict) -> tuple[list, list]:
    folder = _open_store(member["store"])
    recorded = {r["key"]: r["sha256"] for r in team_db.releases(con) if r["store"] == member["store"]
                and r["pseudonym"] == member["pseudonym"]}
    found = {k for k in folder.list("releases")
             if (parsed := teamstore.parse_release_key(k)) and parsed[2] == member["pseudonym"]}
    return remove_mine(folder, recorded, found, lambda key: team_db.mark_removed(con, member["store"], key))


def no_data(con, day: dt.date, worker: str) -> str:
    """Why ``day`` sends nothing: whose data is released, and that imported data under other names never is."""
    others = [w for (w,) in statements.execute(con, "deletion_workers", {"worker": None}).fetchall() if w != worker]
    return (f"{day} holds no data of worker {worker!r} (what capture records on this machine): nothing to release. "
            f"Only that worker's data is released; data imported under other worker names"
            + (f" (here: {', '.join(repr(w) for w in others)})" if others else "") + " is never released")


def _standing_on(con) -> dict:
    latest = store.latest_consent(con, scope=TEAM)
    given = bool(latest) and latest["action"] == "accept"
    return {"given": given, "action": latest["action"] if latest else None,
            "at": latest["ts"] if latest else None,
            "version": int(latest["text_version"]) if latest and given else None}


def local_today() -> dt.date:
    """The worker's local date, the one clock releases go by: a day before it is complete."""
    return dt.date.today()


def eligible_days(con, today: dt.date) -> tuple[dict, dt.date] | None:
    """The membership and the first day that may be released; None if no team consent stands."""
    member, standing = team_db.membership(con), _standing_on(con)
    if member is None or not standing["given"]:
        return None
    return member, standing["at"].astimezone().date() + dt.timedelta(days=1)


def release_on(con, access_head: Path, day: dt.date | None = None, today: dt.date | None = None,
               worker: str = CAPTURED) -> list[dict]:
    """Send the release of ``day`` (default: every completed day since consent
    never sent, up to DAYS_BACK back); what was sent (a day asked for is
    computed again and sent only if its bytes changed). ValueError says why a
    day asked for cannot go (no team, consent revoked, today, before consent,
    no data); teamstore.StoreError or OSError when the store cannot be written."""
    today = today or local_today()
    found = eligible_days(con, today)
    if found is None:
        raise ValueError("no team consent stands: join a team first (python -m capture team join), "
                         "or join again after leaving")
    member, first = found
    if day is not None:
        if day >= today:
            raise ValueError(f"{day} is not a completed day yet: only days before today are released")
        if day < first:
            raise ValueError(f"{day} is before the day after you joined ({first}): it is never released")
        days = [day]
    else:
        days = [first + dt.timedelta(days=i) for i in range((today - first).days)][-DAYS_BACK:]
    kept = store.text_version(con, member["text_version"])
    allowed = json.loads(kept["scope"])["categories"] if kept else []
    folder = teamstore.open_store(Path(member["store"]))
    sent = []
    for d in days:
        key = teamstore.release_key(member["team"], d, member["pseudonym"])
        record = team_db.release_record(con, member["store"], key)
        if day is None and record:
            # Sent once: the daily round never sends it again (its raw events may since have expired,
            # which would change its figures); a release asked for by day recomputes it.
            continue
        row = release.compute(con, d, worker, member["pseudonym"], member["team"], allowed)
        if row is None:
            if day is not None:
                raise ValueError(no_data(con, d, worker))
            continue
        try:
            out = release.send(folder, row, [record["sha256"]] if record else [])
        except release.KeyTaken as exc:
            raise release.KeyTaken(f"{exc} (your worker id here: {member['worker_id']!r})") from None
        if out.changed or record is None or record["sha256"] != out.sha256 or record["removed"]:
            team_db.record_release(con, member["team"], d, out.key, out.sha256, out.size, out.content,
                                   member["pseudonym"], member["store"])
            accesslog.append(con, access_head, RELEASE_WHO, f"daily release to team {member['team']}",
                             {"team": member["team"], "day": d.isoformat()},
                             "you consented to the team scope")
            sent.append({"day": d, "key": out.key, "sha256": out.sha256, "bytes": out.size, "new": True,
                         "content": json.loads(out.content)})
        elif day is not None:
            sent.append({"day": d, "key": out.key, "sha256": out.sha256, "bytes": out.size, "new": False,
                         "content": json.loads(out.content)})
    return sent


def status_on(con) -> dict:
    """Where team mode stands: membership (never the secret), team consent, releases sent."""
    member = team_db.last_membership(con)
    shown = None if member is None else {k: v for k, v in member.items() if k != "secret"}
    releases = team_db.releases(con)
    return {"membership": shown, "in_team": bool(member) and member["left_at"] is None,
            "consent": _standing_on(con), "releases": len(releases),
            "last_release": releases[0] if releases else None}


def overview_on(con) -> dict:
    """status_on, with every release sent (newest day first) and what the
    accepted team consent text promised (its scope: columns and categories)."""
    state = status_on(con)
    member = team_db.last_membership(con)
    kept = store.text_version(con, member["text_version"]) if member else None
    return {**state, "records": team_db.releases(con), "promise": json.loads(kept["scope"]) if kept else None,
            "promise_text": kept["text"] if kept else None}


# --- on the paths: through the daemon while it runs -------------------------------------
def plain(value):
    """Values as the daemon's JSON carries them (and back: the dates stay ISO text)."""
    return json.loads(json.dumps(value, default=lambda v: v.isoformat()))


def _do(paths: Paths, op: str, fields: dict, on_con, write: bool = True):
    def offline():
        con = store.open_writable(paths.db) if write else store.open_read_only(paths.db)
        try:
            return plain(on_con(con))
        finally:
            con.close()

    try:
        return _through_daemon_or_file(paths, op, fields, offline)
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    except (teamstore.StoreError, OSError) as exc:
        raise ControlError(f"the team store could not be written: {exc}") from None
    except duckdb.Error as exc:
        raise ControlError(f"{paths.db} could not be written: {exc}") from None


def join(paths: Paths, store_root, team: str, secret_file, worker_id: str | None = None,
         sha256: str | None = None) -> dict:
    """Join ``team``: team consent to the text offer() gives (``sha256``: the
    hash of the text the worker read, refused if it changed) and the
    membership, with the secret, in the encrypted database. Returns status()."""
    offered = offer(paths, store_root, team, secret_file, worker_id)
    fields = {"offered": offered, "sha256": sha256}
    return _do(paths, "team_join", fields, lambda con: join_on(con, offered, sha256))


def leave(paths: Paths, remove: bool = False) -> dict:
    """Revoke team consent (no release after this) and, with ``remove``, delete
    every released file from the store; what was done."""
    return _do(paths, "team_leave", {"remove": remove}, lambda con: leave_on(con, remove))


def send(paths: Paths, day: dt.date | None = None) -> list[dict]:
    """Release ``day`` now (default: every completed day not yet sent); what was sent."""
    fields = {"day": day.isoformat() if day else None}
    return _do(paths, "team_release", fields, lambda con: release_on(con, paths.access_head, day))


def status(paths: Paths) -> dict:
    """status_on, from the daemon or the file; an empty status without a database."""
    if not paths.db.exists():
        return {"membership": None, "in_team": False, "consent": {"given": False, "action": None, "at": None,
                                                                  "version": None}, "releases": 0,
                "last_release": None}
    upgrade(paths)
    return _do(paths, "team_status", {}, status_on, write=False)


def overview(paths: Paths) -> dict:
    """overview_on, from the daemon or the file (status() without a database)."""
    if not paths.db.exists():
        return {**status(paths), "records": [], "promise": None, "promise_text": None}
    upgrade(paths)
    return _do(paths, "team_overview", {}, overview_on, write=False)
