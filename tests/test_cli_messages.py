"""What the command line says: the next step that applies, no Python or DuckDB
internals, and no binary garbage on a terminal."""

import subprocess
import sys

import pytest

from testkit import ROOT, cli
from testkit.processes import on_a_terminal


def _queries(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "queries", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=60)


def test_consent_says_how_to_withdraw_once_given(db):
    """Before consenting the worker is told how to consent; after, how to withdraw, not how to consent again."""
    before = cli("consent", "--db", str(db)).stdout
    assert before.rstrip().endswith("To consent: python -m capture consent --accept")
    cli("consent", "--accept", "--db", str(db))
    after = cli("consent", "--db", str(db)).stdout
    assert "--accept" not in after.splitlines()[-1]
    assert after.rstrip().endswith("to withdraw it: python -m capture consent --withdraw")
    assert "You have consented (to version 1, which covers what is recorded now)" in after


def test_status_of_a_file_never_stopped_says_so_in_words(consented):
    """`status` on a fresh file reads as sentences: no Python None or True."""
    out = cli("status", "--db", str(consented)).stdout
    assert "None" not in out and "True" not in out and "False" not in out
    assert "last stop: none recorded" in out and "consent: given" in out


@pytest.mark.parametrize(("param", "form"), [
    ("start=yesterday", "--param start=yesterday is not a date or a date and time, e.g. 2026-11-30"),
    ("active_only=maybe", "--param active_only=maybe is not true or false"),
])
def test_a_value_a_query_cannot_use_is_named_with_the_form_it_takes(day_db, param, form):
    """A worker who gives a parameter in the wrong form is told which one and
    how to write it, not DuckDB's conversion error."""
    result = _queries("run", "app_time", "--db", str(day_db), "--param", param)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.startswith(f"error: {form}")
    assert "Conversion Error" not in result.stderr and "LINE 1" not in result.stderr


def test_parquet_is_not_written_to_a_terminal(day_db, tmp_path):
    """`--format parquet` on a terminal is refused, saying what to do instead,
    and `--out FILE` writes it (owner-only). A pipe still gets it (test_queries)."""
    base = [sys.executable, "-m", "queries", "run", "app_time", "--db", str(day_db), "--format", "parquet"]
    code, shown, err = on_a_terminal(base)
    assert code == 2 and b"PAR1" not in shown
    assert err.startswith("error: ") and "--out FILE" in err and "pipe" in err
    out = tmp_path / "apps.parquet"
    code, shown, err = on_a_terminal([*base, "--out", str(out)])
    assert code == 0 and shown == b"", err
    assert out.read_bytes()[:4] == b"PAR1" and oct(out.stat().st_mode & 0o777) == "0o600"


DEVELOPER_WORDS = ("``", "store.", "key_seq", "KEYSTROKE_ID", "flood.py", "span", "input_totals", "batch id",
                   "transaction", "GET /api")


@pytest.mark.parametrize(("fmt", "says"), [
    ("activitywatch", "export"),
    ("keystrokes", "never stored"),
    ("eventlog", "--case"),
    (None, "nothing is written"),
])
def test_import_help_is_written_for_users(fmt, says):
    """`import FORMAT --help` explains what is imported and what is kept, in the
    worker's words, not the code's."""
    out = cli("import", *([fmt] if fmt else []), "--help").stdout
    assert says in out
    assert [w for w in DEVELOPER_WORDS if w in out] == []
