"""The team server's accounts, sessions and failed sign-ins, in its own
DuckDB file (``accounts.duckdb`` in team.config.state_dir(), owner-only).

- Local accounts hold an argon2 hash (argon2-cffi), never the password; a
  hash made with older parameters is made again at the next sign-in.
- Roles: admin (accounts, every team), manager (of named teams), researcher
  (of named studies). An account may be bound to an OIDC identity (email
  and/or subject) to sign in through single sign-on.
- A session is a random token; only its SHA-256 is kept. It ends after an
  absolute time (default 8 h) or when unused for a while (default 30 min),
  on sign-out, and when its account is removed or its role, teams or
  password change.
- Failed sign-ins are counted per account name (whether or not it exists)
  and per client address: MAX_FAILURES within WINDOW lock the name (or
  address) for LOCK_BASE, twice as long at each further lockout. The answer
  is the same for an unknown name as for a wrong password, and an unknown
  name costs as much time (a dummy hash is verified).

The file is opened per operation, so `workprint team account ...` can change
accounts while the server runs (a lock held for a moment is waited for).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from sharing.studies import check_id
from sharing.teamstore import check_team
from store import catalog
from store.paths import private_files

from . import config

FILE = "accounts.duckdb"
ROLES = ("admin", "manager", "researcher")
SESSION_HOURS_ENV = "WORKPRINT_TEAM_SESSION_HOURS"  # absolute expiry (default 8)
IDLE_MINUTES_ENV = "WORKPRINT_TEAM_IDLE_MINUTES"  # idle expiry (default 30)
MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
LOCK_BASE = dt.timedelta(minutes=2)
LOCK_MAX = dt.timedelta(hours=1)
MIN_PASSWORD = 10
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_SQL = Path(__file__).resolve().parent
HASHER = PasswordHasher()  # argon2id with argon2-cffi's current defaults; older hashes are rehashed
NO_MATCH = "That account name and password do not match."


def now() -> dt.datetime:
    """The clock every expiry and lockout reads (tests move it)."""
    return dt.datetime.now(dt.timezone.utc)


class AccountError(ValueError):
    """Bad input for an account: names what was wrong."""


class SignInRefused(Exception):
    """A sign-in that did not succeed; ``str()`` is what to tell the person."""


class SessionEnded(Exception):
    """The session is over; ``str()`` says why, for the sign-in page."""


@dataclass(frozen=True)
class Account:
    name: str
    role: str
    scopes: tuple[str, ...]  # teams (manager) or studies (researcher); empty for an admin
    has_password: bool
    oidc_email: str | None
    oidc_subject: str | None


@dataclass(frozen=True)
class Policy:
    session: dt.timedelta
    idle: dt.timedelta

    @classmethod
    def from_env(cls) -> "Policy":
        return cls(dt.timedelta(hours=_positive(SESSION_HOURS_ENV, 8.0)),
                   dt.timedelta(minutes=_positive(IDLE_MINUTES_ENV, 30.0)))


def _positive(env: str, default: float) -> float:
    text = os.environ.get(env, "")
    try:
        value = float(text) if text else default
    except ValueError:
        raise AccountError(f"{env}={text!r} is not a number") from None
    if value <= 0:
        raise AccountError(f"{env}={text!r} must be more than 0")
    return value


@cache
def _statements() -> dict[str, catalog.Statement]:
    return {s.name: s for s in catalog.parse(_SQL / "accounts.sql")}


@cache
def _dummy_hash() -> str:
    return HASHER.hash(secrets.token_urlsafe(16))


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise AccountError(f"{name!r} is not an account name: use 1-64 lower-case letters, digits, '.', '-' or '_', "
                           "starting with a letter or digit")
    return name


def check_role(role: str, scopes: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """The scopes, checked for the role: a manager names teams, a researcher studies, an admin none."""
    if role not in ROLES:
        raise AccountError(f"{role!r} is not a role: use one of {', '.join(ROLES)}")
    scopes = tuple(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    if role == "admin" and scopes:
        raise AccountError("an admin covers every team: give no --teams or --studies")
    if role in ("manager", "researcher") and not scopes:
        raise AccountError(f"a {role} needs {'--teams' if role == 'manager' else '--studies'} (comma-separated names)")
    for scope in scopes:
        try:
            check_team(scope) if role == "manager" else check_id(scope)  # a researcher's scopes are study ids
        except ValueError as exc:
            raise AccountError(str(exc)) from None
    return scopes


def check_password(password: str) -> str:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"a password needs at least {MIN_PASSWORD} characters")
    return password


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Accounts:
    """The accounts file at ``path`` (default: accounts.duckdb in the server's state folder)."""

    def __init__(self, path: Path | str | None = None, policy: Policy | None = None) -> None:
        self.path = Path(path) if path else config.state_dir() / FILE
        self.policy = policy or Policy.from_env()

    # --- the file -------------------------------------------------------------------
    def _connect(self) -> duckdb.DuckDBPyConnection:
        private_files()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        deadline = time.monotonic() + 10
        while True:
            try:
                con = duckdb.connect(str(self.path))
                break
            except duckdb.IOException as exc:  # another process (the CLI, the server) holds it for a moment
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        os.chmod(self.path, 0o600)
        con.execute("SET TimeZone = 'UTC'")
        for name in ("create_accounts", "create_sessions", "create_failures", "create_lockouts", "create_oidc_used"):
            con.execute(_statements()[name].sql)
        return con

    def _run(self, con, _query: str, /, **params):
        statement = _statements()[_query]
        return con.execute(statement.sql, statement.bind(params))

    def _one(self, _query: str, /, **params):
        con = self._connect()
        try:
            return self._run(con, _query, **params).fetchall()
        finally:
            con.close()

    # --- accounts -------------------------------------------------------------------
    def count(self) -> int:
        return self._one("count_accounts")[0][0]

    def add(self, name: str, role: str, scopes: list[str] | tuple[str, ...] = (), password: str | None = None) -> Account:
        """A new account. Raises AccountError (bad name, role, scopes or password, or the name is taken)."""
        check_name(name)
        scopes = check_role(role, scopes)
        hashed = HASHER.hash(check_password(password)) if password is not None else None
        try:
            self._one("insert_account", name=name, role=role, scopes=list(scopes), password_hash=hashed, now=now())
        except duckdb.ConstraintException:
            raise AccountError(f"there is already an account named {name!r}") from None
        return self.get(name)

    def get(self, name: str) -> Account | None:
        rows = self._one("get_account", name=name)
        if not rows:
            return None
        name, role, scopes, hashed, email, subject, *_ = rows[0]
        return Account(name, role, tuple(scopes), hashed is not None, email, subject)

    def _require(self, name: str) -> Account:
        account = self.get(name)
        if account is None:
            raise AccountError(f"there is no account named {name!r}")
        return account

    def list(self) -> list[Account]:
        return [Account(n, r, tuple(s), p, e, sub) for n, r, s, p, e, sub, *_ in self._one("list_accounts")]

    def _change(self, *steps: tuple[str, dict]) -> None:
        con = self._connect()
        try:
            con.begin()
            for query, params in steps:
                self._run(con, query, **params)
            con.commit()
        finally:
            con.close()

    def remove(self, name: str) -> None:
        """Remove the account and end its sessions."""
        self._require(name)
        self._change(("delete_sessions_of", {"account": name}), ("delete_account", {"name": name}))

    def set_role(self, name: str, role: str, scopes: list[str] | tuple[str, ...] = ()) -> Account:
        """A new role (or teams, or studies); the account's sessions end, so the next page is read as the new role."""
        self._require(name)
        scopes = check_role(role, scopes)
        self._change(("set_role", {"name": name, "role": role, "scopes": list(scopes), "now": now()}),
                     ("delete_sessions_of", {"account": name}))
        return self.get(name)

    def set_password(self, name: str, password: str) -> None:
        """A new password; the account's sessions end."""
        self._require(name)
        hashed = HASHER.hash(check_password(password))
        self._change(("set_password_hash", {"name": name, "password_hash": hashed, "now": now()}),
                     ("delete_sessions_of", {"account": name}))

    def bind_oidc(self, name: str, email: str | None = None, subject: str | None = None) -> Account:
        """Let the OIDC identity with this email and/or subject sign in as ``name``."""
        self._require(name)
        if not (email or subject):
            raise AccountError("give --email or --subject (or both): the identity to bind")
        if email and ("@" not in email or email.strip() != email):
            raise AccountError(f"{email!r} is not an email address")
        for other in self.list():
            if other.name != name and ((email and other.oidc_email and other.oidc_email.lower() == email.lower())
                                       or (subject and other.oidc_subject == subject)):
                raise AccountError(f"that identity is already bound to the account {other.name!r}")
        self._change(("set_oidc", {"name": name, "email": email, "subject": subject, "now": now()}),
                     ("delete_sessions_of", {"account": name}))
        return self.get(name)

    def find_oidc(self, email: str | None, subject: str | None) -> Account | None:
        rows = self._one("find_oidc", email=email, subject=subject)
        return self.get(rows[0][0]) if rows else None

    # --- signing in -----------------------------------------------------------------
    def sign_in(self, name: str, password: str, address: str | None = None) -> tuple[str, Account]:
        """A new session token for ``name`` if ``password`` is its own.

        Raises SignInRefused with the same words for a wrong password and an
        unknown name, or with when to try again while the name or address is
        locked out.
        """
        name = (name or "").strip().lower()
        keys = [f"account:{name}"] + ([f"address:{address}"] if address else [])
        at = now()
        con = self._connect()
        try:
            for key in keys:
                locked = self._run(con, "get_lockout", key=key).fetchall()
                if locked and locked[0][0] > at:
                    raise SignInRefused(_locked_message(locked[0][0], at))
            rows = self._run(con, "get_account", name=name).fetchall() if _NAME.match(name) else []
            hashed = rows[0][3] if rows else None
            if not _verify(hashed, password or ""):
                self._fail(con, keys, at)
                raise SignInRefused(NO_MATCH)
            if HASHER.check_needs_rehash(hashed):
                self._run(con, "set_password_hash", name=name, password_hash=HASHER.hash(password), now=at)
            self._run(con, "clear_failures", key=keys[0])
            self._run(con, "clear_lockout", key=keys[0])
            token = self._start(con, name, "password", at)
        finally:
            con.close()
        return token, self.get(name)

    def _fail(self, con, keys: list[str], at: dt.datetime) -> None:
        self._run(con, "forget_old_failures", since=at - WINDOW - LOCK_MAX)
        for key in keys:
            self._run(con, "insert_failure", key=key, now=at)
            if self._run(con, "count_failures", key=key, since=at - WINDOW).fetchall()[0][0] >= MAX_FAILURES:
                previous = self._run(con, "get_lockout", key=key).fetchall()
                strikes = (previous[0][1] if previous else 0) + 1
                length = min(LOCK_BASE * 2 ** (strikes - 1), LOCK_MAX)
                self._run(con, "set_lockout", key=key, until=at + length, strikes=strikes)
                self._run(con, "clear_failures", key=key)  # the next lockout takes MAX_FAILURES more

    def _start(self, con, name: str, via: str, at: dt.datetime) -> str:
        token = secrets.token_urlsafe(32)
        self._run(con, "insert_session", token_hash=token_hash(token), account=name, via=via, now=at)
        return token

    def oidc_sign_in(self, claims: dict) -> tuple[str, Account]:
        """A session for the account bound to this OIDC identity (st.user's claims).

        An ID token opens one session, and only while it is younger than the
        absolute session time: Streamlit's login cookie lasts 30 days, which
        must not outlive the server's own expiry. Raises SignInRefused.
        """
        email, subject = claims.get("email"), claims.get("sub")
        account = self.find_oidc(email, subject)
        if account is None:
            raise SignInRefused(f"Your single sign-on identity ({email or subject or 'unknown'}) is not bound to an "
                                "account on this server, so it gets no access. Ask an admin to run "
                                "`workprint team account bind-oidc NAME --email ADDRESS`.")
        at = now()
        issued = claims.get("iat")
        if not isinstance(issued, (int, float)) or at - dt.datetime.fromtimestamp(issued, dt.timezone.utc) > self.policy.session:
            raise SignInRefused("Your single sign-on has expired: sign in again.")
        key = f"{claims.get('iss', '')}|{subject}|{issued}|{claims.get('nonce', '')}"
        con = self._connect()
        try:
            try:
                self._run(con, "mark_oidc_used", token_key=hashlib.sha256(key.encode()).hexdigest(), now=at)
            except duckdb.ConstraintException:
                raise SignInRefused("That single sign-on was already used for a session that has ended: "
                                    "sign in again.") from None
            token = self._start(con, account.name, "oidc", at)
        finally:
            con.close()
        return token, account

    def session(self, token: str | None) -> tuple[Account, str]:
        """The signed-in account and how it signed in ('password' or 'oidc'), the session's use recorded now.

        Raises SessionEnded saying why when the token is unknown (signed out,
        account removed or changed) or its absolute or idle time has run out.
        """
        if not token:
            raise SessionEnded("")
        digest, at = token_hash(token), now()
        con = self._connect()
        try:
            rows = self._run(con, "get_session", token_hash=digest).fetchall()
            if not rows:
                raise SessionEnded("Your session has ended (signed out, or your account was changed or removed): "
                                   "sign in again.")
            name, via, created, last_seen = rows[0]
            if at - created > self.policy.session:
                self._run(con, "delete_session", token_hash=digest)
                raise SessionEnded(f"Your session has expired ({_hours(self.policy.session)} after signing in): "
                                   "sign in again.")
            if at - last_seen > self.policy.idle:
                self._run(con, "delete_session", token_hash=digest)
                raise SessionEnded(f"Your session has expired (no use for {_minutes(self.policy.idle)}): "
                                   "sign in again.")
            self._run(con, "touch_session", token_hash=digest, now=at)
        finally:
            con.close()
        return self.get(name), via

    def sign_out(self, token: str | None) -> None:
        if token:
            self._one("delete_session", token_hash=token_hash(token))

    def session_count(self, name: str) -> int:
        return self._one("count_sessions_of", account=name)[0][0]


def _verify(hashed: str | None, password: str) -> bool:
    """argon2 verification; an unknown name verifies a dummy hash, so it takes as long as a known one."""
    try:
        return HASHER.verify(hashed or _dummy_hash(), password) and hashed is not None
    except (VerificationError, InvalidHashError):
        return False


def _locked_message(until: dt.datetime, at: dt.datetime) -> str:
    minutes = max(1, -(-int((until - at).total_seconds()) // 60))
    return (f"Too many failed sign-ins. Try again after {until:%H:%M} UTC (in {minutes} minute"
            f"{'s' if minutes != 1 else ''}).")


def _hours(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h"


def _minutes(delta: dt.timedelta) -> str:
    return f"{delta.total_seconds() / 60:g} minutes"
