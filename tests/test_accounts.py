"""The team server's accounts file (team.accounts) on a real DuckDB file: hashes
not passwords, sessions that end, sign-in failures that lock out, on a clock
the tests move."""

from __future__ import annotations

import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from argon2 import PasswordHasher

from team import accounts
from team.accounts import NO_MATCH, AccountError, Accounts, SessionEnded, SignInRefused
from testkit import MovableClock

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"
T0 = MovableClock.START  # where the clock fixture (conftest) starts


@pytest.fixture
def book(tmp_path, clock):
    b = Accounts(tmp_path / "state" / "accounts.duckdb", accounts.Policy(dt.timedelta(hours=8), dt.timedelta(minutes=30)))
    b.add("ann", "manager", ["Design", "Ops"], PASSWORD)
    return b


def test_the_file_holds_an_argon2_hash_never_the_password(book):
    """A copy of the server's file (a backup, a stolen disk) must not give anyone's password away."""
    con = duckdb.connect(str(book.path), read_only=True)
    (hashed,) = con.execute("SELECT password_hash FROM accounts WHERE name = 'ann'").fetchone()
    con.close()
    assert hashed.startswith("$argon2id$") and PASSWORD not in hashed
    assert PASSWORD.encode() not in book.path.read_bytes()
    assert oct(book.path.stat().st_mode & 0o777) == "0o600"
    assert oct(book.path.parent.stat().st_mode & 0o777) == "0o700"


def test_only_the_token_hash_is_kept_for_a_session(book):
    token, _ = book.sign_in("ann", PASSWORD)
    con = duckdb.connect(str(book.path), read_only=True)
    kept = [r[0] for r in con.execute("SELECT token_hash FROM sessions").fetchall()]
    con.close()
    assert kept == [accounts.token_hash(token)] and token not in kept
    assert token.encode() not in book.path.read_bytes()


def test_a_wrong_password_is_refused_and_the_right_one_signs_in(book):
    with pytest.raises(SignInRefused, match=NO_MATCH):
        book.sign_in("ann", "correct horse batterY")
    token, account = book.sign_in("ann", PASSWORD)
    assert account.role == "manager" and account.scopes == ("Design", "Ops")
    assert book.session(token)[0].name == "ann"


def test_five_failures_lock_the_name_and_say_when_to_try_again(book, clock):
    """Guessing passwords is slowed to a crawl; even the right password waits out the lockout."""
    for _ in range(accounts.MAX_FAILURES):
        with pytest.raises(SignInRefused, match=NO_MATCH):
            book.sign_in("ann", "guess")
    with pytest.raises(SignInRefused) as locked:
        book.sign_in("ann", PASSWORD)
    assert str(locked.value) == "Too many failed sign-ins. Try again after 09:02 UTC (in 2 minutes)."
    clock.move(minutes=2, seconds=1)
    token, _ = book.sign_in("ann", PASSWORD)
    assert book.session(token)


def test_lockouts_grow_while_failures_go_on(book, clock):
    for expected in ("09:02", "09:06", "09:14"):  # 2, 4, 8 minutes after the 5th failure of each round
        for _ in range(accounts.MAX_FAILURES):
            with pytest.raises(SignInRefused, match=NO_MATCH):
                book.sign_in("ann", "guess")
        with pytest.raises(SignInRefused, match=f"after {expected} UTC"):
            book.sign_in("ann", "guess")
        clock.at = dt.datetime.combine(T0.date(), dt.time.fromisoformat(expected), dt.timezone.utc)


def test_an_unknown_name_gets_the_same_answers(book):
    """No account enumeration: a name that does not exist is refused, and locked out, in the same words."""
    for _ in range(accounts.MAX_FAILURES):
        with pytest.raises(SignInRefused) as unknown:
            book.sign_in("nobody", "guess")
        assert str(unknown.value) == NO_MATCH
    with pytest.raises(SignInRefused, match=r"^Too many failed sign-ins\. Try again after 09:02 UTC \(in 2 minutes\)\.$"):
        book.sign_in("nobody", "guess")


def test_an_unknown_name_takes_as_long_as_a_wrong_password(book):
    """A quick 'no' would tell which names exist: the unknown name verifies a dummy hash."""
    accounts._dummy_hash()

    def timed(name: str) -> float:
        t0 = time.perf_counter()
        with pytest.raises(SignInRefused):
            book.sign_in(name, "guess")
        return time.perf_counter() - t0

    known = statistics.median(timed("ann") for _ in range(3))
    unknown = statistics.median(timed(f"nobody{i}") for i in range(3))
    assert unknown > 0.5 * known, (known, unknown)


def test_one_address_trying_many_names_is_locked_out(book):
    for i in range(accounts.MAX_FAILURES):
        with pytest.raises(SignInRefused, match=NO_MATCH):
            book.sign_in(f"name{i}", "guess", address="203.0.113.9")
    with pytest.raises(SignInRefused, match="Too many failed sign-ins"):
        book.sign_in("ann", PASSWORD, address="203.0.113.9")
    assert book.sign_in("ann", PASSWORD, address="203.0.113.10")  # another address is not held up


def test_a_session_ends_when_idle_too_long(book, clock):
    token, _ = book.sign_in("ann", PASSWORD)
    clock.move(minutes=29)
    book.session(token)
    clock.move(minutes=29)  # 58 minutes after sign-in, but used 29 minutes ago
    book.session(token)
    clock.move(minutes=30, seconds=1)
    with pytest.raises(SessionEnded, match=r"no use for 30 minutes"):
        book.session(token)
    with pytest.raises(SessionEnded, match="has ended"):  # and it stays ended
        book.session(token)


