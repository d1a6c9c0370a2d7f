"""Encryption at rest: no plaintext in the file or its WAL, the key kept
owner-only, a wrong or missing key refused with the file untouched, and a
plaintext file encrypted when opened."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

import store
from store import compact, derive, keys
from store import events as ev
from store.errors import FormatTooNewError, KeyFileError, KeyMissingError, StoreError, WrongKeyError
from testkit import DaemonProcess, cli, connect, rows

APPS = ("zq-plain-app-4471", "zq-plain-app-5582", "zq-plain-app-6693")


def _bytes(db: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (db, db.with_name(db.name + ".wal")) if p.exists())


def _digest(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


def _leftovers(db: Path) -> list[str]:
    return sorted(p.name for p in db.parent.iterdir() if p.name != db.name and p.name.startswith(db.name)
                  and not p.name.endswith((".log", ".lock")) and ".stderr-" not in p.name)


def _recording(path: Path) -> Path:
    records, t = [], 0.0
    for i in range(60):
        records.append({"t": t, "kind": "focus", "app": APPS[i % 3], "title": None, "pid": 100 + i % 3})
        records += [{"t": t + 0.005, "kind": "key_down", "key_class": "letter", "key_seq": i},
                    {"t": t + 0.01, "kind": "key_up", "key_class": "letter", "key_seq": i}]
        t += 0.02
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


@pytest.mark.parametrize("plaintext", [False, True], ids=["encrypted", "plaintext-control"])
def test_captured_app_names_are_nowhere_in_the_file_or_its_wal(db, tmp_path, plaintext):
    """Capture (the real daemon) writes app names; with encryption on, none is
    in the file's or the WAL's bytes, while capture runs (the WAL holds the
    rows) or after it stopped. The plaintext control run finds them in the
    same place, so the search can fail. If it failed, anyone who copies the
    file would read which apps the worker used."""
    env = {"WORKPRINT_PLAINTEXT": "1"} if plaintext else {}
    cli("consent", "--accept", "--db", str(db), env=env)
    replay = _recording(tmp_path / "apps.jsonl")
    seen = b""
    with DaemonProcess(db, "--backend", "replay", "--replay", f"file={replay}", "--flush-interval", "0.2",
                       env=env) as daemon:
        daemon.wait_for_rows("SELECT count(DISTINCT app) FROM events WHERE app LIKE 'zq-plain-app-%'",
                             lambda r: r[0][0] == 3, "the three apps stored")
        daemon.wait_flushed()
        assert db.with_name(db.name + ".wal").exists(), "the test needs a WAL to look into"
        seen += _bytes(db)
    seen += _bytes(db)
    found = [app for app in APPS if app.encode() in seen]
    if plaintext:
        assert found, "the control run must find the names, or the search proves nothing"
    else:
        assert found == []
        assert rows(db, "SELECT count(DISTINCT app) FROM raw_events WHERE app LIKE 'zq-plain-app-%'") == [(3,)]
        assert rows(db, "SELECT encrypted FROM duckdb_databases() WHERE database_name = 'workprint'") == [(True,)]


def test_the_writer_and_the_derived_tables_leave_no_plaintext(db, write_events):
    """Written straight through the store (an import, the demo), then derived
    and checkpointed: still no app name in the bytes."""
    con = store.open_writable(db)
    write_events(con, [(0, ev.START), *((1 + i, ev.FOCUS, APPS[i % 3], None, 1) for i in range(30)), (40, ev.STOP)])
    derive.refresh(con, "local")
    con.close()
    assert not any(app.encode() in _bytes(db) for app in APPS)
    assert rows(db, "SELECT count(*) FROM spans WHERE app = $a AND kind = 'focus'", {"a": APPS[0]}) == [(10,)]


def test_temp_file_encryption_is_on_for_every_connection(db):
    """What DuckDB spills to disk (a big sort) is encrypted too, whoever opened the file."""
    con = store.open_writable(db)
    try:
        assert con.execute("SELECT current_setting('temp_file_encryption')").fetchone() == (True,)
    finally:
        con.close()
    reader = store.open_read_only(db)
    try:
        assert reader.execute("SELECT current_setting('temp_file_encryption')").fetchone() == (True,)
        assert reader.execute("SELECT current_setting('temp_directory')").fetchone() == (str(db) + ".tmp",)
    finally:
        reader.close()
    daemon_db = store.Database(db)
    try:
        cursor = daemon_db.cursor()
        assert cursor.execute("SELECT current_setting('temp_file_encryption')").fetchone() == (True,)
        assert cursor.execute("SELECT current_database()").fetchone() == ("workprint",)
        cursor.close()
    finally:
        daemon_db.close()


# --- a wrong or missing key -----------------------------------------------------------
def _replace_key(db: Path, secret: str) -> Path:
    file = keys.key_file(db)
    file.write_text(secret + "\n")
    file.chmod(0o600)
    return file


def test_a_wrong_key_is_refused_naming_the_file_and_the_key_and_nothing_changes(db):
    """A worker whose key file was swapped for another gets told which file and
    which key, and the file is left exactly as it was (never set aside as corrupt)."""
    store.open_writable(db).close()
    before = _digest(db)
    file = _replace_key(db, "not-the-key")
    for opener in (store.open_writable, store.open_read_only):
        with pytest.raises(WrongKeyError) as err:
            opener(db)
        assert str(db) in str(err.value) and str(file) in str(err.value) and "left as it was" in str(err.value)
    result = cli("consent", "--accept", "--db", str(db), check=False)
    assert result.returncode != 0 and str(file) in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert _digest(db) == before and _leftovers(db) == []


def test_a_missing_key_is_refused_and_no_new_key_is_made(db):
    """Losing the key file must not make a new key (which would lock the worker
    out of the file for good, under a key that opens nothing): a clear error,
    the key's place named, the file unchanged, no key file created."""
    store.open_writable(db).close()
    before = _digest(db)
    file = keys.key_file(db)
    file.unlink()
    for opener in (store.open_writable, store.open_read_only):
        with pytest.raises(KeyMissingError) as err:
            opener(db)
        assert str(db) in str(err.value) and str(file) in str(err.value) and "no new key" in str(err.value)
    result = cli("consent", "--accept", "--db", str(db), check=False)
    assert result.returncode != 0 and "no new key was made" in result.stderr, result.stderr
    assert not file.exists() and _digest(db) == before and _leftovers(db) == []


