"""python -m capture import keystrokes FILE_OR_DIR --format aalto136m

The "136 Million Keystrokes" study (Dhakal et al., CHI 2018): one
tab-separated latin-1 file per participant (``<ID>_keystrokes.txt``), given
as a .tar.gz, a folder of them, or one file. Each participant becomes worker
``p<PARTICIPANT_ID>``, each TEST_SECTION_ID (a typed sentence) its own case,
and each keystroke a key_down at PRESS_TIME and a key_up at RELEASE_TIME,
paired by key_seq = KEYSTROKE_ID. Keys are reduced to their class, from
LETTER (BKSP, SHIFT or a character) or, where LETTER is empty or another key
name, from the JavaScript KEYCODE. The characters, the SENTENCE and the
USER_INPUT columns are never stored. Malformed rows (wrong number of
fields, a time or id that is not a number or out of range, a release before
its press, a key with neither) import nothing, naming the first of each
kind, unless --skip-bad-rows asks to import the rest (they are then counted).
"""

from __future__ import annotations

import tarfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from store.events import ARROW_SCHEMA, KEY_CLASS_INDEX
from store.schema import EVENT_KINDS, KEY_CLASSES

from .common import EARLIEST_US, BadInput, Prepared, batch_id, format_parser, latest_us
from .progress import QUIET, Progress

LETTER, DIGIT, PUNCT, SPACE, ENTER, TAB, BACKSPACE, MODIFIER, NAV, FUNCTION, OTHER, CHARACTER = KEY_CLASSES


# JavaScript keyCodes, as used by browser-based typing studies (e.g. the Aalto
# 136M keystrokes data set, whose LETTER column is sometimes empty).
def class_of_js_keycode(code: int) -> str:
    if 65 <= code <= 90:
        return LETTER
    if 48 <= code <= 57 or 96 <= code <= 105:
        return DIGIT
    if code == 32:
        return SPACE
    if code == 13:
        return ENTER
    if code == 9:
        return TAB
    if code in (8, 46):
        return BACKSPACE
    if code in (16, 17, 18, 20, 91, 92, 93, 144, 145, 225):
        return MODIFIER
    if 33 <= code <= 40:
        return NAV
    if 112 <= code <= 135:
        return FUNCTION
    # 59 ; 61 = 173 - 163 # are Firefox's codes for keys others number 186-189.
    if 106 <= code <= 111 or 186 <= code <= 192 or 219 <= code <= 222 or code in (59, 61, 163, 173):
        return PUNCT
    return OTHER

NEEDED = ("PARTICIPANT_ID", "TEST_SECTION_ID", "KEYSTROKE_ID", "PRESS_TIME", "RELEASE_TIME", "LETTER", "KEYCODE")
NUMBERS = ("PARTICIPANT_ID", "TEST_SECTION_ID", "KEYSTROKE_ID", "PRESS_TIME", "RELEASE_TIME")
MEMBER_SUFFIX = "_keystrokes.txt"
SOURCE = "aalto136m"
_NAMED = {"BKSP": "backspace", "SHIFT": "modifier"}
_CONTROL = {"\b": "backspace", "\x7f": "backspace", "\t": "tab", "\n": "enter", "\r": "enter"}
MIN_MS = EARLIEST_US // 1000  # rows outside 1990 to tomorrow are not times: skipped and counted
OUT_SCHEMA = ARROW_SCHEMA.append(pa.field("case_id", pa.string()))


HELP = """
Imports a keystroke study: the "136 Million Keystrokes" study (Dhakal et al.,
CHI 2018), as its .tar.gz, a folder of its <ID>_keystrokes.txt files, or one
such file.

Each participant becomes a worker (p<ID>), each typed sentence a case, and
each keystroke a press and a release. Only the kind of key is kept (letter,
digit, space, backspace, ...): the characters typed, the sentences shown and
what the participants wrote are never stored.

A malformed row (the wrong number of fields, a time that is not a number, a
release before its press) stops the import with nothing written, naming the
file and the line; with --skip-bad-rows the rest is imported and the bad rows
are counted. Progress is shown while it runs. Importing the same files again
adds nothing.
"""


