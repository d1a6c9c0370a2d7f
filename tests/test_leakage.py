"""What was typed, and what the worker excluded or redacted, is nowhere on disk.

On a real X server, with real input: a secret phrase typed into a normal
window, into an excluded app, and into a window whose title holds an e-mail
address and a URL with a query. Then every file the run wrote (the database,
its WAL, the log, DuckDB's temp folder, an export in every format) is searched.
The worker's own settings file is left out: it names what they excluded."""

import re

import pytest

from capture import control
from store.paths import Paths
from testkit import DaemonProcess, rows

pytestmark = pytest.mark.x11

SECRET = "Zebra quartz 48151623 plumb!"
EMAIL = "ann.secret@example.org"
QUERY = "search=zebraquartz"
MAIL_TITLE = f"Inbox - {EMAIL} - https://mail.example.org/u/0/?{QUERY}"
VAULT = "WorkprintVault"


def _runs(text: str, n: int = 4) -> set[str]:
    letters = re.sub(r"[^a-z]", "", text.lower())
    return {letters[i : i + n] for i in range(len(letters) - n + 1)}


def _everything_written(*folders, but) -> bytes:
    """Every file in ``folders`` but the worker's own settings file (which
    names what they excluded, by their own hand) and ``but``'s others."""
    return b"".join(p.read_bytes() for folder in folders for p in folder.rglob("*")
                    if p.is_file() and p not in but).lower()


def _stored_text(db) -> str:
    """Every row of every table, as text: what the encrypted file holds."""
    tables = [t for (t,) in rows(db, "SELECT table_name FROM duckdb_tables() WHERE database_name = 'workprint'")]
    return "\n".join(str(r) for t in tables for r in rows(db, "SELECT r::VARCHAR FROM query_table($t) AS r", {"t": t}))


def test_the_secret_the_excluded_app_and_the_title_never_reach_a_file(db, xsession, tmp_path, monkeypatch):
    paths = Paths(db)
    exports = tmp_path / "exports"
    monkeypatch.setenv("WORKPRINT_EXPORT_DIR", str(exports))
    control.change_settings(paths, {"exclude.apps": [VAULT.lower()], "titles.apps": ["WorkprintMail"]})
    control.accept(paths)
    normal = xsession.window("WorkprintPlain")
    vault = xsession.window(VAULT)
    mail = xsession.window("WorkprintMail", MAIL_TITLE)
    temp = tmp_path / "tmp"
    temp.mkdir()
    with DaemonProcess(db, "--backend", "x11", env={"DISPLAY": xsession.display, "TMPDIR": str(temp)}) as daemon:
        for window, app in ((normal, "WorkprintPlain"), (vault, "(excluded app)"), (mail, "WorkprintMail")):
            xsession.run("xdotool", "windowactivate", "--sync", window)
            daemon.wait_for_rows("SELECT app FROM events WHERE kind = 'focus' ORDER BY ts",
                                 lambda r, app=app: bool(r) and r[-1] == (app,), f"the focus on {app}")
            xsession.run("xdotool", "type", "--delay", "30", SECRET)
            xsession.run("xdotool", "key", "Return")
        daemon.wait_for_rows("SELECT count(*) FROM events WHERE kind = 'key_up'",
                             lambda r: r[0][0] >= 2 * (len(SECRET) + 1), "the typing in two windows")
        assert daemon.stop() == 0

    # Typing in the excluded app left no input at all: the phrase, its shift presses
    # and the Enter twice (normal and mail), not three times.
    ends = rows(db, "SELECT count(*) FROM events WHERE kind = 'key_down' AND key_class = 'enter'")
    assert ends == [(2,)]
    titles = rows(db, "SELECT DISTINCT title FROM events WHERE kind = 'focus' AND title IS NOT NULL")
    assert titles == [("Inbox - [email] - https://mail.example.org/[path]",)]

    for fmt in control.EXPORT_FORMATS:
        control.export(paths, fmt)
    assert len(list(exports.iterdir())) == len(control.EXPORT_FORMATS)
    # The encrypted database and WAL are random bytes, in which a 4-letter run
    # turns up by chance (about 2 % per run in a few MB, lower-cased): their
    # bytes are searched for the long needles, their decrypted rows for all.
    encrypted = [db, db.with_name(db.name + ".wal")]
    assert rows(db, "SELECT encrypted FROM duckdb_databases() WHERE database_name = 'workprint'") == [(True,)]
    written = _everything_written(db.parent, temp, exports, but=[paths.settings, *encrypted])
    ciphertext = b"".join(p.read_bytes() for p in encrypted if p.exists()).lower()
    stored = _stored_text(db).lower()
    assert written and ciphertext and stored, "the run wrote files"
    assert b"workprintplain" in written and "mail.example.org" in stored, "what may be stored, is (the search finds)"
    for app in ("workprintplain", "workprintmail", "mail.example.org"):  # encrypted: no app name in plaintext
        assert app.encode() not in ciphertext, f"{app!r} is in the database's bytes"
    for needle in [SECRET.lower(), EMAIL, QUERY, VAULT.lower(), "48151623", *_runs(SECRET)]:
        assert needle.encode() not in written, f"{needle!r} was found on disk"
        assert needle not in stored, f"{needle!r} was found in the database"
        if len(needle) >= 8:
            assert needle.encode() not in ciphertext, f"{needle!r} was found in the database's bytes"
