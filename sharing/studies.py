"""A study: who asks, why, until when, and for exactly which aggregates.

A study is defined on the research server (``workprint team study create``)
and published to the team store at :func:`study_key` as JSON, where the
workers' Workprint reads it to write the consent text (sharing.study_consent)
and the releases. The definition is the contract: a worker consents to one
definition, and a changed definition is a new consent.

Keys in the store (sharing.teamstore.Folder):

- ``studies/<id>.json``: the definition (:func:`to_json`);
- ``study-releases/<id>/<YYYY-MM-DD>/<pseudonym>.parquet``: one worker-day
  (sharing.study_format), the pseudonym keyed for this study
  (sharing.pseudonym.scoped with :func:`scope`);
- the access log stays at ``access/<pseudonym>/`` (sharing.teamlog): a study
  pseudonym is a pseudonym like any other, and only its worker can compute it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, dataclass

from . import pseudonym as _pseudonym
from . import study_format as sf
from .teamstore import Folder

FORMAT = 1
K_MIN = 3  # as a team's: no study result is over fewer people than this
K_DEFAULT = 5
# How long the research server keeps a study's releases after its end date, then deletes them (the store's files
# and its ledger): stated in the consent text, enforced by the server (team/study_ledger.py).
KEEP_DAYS = 180
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,47}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TEXT_LIMITS = {"name": 120, "purpose": 2000, "researcher": 200}


class StudyError(ValueError):
    """A study definition that is not one; the message names the field and why."""


def check_id(study_id: str) -> str:
    """The id if it is one: 2-48 lower-case letters, digits and dashes, starting with a letter or digit."""
    if not isinstance(study_id, str) or not _ID.match(study_id) or "--" in study_id:
        raise StudyError(f"{study_id!r} is not a study id: use 2-48 lower-case letters, digits and single dashes")
    return study_id


@dataclass(frozen=True)
class Study:
    id: str
    name: str
    purpose: str
    researcher: str  # who is responsible: a name and a way to reach them
    ends: dt.date  # the last day releases are sent for; after it, nothing more is
    measures: tuple[str, ...]  # sharing.study_format.MEASURES asked for
    k: int = K_DEFAULT  # every result is over at least k people
    demo: bool = False  # made up by the demo; shown as such

    def __post_init__(self):
        check_id(self.id)
        for name, limit in _TEXT_LIMITS.items():
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise StudyError(f"a study's {name} must be given")
            if len(value) > limit:
                raise StudyError(f"a study's {name} is {len(value)} characters, more than {limit}")
        if type(self.ends) is not dt.date:
            raise StudyError(f"a study's end date must be a date, not {self.ends!r}")
        try:
            object.__setattr__(self, "measures", sf.check_measures(self.measures))
        except sf.StudyFormatError as exc:
            raise StudyError(str(exc)) from None
        if type(self.k) is not int or self.k < K_MIN:
            raise StudyError(f"a study's k must be a whole number of at least {K_MIN}, not {self.k!r}")

    @property
    def scope(self) -> str:
        return scope(self.id)

    @property
    def keep_until(self) -> dt.date:
        """The last day the research server keeps what the study received; deleted after it."""
        return self.ends + dt.timedelta(days=KEEP_DAYS)

    def running(self, day: dt.date) -> bool:
        """Whether releases are still sent for ``day``."""
        return day <= self.ends


def scope(study_id: str) -> str:
    """The consent scope and pseudonym scope of a study."""
    return f"study:{check_id(study_id)}"


def to_json(study: Study) -> str:
    plain = {**asdict(study), "ends": study.ends.isoformat(), "measures": list(study.measures), "format": FORMAT}
    return json.dumps(plain, sort_keys=True, indent=1, ensure_ascii=False) + "\n"


def from_json(text: str | bytes) -> Study:
    """The study a definition file holds; StudyError naming what is wrong."""
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise StudyError(f"a study definition is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise StudyError("a study definition must be a JSON object")
    if data.get("format") != FORMAT:
        raise StudyError(f"a study definition of format {data.get('format')!r}; this Workprint reads format {FORMAT}")
    fields = {"id", "name", "purpose", "researcher", "ends", "measures", "k", "demo"}
    missing = sorted(fields - {"demo"} - set(data))
    if missing:
        raise StudyError(f"a study definition misses {', '.join(missing)}")
    extra = sorted(set(data) - fields - {"format"})
    if extra:
        raise StudyError(f"a study definition holds fields no study has: {', '.join(extra)}")
    ends = data["ends"]
    if not isinstance(ends, str) or not _DAY.match(ends):
        raise StudyError(f"a study's end date must be YYYY-MM-DD, not {ends!r}")
    if not isinstance(data["measures"], list):
        raise StudyError("a study's measures must be a list")
    return Study(id=data["id"], name=data["name"], purpose=data["purpose"], researcher=data["researcher"],
                 ends=dt.date.fromisoformat(ends), measures=tuple(data["measures"]), k=data["k"],
                 demo=bool(data.get("demo", False)))


# --- keys ---------------------------------------------------------------------------
def study_key(study_id: str) -> str:
    return f"studies/{check_id(study_id)}.json"


def release_prefix(study_id: str) -> str:
    return f"study-releases/{check_id(study_id)}"


def release_key(study_id: str, day: dt.date, pseudonym: str) -> str:
    if not _pseudonym.is_pseudonym(pseudonym):
        raise ValueError(f"{pseudonym!r} is not a pseudonym")
    return f"{release_prefix(study_id)}/{day.isoformat()}/{pseudonym}.parquet"


def parse_release_key(key: str) -> tuple[str, dt.date, str] | None:
    """(study id, day, pseudonym) of a study release key; None for any other key."""
    parts = key.split("/")
    if (len(parts) != 4 or parts[0] != "study-releases" or not _ID.match(parts[1]) or not _DAY.match(parts[2])
            or not parts[3].endswith(".parquet")):
        return None
    who = parts[3][: -len(".parquet")]
    if not _pseudonym.is_pseudonym(who):
        return None
    try:
        return parts[1], dt.date.fromisoformat(parts[2]), who
    except ValueError:
        return None


# --- the store ----------------------------------------------------------------------
def publish(folder: Folder, study: Study) -> bool:
    """Publish a new study; False (nothing written) when a study of that id
    exists already: a definition once published is not changed in place."""
    return folder.put_new(study_key(study.id), to_json(study).encode())


def load(folder: Folder, study_id: str) -> Study:
    """The study of that id in the store; LookupError if there is none."""
    try:
        data = folder.get(study_key(study_id))
    except FileNotFoundError:
        raise LookupError(f"the team store {folder.root} holds no study {study_id!r}") from None
    return from_json(data)


def listing(folder: Folder) -> list[Study]:
    """Every study in the store, by id; a damaged definition is left out (load names why)."""
    found = []
    for key in folder.list("studies"):
        parts = key.split("/")
        if len(parts) == 2 and parts[1].endswith(".json") and _ID.match(parts[1][: -len(".json")]):
            try:
                found.append(load(folder, parts[1][: -len(".json")]))
            except (StudyError, LookupError):
                continue
    return sorted(found, key=lambda s: s.id)
