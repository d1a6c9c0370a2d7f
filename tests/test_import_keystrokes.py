"""python -m capture import keystrokes --format aalto136m: the 136M keystrokes study."""

from __future__ import annotations

import functools
import re
import tarfile
import time
from pathlib import Path

import pytest

import queries
import store
from testkit import ROOT, cli, connect, rows, shared

STUDY_MS = 1_500_000_000_000
HEADER = "\t".join(("PARTICIPANT_ID", "TEST_SECTION_ID", "SENTENCE", "USER_INPUT", "KEYSTROKE_ID", "PRESS_TIME",
                    "RELEASE_TIME", "LETTER", "KEYCODE"))




def archive() -> Path:
    return shared("keystrokes", "aalto136m-every6th.tar.gz")


def import_keys(db: Path, source, check: bool = True):
    return cli("import", "keystrokes", str(source), "--format", "aalto136m", "--skip-bad-rows", "--db", str(db),
               check=check, timeout=300)


@functools.lru_cache(maxsize=1)
def members() -> dict[str, bytes]:
    with tarfile.open(archive()) as tar:
        return {m.name.rsplit("/", 1)[-1]: tar.extractfile(m).read() for m in tar if m.isfile()}


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The 389-participant subset imported once: (database, CLI output, seconds taken)."""
    db = tmp_path_factory.mktemp("keys") / "keys.duckdb"
    began = time.perf_counter()
    result = import_keys(db, archive())
    return db, result.stdout, time.perf_counter() - began


def test_each_participant_is_a_worker_and_each_sentence_a_case(study):
    db, out, seconds = study
    print(f"imported 389 participants in {seconds:.1f} s")
    files = members()
    assert len(files) == 389
    expected = {f"p{name.split('_')[0]}" for name in files}
    assert {w for (w,) in rows(db, "SELECT DISTINCT worker FROM raw_events")} == expected
    sentences = set()
    for content in files.values():
        for line in content.decode("latin-1").splitlines()[1:]:
            fields = line.split("\t")
            sentences.add((f"p{fields[0]}", fields[1]))
    assert set(rows(db, "SELECT DISTINCT worker, case_id FROM keystrokes")) == sentences
    assert "389 workers" in out and "skipped 3 malformed rows" in out
    assert "3 released before pressed" in out


def test_every_press_is_paired_with_its_release(study):
    db, _, _ = study
    downs, ups, pairs, released = rows(db, """
        SELECT (SELECT count(*) FROM raw_events WHERE kind = 'key_down'),
               (SELECT count(*) FROM raw_events WHERE kind = 'key_up'),
               count(*), count(release) FROM keystrokes""")[0]
    assert downs == ups == pairs == released == 284_351 - 3
    assert rows(db, "SELECT DISTINCT utc_offset, source FROM keystrokes") == [(0, "import")]


def test_typing_figures_match_the_study(study):
    """The typing page must show what the paper's authors measured on this subset (README tolerances)."""
    db, _, _ = study
    summary = queries.run("typing_summary", db=db).row(0, named=True)
    print(summary)
    assert summary["iki_mean_ms"] == pytest.approx(245.6, abs=10)
    assert summary["hold_mean_ms"] == pytest.approx(119.7, abs=5)
    assert summary["rollover"] == pytest.approx(0.216, abs=0.02)
    assert summary["backspace_share"] * 100 == pytest.approx(5.21, abs=0.5)
    assert summary["wpm"] == pytest.approx(51.75, abs=3)


def _runs(files: dict[str, bytes], every: int = 4) -> list[str]:
    """Six-letter runs typed or shown in the study (SENTENCE, USER_INPUT)."""
    found = set()
    for content in files.values():
        for line in content.decode("latin-1").splitlines()[1:]:
            fields = line.split("\t")
            for text in fields[2:4]:
                found.update(run.lower() for run in re.findall(r"[A-Za-z]{6}", text))
    return sorted(found)[::every]


def _control(tmp: Path, monkeypatch) -> bytes:
    """What an empty database of ours holds anyway (schema, macros, category
    rules), in plaintext so that its words can be told from typed ones."""
    monkeypatch.setenv("WORKPRINT_PLAINTEXT", "1")
    con = store.open_writable(tmp / "control.duckdb")
    con.close()
    monkeypatch.delenv("WORKPRINT_PLAINTEXT")
    return (tmp / "control.duckdb").read_bytes().lower()