def test_a_file_from_duckdb_2_is_refused_and_left_alone(db):
    """A file the previous Workprint wrote with DuckDB 2.0 (tests/data: an empty
    one, made by DuckDB 2.0.1) is not taken for a corrupt one and set aside:
    the error names the file and how to convert it."""
    data = gzip.decompress((Path(__file__).parent / "data" / "duckdb2-empty.duckdb.gz").read_bytes())
    db.write_bytes(data)
    for opener in (store.open_writable, store.open_read_only):
        with pytest.raises(FormatTooNewError, match="from_duckdb2") as err:
            opener(db)
        assert str(db) in str(err.value)
    assert db.read_bytes() == data and _leftovers(db) == [] and not keys.key_file(db).exists()


# --- migration ------------------------------------------------------------------------
def _plaintext_db(db: Path, write_events, monkeypatch) -> dict:
    monkeypatch.setenv("WORKPRINT_PLAINTEXT", "1")
    con = store.open_writable(db)
    write_events(con, [(0, ev.START), *((1 + i, ev.FOCUS, APPS[i % 3], None, 1) for i in range(3000)), (4000, ev.STOP)])
    derive.refresh(con, "local")
    con.close()
    monkeypatch.delenv("WORKPRINT_PLAINTEXT")
    assert APPS[0].encode() in _bytes(db), "the test needs a plaintext file with the name findable"
    return _contents(db)


def _contents(db: Path) -> dict:
    tables = [r[0] for r in rows(db, "SELECT table_name FROM duckdb_tables() WHERE database_name = 'workprint'")]
    # names and parameters: a definition's text is DuckDB's rendering of it, which
    # reinstalling the macros (every open for writing) may parenthesise differently
    macros = rows(db, "SELECT function_name, parameters FROM duckdb_functions() "
                      "WHERE database_name = 'workprint' AND function_type IN ('macro', 'table_macro') ORDER BY 1, 2")
    return {"rows": {t: rows(db, f"SELECT count(*) FROM {t}")[0][0] for t in tables},  # noqa: S608 - catalog names
            "macros": macros}


def test_a_plaintext_file_is_encrypted_when_opened_and_the_plaintext_is_gone(db, write_events, monkeypatch):
    """A file from before encryption: the next open for writing replaces it by an
    encrypted copy holding the same rows per table and the same macros, and no
    plaintext copy is left beside it."""
    before = _plaintext_db(db, write_events, monkeypatch)
    assert not keys.key_file(db).exists()
    store.open_writable(db).close()
    assert keys.key_file(db).exists()
    assert rows(db, "SELECT encrypted FROM duckdb_databases() WHERE database_name = 'workprint'") == [(True,)]
    assert _contents(db) == before and before["rows"]["raw_events"] == 3002 and before["macros"]
    assert not any(app.encode() in _bytes(db) for app in APPS)
    assert _leftovers(db) == [] and oct(db.stat().st_mode & 0o777) == "0o600"