def test_a_session_ends_after_its_absolute_time_however_busy(book, clock):
    token, _ = book.sign_in("ann", PASSWORD)
    for _ in range(8 * 3):
        clock.move(minutes=20)
        book.session(token)
    clock.move(seconds=1)
    with pytest.raises(SessionEnded, match=r"8 h after signing in"):
        book.session(token)


def test_the_limits_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(accounts.SESSION_HOURS_ENV, "2")
    monkeypatch.setenv(accounts.IDLE_MINUTES_ENV, "5")
    assert accounts.Policy.from_env() == accounts.Policy(dt.timedelta(hours=2), dt.timedelta(minutes=5))
    monkeypatch.setenv(accounts.IDLE_MINUTES_ENV, "soon")
    with pytest.raises(AccountError, match="WORKPRINT_TEAM_IDLE_MINUTES='soon' is not a number"):
        accounts.Policy.from_env()


@pytest.mark.parametrize("change", ["remove", "set_role", "set_password", "bind_oidc"])
def test_changing_or_removing_an_account_ends_its_sessions(book, change):
    """A manager moved off a team must not keep reading it in a tab left open."""
    token, _ = book.sign_in("ann", PASSWORD)
    other, _ = book.sign_in("ann", PASSWORD)
    {"remove": lambda: book.remove("ann"),
     "set_role": lambda: book.set_role("ann", "manager", ["Design"]),
     "set_password": lambda: book.set_password("ann", "another long password"),
     "bind_oidc": lambda: book.bind_oidc("ann", email="ann@example.org")}[change]()
    for t in (token, other):
        with pytest.raises(SessionEnded):
            book.session(t)


def test_signing_out_ends_the_session(book):
    token, _ = book.sign_in("ann", PASSWORD)
    book.sign_out(token)
    with pytest.raises(SessionEnded):
        book.session(token)


def test_an_old_hash_is_made_again_at_sign_in(book):
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)
    book._one("set_password_hash", name="ann", password_hash=weak.hash(PASSWORD), now=accounts.now())
    book.sign_in("ann", PASSWORD)
    (hashed,) = book._one("get_account", name="ann")[0][3:4]
    assert not accounts.HASHER.check_needs_rehash(hashed) and "t=1," not in hashed


@pytest.mark.parametrize("args, message", [
    (("Ann", "manager", ["Design"], PASSWORD), "is not an account name"),
    (("bob", "boss", ["Design"], PASSWORD), "'boss' is not a role"),
    (("bob", "manager", [], PASSWORD), "a manager needs --teams"),
    (("bob", "researcher", [], PASSWORD), "a researcher needs --studies"),
    (("bob", "admin", ["Design"], PASSWORD), "an admin covers every team"),
    (("bob", "manager", ["../x"], PASSWORD), "is not a team name"),
    (("bob", "researcher", ["Sleep Study"], PASSWORD), "is not a study id"),
    (("bob", "manager", ["Design"], "short"), "at least 10 characters"),
    (("ann", "manager", ["Design"], PASSWORD), "already an account named 'ann'"),
])
def test_bad_accounts_are_refused_naming_the_problem(book, args, message):
    with pytest.raises(AccountError, match=message):
        book.add(*args)
    assert [a.name for a in book.list()] == ["ann"]


def _claims(**extra):
    return {"iss": "http://localhost:1", "sub": "sub-ann", "email": "ann@example.org", "nonce": "n1",
            "iat": int(accounts.now().timestamp()), **extra}


def test_a_bound_identity_signs_in_once_per_id_token(book):
    book.bind_oidc("ann", email="ann@example.org")
    token, account = book.oidc_sign_in(_claims())
    assert account.name == "ann" and book.session(token)[1] == "oidc"
    with pytest.raises(SignInRefused, match="already used"):
        book.oidc_sign_in(_claims())
    assert book.oidc_sign_in(_claims(nonce="n2"))[1].name == "ann"


def test_an_unbound_identity_gets_no_access(book):
    with pytest.raises(SignInRefused, match=r"\(eve@example\.org\) is not bound to an account"):
        book.oidc_sign_in(_claims(email="eve@example.org", sub="sub-eve"))


def test_an_old_id_token_opens_nothing(book, clock):
    """Streamlit's login cookie lasts 30 days; the server's own limit wins."""
    book.bind_oidc("ann", subject="sub-ann")
    claims = _claims()
    clock.move(hours=8, seconds=1)
    with pytest.raises(SignInRefused, match="expired"):
        book.oidc_sign_in(claims)


def test_the_cli_can_change_accounts_while_the_server_reads(book):
    """The server opens the file per request, so another process (the CLI) waits a moment, then writes."""
    code = ("import sys; from team.accounts import Accounts; "
            "Accounts(sys.argv[1]).add('bob', 'researcher', ['s1'], 'correct horse battery')")
    con = duckdb.connect(str(book.path))  # as if the server were in the middle of a read
    try:
        proc = subprocess.Popen([sys.executable, "-c", code, str(book.path)], env={**os.environ, "PYTHONPATH": str(ROOT)},
                                stderr=subprocess.PIPE, text=True)
        time.sleep(1.0)
    finally:
        con.close()
    assert proc.wait(30) == 0, proc.stderr.read()
    assert [a.name for a in book.list()] == ["ann", "bob"]