def test_no_typed_text_reaches_the_database(study, tmp_path, monkeypatch):
    """Privacy promise: only key classes are stored, never what participants typed."""
    db, _, _ = study
    control = _control(tmp_path, monkeypatch)
    runs = [r for r in _runs(members()) if r.encode() not in control]
    assert len(runs) > 300
    on_disk = b"".join(p.read_bytes() for p in db.parent.iterdir() if p.is_file()).lower()
    leaked = [r for r in runs if r.encode() in on_disk]
    assert not leaked, f"typed text found in the database files: {leaked[:10]}"
    # Compressed strings would not show in the bytes: ask every table too, each
    # row as text (all its columns).
    con = connect(db, read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()]
        pattern = "(?i)" + "|".join(runs)
        for table in tables:
            hits = con.execute("SELECT count(*) FROM query_table($t) AS r WHERE regexp_matches(r::VARCHAR, $p)",
                               {"t": table, "p": pattern}).fetchall()[0][0]
            assert hits == 0, f"typed text in table {table}"
    finally:
        con.close()


def test_archive_member_file_and_folder_are_the_same_data(study, tmp_path):
    """A file already imported inside the archive is recognised when given on its own."""
    db, _, _ = study
    name, content = sorted(members().items())[0]
    single = tmp_path / name
    single.write_bytes(content)
    before = rows(db, "SELECT count(*) FROM raw_events")[0][0]
    assert "already imported" in import_keys(db, single).stdout
    assert rows(db, "SELECT count(*) FROM raw_events")[0][0] == before
    fresh = tmp_path / "fresh.duckdb"
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / name).write_bytes(content)
    out = import_keys(fresh, folder).stdout
    assert f"worker p{name.split('_')[0]}" in out
    assert rows(fresh, "SELECT count(*) FROM keystrokes")[0][0] == content.count(b"\n") - 1


def test_importing_the_archive_twice_stores_it_once(study):
    db, _, _ = study
    before = rows(db, "SELECT count(*) FROM raw_events")[0][0]
    assert "already imported" in import_keys(db, archive()).stdout
    assert rows(db, "SELECT count(*) FROM raw_events")[0][0] == before


def _row(ks_id: int, press: int, release, letter: str, keycode, section: int = 7) -> str:
    # Times in the study's own range (2017), as milliseconds since 1970.
    press, release = (STUDY_MS + v if isinstance(v, int) else v for v in (press, release))
    return f"42\t{section}\tHello there\tHello there\t{ks_id}\t{press}\t{release}\t{letter}\t{keycode}"


def test_key_classes_from_letter_or_keycode(tmp_path, db):
    keys = [("a", 65, "letter"), ("A", 65, "letter"), ("5", 53, "digit"), (" ", 32, "space"), (".", 190, "punctuation"),
            ("BKSP", 8, "backspace"), ("\b", 8, "backspace"), ("SHIFT", 16, "modifier"), ("CAPS_LOCK", 20, "modifier"),
            ("ARW_LEFT", 37, "navigation"), ("", 72, "letter"), ("", 8, "backspace"), ("", 32, "space"),
            ("é", 0, "letter")]
    lines = [HEADER] + [_row(i, 1000 * i, 1000 * i + 50, letter, code) for i, (letter, code, _) in enumerate(keys, 1)]
    path = tmp_path / "42_keystrokes.txt"
    path.write_bytes("\n".join(lines).encode("latin-1"))
    import_keys(db, path)
    got = [c for (c,) in rows(db, "SELECT key_class::VARCHAR FROM keystrokes ORDER BY press")]
    stored = {"letter": "character", "digit": "character", "punctuation": "character"}
    assert got == [stored.get(cls, cls) for _, _, cls in keys]  # the three are one class once stored...
    counts = dict(rows(db, "SELECT key_class::VARCHAR, sum(presses)::INTEGER FROM key_counts GROUP BY 1"))
    assert counts == {"letter": 4, "digit": 1, "punctuation": 1}  # ...and counted per minute


