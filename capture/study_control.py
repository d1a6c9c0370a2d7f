"""The worker's side of studies: joining a study (consent to its scope
``study:<id>``), its daily releases, leaving (with removal of what was sent),
and where each study stands. Several studies may be joined at once, each
with its own consent, pseudonym and record. The command line
(cli/study_commands.py), the daemon and the Privacy page all go through
these functions.

As in capture.team_control, each action has a form on an open connection
(``*_on``, which the daemon runs while it holds the file: its ``study_*``
operations) and a form on the paths (through the daemon while it runs, else
on the file). Every failure the worker should read is a ControlError.

Two workers with the same worker id get the same pseudonym: a release is
never written over a file this database did not send (sharing.release.write
refuses, naming the key), and leaving removes only what it sent.

A study release goes out only for a completed local day (before today),
from the day after that study's consent was given, up to the study's end
date (the definition as consented to decides, not the store's copy), while
the consent stands, and only for a day that holds data.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from pathlib import Path

import store
from sharing import pseudonym as pseudonyms
from sharing import release, study_consent, study_release, teamstore
from sharing import studies as shared_studies
from store import accesslog
from store import keys as store_keys
from store import paths as store_paths
from store import study as study_db
from store.paths import Paths

from . import team_control as team
from .control import ControlError, upgrade
from .team_control import CAPTURED, DAYS_BACK, _categories, _do, _open_store, _secret, consent_digest

RELEASE_WHO = "study release"


def local_today() -> dt.date:
    """The worker's local date: a day before it is complete (tests move it)."""
    return dt.date.today()


def _check_id(study_id: str) -> str:
    try:
        return shared_studies.check_id(study_id)
    except shared_studies.StudyError as exc:
        raise ControlError(str(exc)) from None


def read_study(folder: teamstore.Folder, study_id: str) -> shared_studies.Study:
    """The study ``study_id`` as the store defines it; ControlError naming an
    unknown id or a damaged definition file."""
    try:
        return shared_studies.load(folder, _check_id(study_id))
    except LookupError as exc:
        known = ", ".join(s.id for s in shared_studies.listing(folder)) or "none"
        raise ControlError(f"{exc} (its studies: {known})") from None
    except shared_studies.StudyError as exc:
        raise ControlError(f"the study definition {folder.root / shared_studies.study_key(study_id)} is damaged: "
                           f"{exc}") from None
    except OSError as exc:
        raise ControlError(f"the study definition of {study_id!r} cannot be read: {exc}") from None


def listing(store_root: str | Path) -> list[shared_studies.Study]:
    """The studies the team store at ``store_root`` defines (a damaged one left out)."""
    return shared_studies.listing(_open_store(store_root))


def offer(paths: Paths, store_root: str | Path, study_id: str, secret_file: Path | str,
          worker_id: str | None = None) -> dict:
    """What joining the study would mean, before anything is written: its
    consent text (and sha256), the study, the store, the worker id and the
    study pseudonym. ControlError names a bad id, store, definition or secret,
    a study that has ended, or the demo's study."""
    _check_id(study_id)
    folder = _open_store(store_root)
    study = read_study(folder, study_id)
    if study.demo:
        raise ControlError(f"study {study.id!r} is the demo's study (made up, no researcher reads it): a real database "
                           "does not join it. Join a study your organisation's team store holds")
    team.refuse_demo_store(folder, "studies")
    secret = _secret(secret_file)
    if not study.running(local_today()):
        raise ControlError(f"study {study.id!r} ended on {study.ends}: nothing more is sent to it, so there is "
                           "nothing to join")
    default_id = not worker_id
    worker_id = worker_id or getpass.getuser()
    root = str(folder.root.resolve())
    cats = _categories(paths)
    own_db = None if paths.db.resolve() == store_paths.db_path().resolve() else paths.db.resolve()
    text = study_consent.generate(study, root, cats, worker_id, own_db)
    return {"text": text, "sha256": consent_digest(text), "study": study.id,
            "definition": shared_studies.to_json(study), "store": root, "worker_id": worker_id,
            "default_worker_id": default_id,
            "pseudonym": pseudonyms.scoped(worker_id, secret.encode(), study.scope), "categories": cats,
            "scope": study_consent.scope_json(study, root, cats, worker_id), "_secret": secret}