def test_an_old_schema_plaintext_file_is_encrypted_and_migrated(db, old_database):
    """A file as an older Workprint left it (schema 1, plaintext) opens, is encrypted, and is brought forward."""
    old_database(db, 1)
    con = store.open_writable(db)
    try:
        assert store.schema.current_version(con) == store.schema.SCHEMA_VERSION
    finally:
        con.close()
    assert rows(db, "SELECT encrypted FROM duckdb_databases() WHERE database_name = 'workprint'") == [(True,)]


def test_a_failed_encryption_leaves_the_plaintext_file_as_it_was(db, write_events, monkeypatch):
    """If the encrypted copy does not check out, nothing is swapped in: the
    worker keeps their file, whole, and no half-made copy stays."""
    _plaintext_db(db, write_events, monkeypatch)
    before = _digest(db)
    real = compact._held
    monkeypatch.setattr(compact, "_held", lambda con, name: real(con, name) | ({("rows", "x", 1)} if name == "compacted"
                                                                             else set()))
    with pytest.raises(StoreError, match="differs"):
        store.open_writable(db)
    assert _digest(db) == before and _leftovers(db) == []


def test_compaction_keeps_the_file_encrypted_with_the_same_key(db, write_events):
    con = store.open_writable(db)
    write_events(con, [(0, ev.START), (1, ev.FOCUS, APPS[0], None, 1), (2, ev.STOP)])
    con.close()
    key = keys.find(db)
    compact.compact_file(db)
    assert keys.find(db) == key
    assert rows(db, "SELECT encrypted FROM duckdb_databases() WHERE database_name = 'workprint'") == [(True,)]
    assert rows(db, "SELECT count(*) FROM raw_events WHERE app = $a", {"a": APPS[0]}) == [(1,)]
    assert APPS[0].encode() not in _bytes(db)


# --- the key, owner-only ------------------------------------------------------------------
def test_the_key_file_is_owner_only_under_a_permissive_umask(tmp_path, monkeypatch):
    """Under umask 000 the key folder is still 0700 and the key file 0600."""
    monkeypatch.setenv("WORKPRINT_KEY_DIR", str(tmp_path / "made" / "keys"))
    old = os.umask(0)
    try:
        key = keys.create(tmp_path / "w.duckdb")
    finally:
        os.umask(old)
    file = Path(key.where)
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "made").stat().st_mode) == 0o700
    assert keys.find(tmp_path / "w.duckdb") == key and len(key.secret) >= 43


@pytest.mark.parametrize("how", ["group-readable", "others-readable", "link", "open-folder"])
def test_a_key_others_could_reach_is_refused_with_how_to_fix_it(db, how):
    """A key file or folder open to others (or a link someone could point
    elsewhere) is not used: the message says what to run, the file is untouched."""
    store.open_writable(db).close()
    before = _digest(db)
    file = keys.key_file(db)
    if how == "group-readable":
        file.chmod(0o640)
    elif how == "others-readable":
        file.chmod(0o604)
    elif how == "link":
        real = file.with_name("real.key")
        file.rename(real)
        file.symlink_to(real)
    else:
        file.parent.chmod(0o755)
    try:
        with pytest.raises(KeyFileError) as err:
            store.open_read_only(db)
        assert str(file if how != "open-folder" else file.parent) in str(err.value)
        assert ("chmod" in str(err.value)) or ("link" in str(err.value))
    finally:
        file.parent.chmod(0o700)
    assert _digest(db) == before


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("setpriv"), reason="needs root and setpriv to act as another user")
def test_another_user_cannot_read_the_key(monkeypatch):
    """Even with the folders above opened to others, another account cannot
    list the key folder or read the key."""
    top = Path(tempfile.mkdtemp(prefix="wp-keytest-"))
    try:
        top.chmod(0o755)
        monkeypatch.setenv("WORKPRINT_KEY_DIR", str(top / "keys"))
        db = top / "w.duckdb"
        store.open_writable(db).close()
        file = keys.key_file(db)
        as_nobody = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
        listed = subprocess.run([*as_nobody, "ls", str(file.parent)], capture_output=True, text=True)
        assert listed.returncode != 0 and "Permission denied" in listed.stderr
        file.parent.chmod(0o755)  # even so, the file itself stays closed
        try:
            read = subprocess.run([*as_nobody, "cat", str(file)], capture_output=True, text=True)
        finally:
            file.parent.chmod(0o700)
        assert read.returncode != 0 and "Permission denied" in read.stderr
        assert file.read_text().strip() == keys.find(db).secret
    finally:
        shutil.rmtree(top, ignore_errors=True)