def add_parser(isub, common) -> None:
    parser = format_parser(isub, common, "keystrokes", "a keystroke study (the Aalto 136M format)", HELP)
    parser.add_argument("source", metavar="FILE_OR_DIR", help="a .tar.gz, a folder of *_keystrokes.txt, or one file")
    parser.add_argument("--format", required=True, choices=("aalto136m",), help="the study's file format")
    parser.add_argument("--skip-bad-rows", action="store_true",
                        help="import the valid rows of files that also hold malformed ones (they are counted and "
                             "named); without it, a malformed row imports nothing")


def _class_of_letter(letter: str) -> str | None:
    """The class of a LETTER value; None where only KEYCODE can tell."""
    if letter in _NAMED:
        return _NAMED[letter]
    if len(letter) != 1:
        return None  # empty, or a key name (CAPS_LOCK, ARW_LEFT, ...): KEYCODE is exact for those
    if letter in _CONTROL:
        return _CONTROL[letter]
    if letter == " ":
        return "space"
    category = unicodedata.category(letter)
    if category[0] == "L":
        return "letter"
    if category == "Nd":
        return "digit"
    return "punctuation" if category[0] in "PSN" else "other"


def _files(source: str) -> tuple[Iterator[tuple[str, bytes, float]], list[str]]:
    """The (name, content, share of the source read so far) of every keystroke
    file in ``source``, read one at a time as they are used (a study of
    168,000 participants is about 16 GB), and notes. BadInput now for a
    source that is missing or holds none."""
    path = Path(source)
    if path.is_dir():
        found = sorted(p for p in path.rglob(f"*{MEMBER_SUFFIX}") if p.is_file())
        if not found:
            raise BadInput(f"{source}: no *{MEMBER_SUFFIX} files in this folder")
        return ((p.name, _read(p), i / len(found)) for i, p in enumerate(found, 1)), []
    if not path.exists():
        raise BadInput(f"{source}: no such file or folder")
    if path.name.endswith((".tar.gz", ".tgz", ".tar")) or tarfile.is_tarfile(path):
        notes: list[str] = []
        return _archive(path, notes), notes
    return iter([(path.name, _read(path), 1.0)]), []


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}: cannot read ({exc.strerror or exc})") from None


# What an archive may unpack to. A participant's file is about 100 kB (the
# largest of the study's 389-participant subset is 0.19 MB), and the study's
# text compresses about elevenfold. Files are read one at a time, so memory
# stays bounded by the largest file; these limits stop a small archive that
# unpacks to gigabytes (a file compressed a thousandfold, say) before it is read.
MAX_MEMBER = 64 << 20
FREE_TOTAL = 1 << 30  # any archive may unpack to this much
MAX_RATIO = 100  # beyond it, at most this many times its own size


def _archive(path: Path, notes: list[str]) -> Iterator[tuple[str, bytes]]:
    others, total, seen = [], 0, 0
    allowed = max(FREE_TOTAL, MAX_RATIO * path.stat().st_size)
    size = max(1, path.stat().st_size)
    try:
        with open(path, "rb") as raw, tarfile.open(fileobj=raw) as archive:
            for member in archive:
                name = member.name.rsplit("/", 1)[-1]
                if not member.isfile():
                    continue
                if name.endswith(MEMBER_SUFFIX) and not name.startswith("."):
                    total += member.size
                    if member.size > MAX_MEMBER or total > allowed:
                        raise BadInput(
                            f"{path.name}:{member.name}: unpacks to {member.size / 1e6:,.0f} MB ({total / 1e6:,.0f} MB "
                            f"so far); a keystroke file is far smaller, so this archive is refused before it is read "
                            f"(at most {MAX_MEMBER >> 20} MB a file, and {allowed / 1e6:,.0f} MB in all for an "
                            f"archive of {path.stat().st_size / 1e6:,.1f} MB)")
                    seen += 1
                    content = archive.extractfile(member).read()
                    yield f"{path.name}:{member.name}", content, raw.tell() / size  # compressed bytes read
                else:
                    others.append(member.name)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BadInput(f"{path.name}: not a readable .tar.gz archive ({exc})") from None
    if not seen:
        raise BadInput(f"{path.name}: no *{MEMBER_SUFFIX} files in the archive")
    if others:
        notes.append(f"ignored {len(others)} other file(s) in the archive: {', '.join(others[:3])}")