# --- on a connection (the daemon's, or this process's) ---------------------------------
def _standing_on(con, study_id: str) -> dict:
    latest = store.latest_consent(con, scope=shared_studies.scope(study_id))
    given = bool(latest) and latest["action"] == "accept"
    return {"given": given, "action": latest["action"] if latest else None, "at": latest["ts"] if latest else None,
            "version": int(latest["text_version"]) if latest and given else None}


def join_on(con, offered: dict, sha256: str | None = None) -> dict:
    """Record consent to the offered study text and the membership. ValueError
    when the text is not the one read, the file is a demo, or the study is
    joined already."""
    team.check_offer(con, offered, sha256, "study")
    scope = shared_studies.scope(offered["study"])
    current = study_db.membership(con, offered["study"])
    if current:
        raise ValueError(f"you are in study {offered['study']!r} already (since {current['joined']:%Y-%m-%d})")
    with store.transaction(con):
        version = store.register_text(con, offered["text"], offered["scope"], scope)
        store.record_consent(con, accepted=True, version=version, scope=scope)
        study_db.join(con, offered["study"], offered["store"], offered["definition"], offered["worker_id"],
                      offered["pseudonym"], offered["_secret"], version)
    return status_on(con)


def leave_on(con, study_id: str) -> dict:
    """Withdraw consent to the study, leave it (no release is sent after
    this, the secret is cleared) and delete from the store every file this
    database sent it (the bytes the local record's sha256 names). A file
    under the study pseudonym it did not send stays, listed in ``kept``: it
    may be another worker's with the same worker id. Leaving again retries a
    removal that failed. ValueError if the study was never joined."""
    study_id = shared_studies.check_id(study_id)
    last = study_db.last_membership(con, study_id)
    if last is None:
        raise ValueError(f"you have not joined study {study_id!r}: there is nothing to leave")
    was_in = last["left_at"] is None
    if was_in:
        with store.transaction(con):
            store.record_consent(con, accepted=False, scope=shared_studies.scope(study_id))
            study_db.leave(con, study_id)
    outcome = {"study": study_id, "left": was_in, "removed": [], "kept": [], "remove_error": None}
    try:
        outcome["removed"], outcome["kept"] = _remove_releases(con, last)
    except (ControlError, teamstore.StoreError, OSError) as exc:
        outcome["remove_error"] = str(exc)
    return outcome


def _remove_releases(con, member: dict) -> tuple[list, list]:
    folder = _open_store(member["store"])
    recorded = {r["key"]: r["sha256"] for r in study_db.releases(con, member["study"])
                if r["store"] == member["store"] and r["pseudonym"] == member["pseudonym"]}
    found = {k for k in folder.list(shared_studies.release_prefix(member["study"]))
             if (parsed := shared_studies.parse_release_key(k)) and parsed[2] == member["pseudonym"]}
    return team.remove_mine(folder, recorded, found, lambda key: study_db.mark_removed(con, member["store"], key))


def _days(member: dict, standing: dict, today: dt.date) -> tuple[shared_studies.Study, dt.date, dt.date]:
    """The study as consented to, and the first and last day that may be released."""
    study = shared_studies.from_json(member["definition"])
    first = standing["at"].astimezone().date() + dt.timedelta(days=1)
    return study, first, min(today - dt.timedelta(days=1), study.ends)