def test_malformed_rows_are_skipped_and_counted(tmp_path, db):
    """Broken rows in a study file are counted and left out; the rest is imported."""
    lines = [HEADER, _row(1, 1000, 1100, "a", 65),
             "42\t7\tHello\t5\t2000",  # too few fields
             _row(3, "x3000", 3100, "b", 66),  # a time that is not a number
             _row(4, 4000, 3900, "c", 67),  # released before pressed
             _row(5, 5000, 5100, "", ""),  # no LETTER, no KEYCODE
             _row(6, 6000, 10**16, "e", 69),  # a release in the year 318857
             _row(7, 7000, 7100, "d", 68), ""]
    path = tmp_path / "42_keystrokes.txt"
    path.write_text("\r\n".join(lines), encoding="latin-1")
    # Hardening #13: a bad file imports nothing unless partial import is asked for.
    refused = cli("import", "keystrokes", str(path), "--format", "aalto136m", "--db", str(db), check=False)
    assert refused.returncode == 2 and "5 malformed rows" in refused.stderr and "--skip-bad-rows" in refused.stderr
    assert "42_keystrokes.txt line 3" in refused.stderr and not db.exists()
    out = import_keys(db, path).stdout
    assert "skipped 5 malformed rows" in out
    for reason in ("1 wrong number of fields (first: 42_keystrokes.txt line 3)", "1 an id or time is not a number",
                   "1 released before pressed", "1 no LETTER or KEYCODE", "1 a time out of range"):
        assert reason in out
    assert rows(db, "SELECT count(*), count(release) FROM keystrokes") == [(2, 2)]


def test_file_without_the_study_columns_imports_nothing(tmp_path, db):
    good = tmp_path / "folder"
    good.mkdir()
    (good / "1_keystrokes.txt").write_text(HEADER + "\n" + _row(1, 1000, 1100, "a", 65) + "\n")
    (good / "2_keystrokes.txt").write_text(HEADER.replace("\tKEYCODE", "") + "\n")
    result = import_keys(db, good, check=False)
    assert result.returncode == 2
    assert result.stderr.startswith(
        "error: 2_keystrokes.txt: line 1: not an Aalto 136M keystrokes file (no column KEYCODE)")
    assert not db.exists()


def test_damaged_archive_imports_nothing(tmp_path, db):
    cut = tmp_path / "cut.tar.gz"
    content = archive().read_bytes()
    cut.write_bytes(content[: len(content) // 3])
    result = import_keys(db, cut, check=False)
    assert result.returncode == 2 and "cut.tar.gz: not a readable .tar.gz archive" in result.stderr
    assert not db.exists()


def test_a_small_archive_that_unpacks_to_gigabytes_is_refused_before_reading(db, tmp_path):
    """Hardening #9: a 0.6 MB tar.gz unpacking to 208 MB (once: 6 GB of memory)
    is refused from its header, naming the member, with memory staying small."""
    import io
    import subprocess
    import sys

    data = (HEADER + "\n" + (_row(1, 1000, 1100, "a", 65) + "\n") * 4_000_000).encode()
    bomb = tmp_path / "bomb.tar.gz"
    with tarfile.open(bomb, "w:gz") as archive:
        info = tarfile.TarInfo("x/42_keystrokes.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    assert bomb.stat().st_size < 5_000_000 < len(data)
    del data
    proc = subprocess.Popen([sys.executable, "-m", "capture", "import", "keystrokes", str(bomb), "--format",
                             "aalto136m", "--db", str(db)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    peak_mb = 0.0
    while proc.poll() is None:  # VmHWM: this process's own peak (ru_maxrss would include the forked parent)
        try:
            status = Path(f"/proc/{proc.pid}/status").read_text()
            peak_mb = max(peak_mb, int(status.split("VmHWM:")[1].split()[0]) / 1024)
        except (OSError, IndexError):
            pass
        time.sleep(0.005)
    stderr = proc.stderr.read()
    assert proc.returncode == 2 and "42_keystrokes.txt: unpacks to" in stderr, stderr
    assert not db.exists()
    assert peak_mb < 400, f"the refused import peaked at {peak_mb:.0f} MB"
