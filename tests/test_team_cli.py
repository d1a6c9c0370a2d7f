"""`workprint team ...` as a process: accounts made, listed and removed, with
the password asked at a real terminal (a pty) or piped in, and never shown;
`team serve` refusing to start where nobody could sign in."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "correct horse battery"


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "PYTHONPATH": str(ROOT), "WORKPRINT_TEAM_STATE": str(tmp_path / "state"),
            "WORKPRINT_DB": str(tmp_path / "own.duckdb")}


def workprint(env, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "capture", "team", *args], env=env, input=stdin,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)


def at_terminal(env, args: list[str], answers: list[str]) -> tuple[int, str]:
    """Run with a pty as its terminal, answering each 'Password' prompt in turn; (exit code, all it showed)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(ROOT)
        os.execve(sys.executable, [sys.executable, "-m", "capture", "team", *args], env)
    shown, deadline, pending = b"", time.monotonic() + 120, list(answers)
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
            if pending and shown.count(b"Password") > len(answers) - len(pending):
                os.write(fd, pending.pop(0).encode() + b"\n")
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), shown.decode(errors="replace")


def test_an_account_made_at_the_terminal_never_shows_its_password(env, tmp_path):
    """The password is asked twice without echo: nothing on the screen, in argv or in the file but a hash."""
    code, shown = at_terminal(env, ["account", "add", "ann", "--role", "manager", "--teams", "Design,Ops"],
                              [PASSWORD, PASSWORD])
    assert code == 0, shown
    assert "Password: " in shown and "Password again: " in shown
    assert PASSWORD not in shown
    assert "added ann: manager of teams Design, Ops" in shown
    con = duckdb.connect(str(tmp_path / "state" / "accounts.duckdb"), read_only=True)
    (hashed,) = con.execute("SELECT password_hash FROM accounts").fetchone()
    con.close()
    assert hashed.startswith("$argon2id$")


def test_two_different_passwords_add_nothing(env):
    code, shown = at_terminal(env, ["account", "add", "ann", "--role", "admin"], [PASSWORD, PASSWORD + "!"])
    assert code == 2 and "the two passwords differ; nothing was changed" in shown
    assert "no accounts yet" in workprint(env, "account", "list").stdout


def test_add_list_remove_with_the_password_piped_in(env):
    made = workprint(env, "account", "add", "rita", "--role", "researcher", "--studies", "sleep",
                     "--password-stdin", stdin=PASSWORD + "\n")
    assert made.returncode == 0 and made.stdout == "added rita: researcher of studies sleep\n"
    assert workprint(env, "account", "add", "root", "--role", "admin", "--password-stdin",
                     stdin=PASSWORD + "\n").returncode == 0
    listed = workprint(env, "account", "list")
    assert listed.stdout == "rita: researcher of studies sleep\nroot: admin\n"
    for out in (made, listed):
        assert PASSWORD not in out.stdout + out.stderr and "argon2" not in out.stdout
    gone = workprint(env, "account", "remove", "rita")
    assert gone.returncode == 0 and gone.stdout.startswith("removed the account 'rita'")
    assert workprint(env, "account", "list").stdout == "root: admin\n"
    again = workprint(env, "account", "remove", "rita")
    assert again.returncode == 2 and again.stderr == "error: there is no account named 'rita'\n"


def test_without_a_terminal_the_password_must_be_piped(env):
    out = workprint(env, "account", "add", "ann", "--role", "admin", stdin="")
    assert out.returncode == 2 and "use --password-stdin" in out.stderr.replace("pipe it in with ", "use ")


def test_a_password_on_the_command_line_is_not_an_option(env):
    out = workprint(env, "account", "add", "ann", "--role", "admin", "--password", PASSWORD)
    assert out.returncode == 2 and "unrecognized arguments" in out.stderr


def test_serve_refuses_a_folder_that_is_not_a_store(env, tmp_path):
    out = workprint(env, "serve", "--store", str(tmp_path))
    assert out.returncode == 2
    assert "is not a team store (no workprint-team-store.json)" in out.stderr and "team init-store" in out.stderr


def test_serve_refuses_to_start_without_accounts(env, tmp_path):
    assert workprint(env, "init-store", str(tmp_path / "store")).returncode == 0
    out = workprint(env, "serve", "--store", str(tmp_path / "store"))
    assert out.returncode == 2
    assert "there are no accounts" in out.stderr and "workprint team account add NAME --role admin" in out.stderr


def test_serve_refuses_oidc_settings_others_can_read(env, tmp_path):
    workprint(env, "init-store", str(tmp_path / "store"))
    workprint(env, "account", "add", "root", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    settings = tmp_path / "oidc.toml"
    settings.write_text('client_id = "x"\n')
    settings.chmod(0o644)
    out = workprint(env, "serve", "--store", str(tmp_path / "store"), "--oidc", str(settings))
    assert out.returncode == 2 and "others can read it: chmod 600" in out.stderr
    settings.chmod(0o600)
    out = workprint(env, "serve", "--store", str(tmp_path / "store"), "--oidc", str(settings))
    assert out.returncode == 2 and "needs server_metadata_url, client_secret, redirect_uri" in out.stderr