def _joined(con, study_id: str | None) -> list[tuple[dict, dict]]:
    """(membership, consent standing) of each study joined now with its consent standing."""
    if study_id is not None:
        member = study_db.membership(con, shared_studies.check_id(study_id))
        standing = _standing_on(con, study_id)
        if member is None or not standing["given"]:
            raise ValueError(f"no consent to study {study_id!r} stands: join it first (python -m capture study "
                             "join), or join again after leaving")
        return [(member, standing)]
    found = []
    for last in study_db.memberships(con):
        standing = _standing_on(con, last["study"])
        if last["left_at"] is None and standing["given"]:
            found.append((last, standing))
    return found


def release_on(con, access_head: Path, day: dt.date | None = None, study_id: str | None = None,
               today: dt.date | None = None, worker: str = CAPTURED) -> list[dict]:
    """Send the releases of every study joined (or of ``study_id``): of
    ``day``, or of every completed day since its consent not sent yet (up to
    DAYS_BACK back, never past the study's end). What was sent. ValueError
    says why a day asked for cannot go to any study (today, before consent,
    after the end, no data); teamstore.StoreError or OSError when the store
    cannot be written."""
    today = today or local_today()
    sent, refused, unreachable = [], [], []
    for member, standing in _joined(con, study_id):
        try:
            _release_study(con, access_head, member, standing, day, today, worker, sent, refused)
        except (teamstore.StoreError, OSError) as exc:  # one study's store away never holds the others back
            unreachable.append(f"study {member['study']!r}: {exc}")
    if unreachable:
        raise teamstore.StoreError("; ".join(unreachable) + (" (the other studies' releases were sent)" if sent else ""))
    if day is not None and not sent:
        raise ValueError("; ".join(refused) if refused else "you are in no study: join one first "
                         "(python -m capture study join)")
    return sent


def _release_study(con, access_head: Path, member: dict, standing: dict, day: dt.date | None, today: dt.date,
                   worker: str, sent: list, refused: list) -> None:
    """release_on for one study: what went is appended to ``sent``, why a day asked for cannot to ``refused``."""
    study, first, last = _days(member, standing, today)
    if day is not None:
        why = (f"{day} is not a completed day yet: only days before today are released" if day >= today else
               f"{day} is before the day after you joined study {study.id!r} ({first}): it is never released"
               if day < first else f"study {study.id!r} ended on {study.ends}: {day} is never released"
               if day > study.ends else None)
        if why:
            refused.append(why)
            return
        days = [day]
    else:
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)][-DAYS_BACK:]
    kept = store.text_version(con, member["text_version"])
    allowed = json.loads(kept["scope"])["categories"] if kept else []
    folder = teamstore.open_store(Path(member["store"]))
    for d in days:
        key = shared_studies.release_key(study.id, d, member["pseudonym"])
        record = study_db.release_record(con, member["store"], key)
        if day is None and record:
            continue  # sent once: the daily round never sends it again (as for a team)
        row = study_release.compute(con, d, worker, member["pseudonym"], study, allowed)
        if row is None:
            if day is not None:
                refused.append(f"to study {study.id!r}: " + team.no_data(con, d, worker))
            continue
        try:
            out = study_release.send(folder, row, study.measures, allowed, [record["sha256"]] if record else [])
        except release.KeyTaken as exc:  # nothing more goes to this study until it is sorted out
            raise release.KeyTaken(f"{exc} (your worker id here: {member['worker_id']!r})") from None
        new = out.changed or record is None or record["sha256"] != out.sha256 or record["removed"]
        if new:
            study_db.record_release(con, study.id, d, out.key, out.sha256, out.size, out.content,
                                    member["pseudonym"], member["store"])
            accesslog.append(con, access_head, RELEASE_WHO, f"daily release to study {study.id}",
                             {"study": study.id, "day": d.isoformat()}, f"you consented to study {study.id}")
        if new or day is not None:
            sent.append({"study": study.id, "day": d, "key": out.key, "sha256": out.sha256, "bytes": out.size,
                         "new": bool(new), "content": json.loads(out.content)})