def _parse(name: str, content: bytes):
    """The valid rows of one file (a polars frame) and the skipped ones as
    {reason: (count, first line)}. Raises BadInput if the header lacks a column."""
    import polars as pl  # here, not at import: the CLI loads every importer to build its help

    lines = content.decode("latin-1").split("\n")
    header = lines[0].rstrip("\r").split("\t")
    missing = [c for c in NEEDED if c not in header]
    if missing:
        raise BadInput(f"{name}: line 1: not an Aalto 136M keystrokes file (no column {', '.join(missing)})")
    fields = pl.col("line").str.split("\t")
    rows = (
        pl.DataFrame({"line": lines[1:]}).with_row_index("lineno", offset=2)
        .with_columns(pl.col("line").str.strip_suffix("\r"))
        .filter(pl.col("line").str.strip_chars() != "")
        .with_columns(n_fields=fields.list.len(),
                      **{c: fields.list.get(header.index(c), null_on_oob=True) for c in NEEDED})
        .drop("line")  # SENTENCE and USER_INPUT go no further than this
        .with_columns(*(pl.col(c).str.strip_chars().cast(pl.Int64, strict=False) for c in (*NUMBERS, "KEYCODE")))
    )
    letters = rows["LETTER"].unique().to_list()
    codes = [c for c in rows["KEYCODE"].unique().to_list() if c is not None]
    rows = rows.with_columns(
        key_class=pl.coalesce(
            pl.col("LETTER").replace_strict(letters, [_class_of_letter(v or "") for v in letters],
                                            return_dtype=pl.String),
            pl.col("KEYCODE").replace_strict(codes, [class_of_js_keycode(c) for c in codes],
                                             default=None, return_dtype=pl.String),
        )
    ).drop("LETTER")
    reason = (
        pl.when(pl.col("n_fields") != len(header)).then(pl.lit("wrong number of fields"))
        .when(pl.any_horizontal(pl.col(c).is_null() for c in NUMBERS)).then(pl.lit("an id or time is not a number"))
        .when(~pl.all_horizontal(pl.col(c).is_between(MIN_MS, latest_us() // 1000) for c in ("PRESS_TIME", "RELEASE_TIME")))
        .then(pl.lit("a time out of range"))
        .when(pl.col("RELEASE_TIME") < pl.col("PRESS_TIME")).then(pl.lit("released before pressed"))
        .when(pl.col("key_class").is_null()).then(pl.lit("no LETTER or KEYCODE"))
    )
    rows = rows.with_columns(reason=reason)
    bad = rows.filter(pl.col("reason").is_not_null()).group_by("reason").agg(pl.len(), pl.col("lineno").min())
    skipped = {r: (n, f"{name} line {line}") for r, n, line in bad.iter_rows()}
    return rows.filter(pl.col("reason").is_null()), skipped


def _table(rows) -> pa.Table:
    """key_down and key_up events of one file's rows, in time order."""
    import polars as pl  # here, not at import: the CLI loads every importer to build its help

    common = dict(
        worker=pl.lit("p") + pl.col("PARTICIPANT_ID").cast(pl.String),
        key_seq=pl.col("KEYSTROKE_ID"),
        case_id=pl.col("TEST_SECTION_ID").cast(pl.String),
        key_class=pl.col("key_class").replace_strict(KEY_CLASS_INDEX, return_dtype=pl.Int8),
    )
    ms = 1000  # the study's times are epoch milliseconds
    events = pl.concat([
        rows.select(ts=pl.col("PRESS_TIME") * ms, kind=pl.lit(EVENT_KINDS.index("key_down"), pl.Int8), **common),
        rows.select(ts=pl.col("RELEASE_TIME") * ms, kind=pl.lit(EVENT_KINDS.index("key_up"), pl.Int8), **common),
    ]).sort("ts", "kind", maintain_order=True)
    n = events.height
    columns = {field.name: pa.nulls(n, field.type) for field in OUT_SCHEMA}
    columns.update(
        ts=events["ts"].to_arrow().cast(OUT_SCHEMA.field("ts").type),
        utc_offset=pa.array([0] * n, pa.int32()),
        kind=pa.DictionaryArray.from_arrays(events["kind"].to_arrow(), pa.array(EVENT_KINDS)),
        key_class=pa.DictionaryArray.from_arrays(events["key_class"].to_arrow(), pa.array(KEY_CLASSES)),
        worker=events["worker"].to_arrow().cast(pa.string()),
        key_seq=events["key_seq"].to_arrow(),
        case_id=events["case_id"].to_arrow().cast(pa.string()),
    )
    return pa.Table.from_pydict(columns, schema=OUT_SCHEMA)


def load(args, progress: Progress = QUIET) -> Prepared:
    """The import of ``args.source``, read file by file as it is written.

    Raises BadInput now for a source that is missing or empty, and while
    writing (inside the import's transaction, so nothing is stored) for a
    file without the study's columns, an archive too large, or malformed rows
    without --skip-bad-rows; malformed rows with it are only counted.
    """
    files, notes = _files(args.source)
    prepared = Prepared(
        label=Path(args.source).name, source=f"import:keystrokes:{SOURCE}", batches=[], workers={},
        skipped_what="malformed rows", notes=notes, row_labels={"raw_events": "key events (press and release)"},
    )
    prepared.batches = _batches(files, prepared, getattr(args, "skip_bad_rows", False), progress)
    return prepared


def _batches(files, prepared: Prepared, skip_bad_rows: bool,
             progress: Progress = QUIET) -> Iterator[tuple[int, pa.Table, str]]:
    """One batch per file; fills in ``prepared``'s workers, bounds and skipped rows as it goes."""
    import polars as pl  # here, not at import: the CLI loads every importer to build its help

    skipped: dict[str, tuple[int, str]] = {}
    n_files = n_batches = 0
    progress.step("reading and writing the files", "files")
    for name, content, share in files:
        n_files += 1
        progress.add(1, fraction=share)
        rows, bad = _parse(name, content)
        for reason, (n, where) in bad.items():
            count, seen = skipped.get(reason, (0, where))
            skipped[reason] = (count + n, seen)
        if rows.height == 0:
            continue
        for worker, start in rows.group_by("PARTICIPANT_ID").agg(start=pl.col("PRESS_TIME").min()).iter_rows():
            key = f"p{worker}"
            prepared.workers[key] = min(prepared.workers.get(key, start * 1000), start * 1000)
        lo, hi = rows["PRESS_TIME"].min() * 1000, rows["RELEASE_TIME"].max() * 1000
        prepared.first = lo if prepared.first is None else min(prepared.first, lo)
        prepared.last = hi if prepared.last is None else max(prepared.last, hi)
        n_batches += 1
        yield batch_id(content, "raw_events", SOURCE), _table(rows), "raw_events"
    if not n_batches:
        raise BadInput(f"{prepared.label}: no valid keystrokes in {n_files} file(s)")
    prepared.skipped = sum(n for n, _ in skipped.values())
    if prepared.skipped:
        what = "; ".join(f"{n:,} {reason} (first: {where})" for reason, (n, where) in sorted(skipped.items()))
        if not skip_bad_rows:
            raise BadInput(f"{prepared.label}: {prepared.skipped:,} malformed rows ({what}); nothing was imported. "
                           "To import the valid rows and skip these, add --skip-bad-rows")
        prepared.notes.insert(0, "skipped malformed rows: " + what)