def test_the_key_goes_to_a_working_keyring_and_no_key_file_is_made(tmp_path, monkeypatch):
    """On a desktop with a keyring, the key is kept there, not in a file."""
    import keyring
    from keyring.backend import KeyringBackend

    class Memory(KeyringBackend):
        priority = 1
        store: dict = {}

        def get_password(self, service, username):
            return self.store.get((service, username))

        def set_password(self, service, username, password):
            self.store[(service, username)] = password

        def delete_password(self, service, username):
            self.store.pop((service, username), None)

    monkeypatch.delenv("WORKPRINT_KEY_DIR")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    previous = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        db = tmp_path / "w.duckdb"
        store.open_writable(db).close()
        assert Memory.store[("workprint", str(db))] and not keys.key_file(db).exists()
        assert "keyring" in keys.find(db).where
        assert rows(db, "SELECT encrypted FROM duckdb_databases() WHERE database_name = 'workprint'") == [(True,)]
    finally:
        keyring.set_keyring(previous)


def test_nothing_but_the_shipped_httpfs_is_loaded_and_nothing_installed(db):
    """No extension is fetched at run time: httpfs comes from its package, autoinstall and autoload are off."""
    con = connect(db)
    try:
        httpfs = con.execute("SELECT loaded, install_path FROM duckdb_extensions() WHERE extension_name = 'httpfs'")
        assert httpfs.fetchone()[0] is True
        assert con.execute("SELECT current_setting('autoinstall_known_extensions'), "
                           "current_setting('autoload_known_extensions')").fetchone() == (False, False)
    finally:
        con.close()
    assert sys.modules.get("duckdb_extension_httpfs") is not None


def test_kill_9_while_encrypting_leaves_the_file_whole(db, tmp_path, write_events, monkeypatch):
    """Killed at random moments while a plaintext file is being encrypted: the
    file always opens with every row, plaintext or encrypted, and the next
    open for writing finishes the job, leaving no plaintext or half-made copy."""
    import random
    import signal
    import time

    from testkit import ROOT

    template = tmp_path / "template.duckdb"
    monkeypatch.setenv("WORKPRINT_PLAINTEXT", "1")
    con = store.open_writable(template)
    write_events(con, [(0, ev.START), *((1 + i * 0.01, ev.FOCUS, APPS[i % 3], None, 1) for i in range(200_000)),
                       (3000, ev.STOP)])
    con.close()
    monkeypatch.delenv("WORKPRINT_PLAINTEXT")
    total = rows(template, "SELECT count(*) FROM raw_events")[0][0]
    opener = ["-c", "import sys, pathlib, store; store.open_writable(pathlib.Path(sys.argv[1])).close()", str(db)]

    def fresh():
        keys.key_file(db).unlink(missing_ok=True)
        shutil.copy(template, db)

    fresh()
    t0 = time.monotonic()
    subprocess.run([sys.executable, *opener], cwd=ROOT, check=True)
    took = time.monotonic() - t0
    rng = random.Random(11)
    states = []
    for attempt in range(6):
        fresh()
        proc = subprocess.Popen([sys.executable, *opener], cwd=ROOT)
        time.sleep(rng.uniform(0.1, took))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
        assert rows(db, "SELECT count(*) FROM raw_events")[0][0] == total, f"kill {attempt + 1}: rows lost"
        states.append(rows(db, "SELECT encrypted FROM duckdb_databases() WHERE database_name = 'workprint'")[0][0])
        store.open_writable(db).close()
        assert rows(db, "SELECT count(*) FROM raw_events")[0][0] == total
        assert rows(db, "SELECT encrypted FROM duckdb_databases() WHERE database_name = 'workprint'") == [(True,)]
        assert _leftovers(db) == [] and not any(app.encode() in _bytes(db) for app in APPS)
    assert False in states, f"no kill landed before the swap ({states}, {took:.2f} s an open): the test proves little"
    assert [p.name for p in keys.key_file(db).parent.iterdir() if p.name.startswith(".")] == []