def _entry(con, last: dict) -> dict:
    study = shared_studies.from_json(last["definition"])
    records = study_db.releases(con, study.id)
    shown = {k: v for k, v in last.items() if k not in ("secret", "definition")}
    return {"study": study.id, "name": study.name, "purpose": study.purpose, "researcher": study.researcher,
            "ends": study.ends, "ended": not study.running(local_today()), "keep_until": study.keep_until,
            "measures": list(study.measures), "k": study.k, "demo": study.demo,
            "membership": shown, "in_study": last["left_at"] is None, "consent": _standing_on(con, study.id),
            "releases": len([r for r in records if not r["removed"]]),
            "removed": len([r for r in records if r["removed"]]),
            "last_release": next((r for r in records if not r["removed"]), None)}


def status_on(con) -> dict:
    """Every study ever joined, by id: its definition as consented to, the
    membership (never the secret), consent, releases held and removed."""
    found = [_entry(con, last) for last in study_db.memberships(con)]
    return {"studies": found, "joined": len([s for s in found if s["in_study"]])}


def overview_on(con) -> dict:
    """status_on, with each study's every release sent (newest day first) and
    what its accepted consent text promised (its scope and text)."""
    state = status_on(con)
    for entry in state["studies"]:
        kept = store.text_version(con, entry["membership"]["text_version"])
        entry["records"] = study_db.releases(con, entry["study"])
        entry["promise"] = json.loads(kept["scope"]) if kept else None
        entry["promise_text"] = kept["text"] if kept else None
    return state


# --- on the paths: through the daemon while it runs -------------------------------------
def join(paths: Paths, store_root, study_id: str, secret_file, worker_id: str | None = None,
         sha256: str | None = None) -> dict:
    """Join ``study_id``: consent to the text offer() gives (``sha256``: the
    hash of the text the worker read, refused if it changed) and the
    membership, with the secret, in the encrypted database. Returns status()."""
    offered = offer(paths, store_root, study_id, secret_file, worker_id)
    fresh = (not paths.db.exists(), store_keys.key_file(paths.db).exists(), paths.db.parent.exists())
    try:
        return _do(paths, "study_join", {"offered": offered, "sha256": sha256},
                   lambda con: join_on(con, offered, sha256))
    except ControlError:
        if fresh[0]:
            _discard_new(paths.db, *fresh[1:])
        raise


def _discard_new(db: Path, had_key: bool, had_folder: bool) -> None:
    """Remove the database a failed join just made (a mistyped --db must not
    leave an empty database behind): the file, its WAL, its new key file and
    the folder made for it, if empty."""
    for made in (db, db.with_name(db.name + ".wal")) + (() if had_key else (store_keys.key_file(db),)):
        made.unlink(missing_ok=True)
    if not had_folder:
        try:
            db.parent.rmdir()
        except OSError:
            pass  # something else is in it now: not ours to remove


def leave(paths: Paths, study_id: str) -> dict:
    """Leave the study: consent withdrawn, no release after this, and every
    file sent to it removed from the store; what was done."""
    _check_id(study_id)
    return _do(paths, "study_leave", {"study": study_id}, lambda con: leave_on(con, study_id))


def send(paths: Paths, day: dt.date | None = None, study_id: str | None = None) -> list[dict]:
    """Release ``day`` now (default: every completed day not yet sent) to every
    study joined, or to ``study_id``; what was sent."""
    fields = {"day": day.isoformat() if day else None, "study": study_id}
    return _do(paths, "study_release", fields, lambda con: release_on(con, paths.access_head, day, study_id))


def status(paths: Paths) -> dict:
    """status_on, from the daemon or the file; no study without a database."""
    if not paths.db.exists():
        return {"studies": [], "joined": 0}
    upgrade(paths)
    return _do(paths, "study_status", {}, status_on, write=False)


def overview(paths: Paths) -> dict:
    """overview_on, from the daemon or the file; no study without a database."""
    if not paths.db.exists():
        return {"studies": [], "joined": 0}
    upgrade(paths)
    return _do(paths, "study_overview", {}, overview_on, write=False)
