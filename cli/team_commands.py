"""The team server's subcommands: ``workprint team init-store | account ... | serve``.

    workprint team init-store PATH
    workprint team account add NAME --role manager --teams A,B   (password asked twice, or --password-stdin)
    workprint team account remove NAME | list | passwd NAME | set-role NAME --role R ... | bind-oidc NAME --email E
    workprint team serve --store PATH [--state DIR] [--port N] [--address A] [--allowed-host H] [--oidc FILE]

:func:`add_parser` makes the ``team`` group and returns its subparsers, so
the worker's commands (join, leave, status, release) register beside these
from their own module. Server commands carry ``server_command=True``: they
never touch the worker's database. A password is never taken from the
command line (it would be in the shell's history and in ps): it is asked
twice without echo, or read from standard input with --password-stdin.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def add_parser(sub) -> argparse._SubParsersAction:
    team = sub.add_parser("team", help="team mode: join a team (workers); the team store, accounts, serving (the server)")
    group = team.add_subparsers(dest="team_command", required=True)
    state = argparse.ArgumentParser(add_help=False)
    state.add_argument("--state", metavar="DIR", help="the server's own folder: accounts, sessions "
                       "(default: $WORKPRINT_TEAM_STATE or data/team-server)")

    init = group.add_parser("init-store", help="make a new, empty team store in a folder")
    init.add_argument("path", help="an empty or new folder (e.g. on the shared drive)")
    init.set_defaults(handler=cmd_init_store, server_command=True)

    account = group.add_parser("account", help="add, remove, list or change the accounts that may sign in")
    acc = account.add_subparsers(dest="account_command", required=True)
    add = acc.add_parser("add", parents=[state], help="a new account (its password asked twice)")
    add.add_argument("name")
    _role_arguments(add)
    how = add.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    how.add_argument("--no-password", action="store_true", help="single sign-on only (then bind-oidc)")
    add.set_defaults(handler=cmd_account_add, server_command=True)
    remove = acc.add_parser("remove", parents=[state], help="remove an account; its sessions end at once")
    remove.add_argument("name")
    remove.set_defaults(handler=cmd_account_remove, server_command=True)
    listing = acc.add_parser("list", parents=[state], help="every account (never a password or hash)")
    listing.add_argument("--json", action="store_true", help="print machine-readable JSON")
    listing.set_defaults(handler=cmd_account_list, server_command=True)
    passwd = acc.add_parser("passwd", parents=[state], help="a new password; the account's sessions end")
    passwd.add_argument("name")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    passwd.set_defaults(handler=cmd_account_passwd, server_command=True)
    role = acc.add_parser("set-role", parents=[state], help="a new role, teams or studies; the sessions end")
    role.add_argument("name")
    _role_arguments(role)
    role.set_defaults(handler=cmd_account_set_role, server_command=True)
    bind = acc.add_parser("bind-oidc", parents=[state], help="let a single sign-on identity sign in as the account")
    bind.add_argument("name")
    bind.add_argument("--email", help="the identity's email address")
    bind.add_argument("--subject", help="the identity's subject (the provider's 'sub')")
    bind.set_defaults(handler=cmd_account_bind_oidc, server_command=True)

    serve = group.add_parser("serve", parents=[state], help="serve the dashboard in team mode over a team store")
    serve.add_argument("--store", required=True, metavar="PATH", help="the team store (made with init-store)")
    serve.add_argument("--port", type=int, default=8502, help="port (default 8502)")
    serve.add_argument("--address", default="127.0.0.1",
                       help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)")
    serve.add_argument("--allowed-host", action="append", default=[], metavar="NAME",
                       help="a host name browsers use to reach the server (repeat for more); "
                            "this machine's names are always allowed")
    serve.add_argument("--oidc", metavar="FILE", help="single sign-on settings (TOML: server_metadata_url, "
                       "client_id, client_secret, redirect_uri ending in /oauth2callback)")
    serve.add_argument("--session-hours", type=float, help="a session ends this long after sign-in (default 8)")
    serve.add_argument("--idle-minutes", type=float, help="... or when unused this long (default 30)")
    serve.set_defaults(handler=cmd_serve, server_command=True)
    return group


def _role_arguments(parser) -> None:
    parser.add_argument("--role", required=True, choices=("admin", "manager", "researcher"))
    parser.add_argument("--teams", default="", help="a manager's teams, comma-separated")
    parser.add_argument("--studies", default="", help="a researcher's studies, comma-separated")


def _accounts(args):
    if getattr(args, "state", None):
        os.environ["WORKPRINT_TEAM_STATE"] = str(Path(args.state).resolve())
    from team import accounts

    return accounts


def _scopes(args) -> list[str]:
    if args.teams and args.studies:
        raise ValueError("give --teams (a manager) or --studies (a researcher), not both")
    return [s for s in (args.teams or args.studies).split(",") if s.strip()]


def _read_password(from_stdin: bool) -> str:
    """From standard input (one line), or asked twice at the terminal without echo. Raises ValueError."""
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise ValueError("no password on standard input")
        return password
    if not sys.stdin.isatty():
        raise ValueError("there is no terminal to ask for the password: pipe it in with --password-stdin")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise ValueError("the two passwords differ; nothing was changed")
    return first


def cmd_init_store(args) -> int:
    from sharing import teamstore

    try:
        store = teamstore.create(Path(args.path).resolve())
    except (teamstore.StoreError, OSError) as exc:
        return fail(str(exc))
    print(f"team store ready at {store.root} (owner-only). Serve it with `workprint team serve --store {store.root}` "
          "once an account exists (`workprint team account add NAME --role admin`).")
    return 0


def cmd_account_add(args) -> int:
    accounts = _accounts(args)
    try:
        scopes = _scopes(args)
        accounts.check_name(args.name)
        accounts.check_role(args.role, scopes)  # before asking for a password that would then be refused
        password = None if args.no_password else accounts.check_password(_read_password(args.password_stdin))
        account = accounts.Accounts().add(args.name, args.role, scopes, password)
    except ValueError as exc:
        return fail(str(exc))
    print(f"added {_describe(account)}")
    return 0


def cmd_account_remove(args) -> int:
    accounts = _accounts(args)
    try:
        book = accounts.Accounts()
        open_sessions = book.session_count(args.name)
        book.remove(args.name)
    except ValueError as exc:
        return fail(str(exc))
    print(f"removed the account {args.name!r}" + (f" and ended its {open_sessions} session(s)" if open_sessions else ""))
    return 0


def cmd_account_list(args) -> int:
    accounts = _accounts(args)
    rows = accounts.Accounts().list()
    if args.json:
        print(json.dumps([{"name": a.name, "role": a.role, "scopes": list(a.scopes), "password": a.has_password,
                           "oidc_email": a.oidc_email, "oidc_subject": a.oidc_subject} for a in rows], indent=2))
        return 0
    if not rows:
        print("no accounts yet: add one with `workprint team account add NAME --role admin`")
    for account in rows:
        print(_describe(account))
    return 0


def cmd_account_passwd(args) -> int:
    accounts = _accounts(args)
    try:
        book = accounts.Accounts()
        if book.get(args.name) is None:
            raise ValueError(f"there is no account named {args.name!r}")
        book.set_password(args.name, accounts.check_password(_read_password(args.password_stdin)))
    except ValueError as exc:
        return fail(str(exc))
    print(f"changed the password of {args.name!r}; its sessions have ended")
    return 0


def cmd_account_set_role(args) -> int:
    accounts = _accounts(args)
    try:
        account = accounts.Accounts().set_role(args.name, args.role, _scopes(args))
    except ValueError as exc:
        return fail(str(exc))
    print(f"now {_describe(account)}; its sessions have ended")
    return 0


def cmd_account_bind_oidc(args) -> int:
    accounts = _accounts(args)
    try:
        account = accounts.Accounts().bind_oidc(args.name, args.email, args.subject)
    except ValueError as exc:
        return fail(str(exc))
    print(f"{_describe(account)}: signs in through single sign-on too")
    return 0


def _describe(account) -> str:
    covers = {"manager": " of teams ", "researcher": " of studies "}.get(account.role, "")
    sso = account.oidc_email or account.oidc_subject
    return (f"{account.name}: {account.role}{covers}{', '.join(account.scopes)}"
            f"{'' if account.has_password else ' (no password)'}{f' (single sign-on: {sso})' if sso else ''}")


def cmd_serve(args) -> int:
    """Check the store, the accounts and the single sign-on settings, then become Streamlit (as run.sh dashboard)."""
    from sharing import teamstore

    accounts = _accounts(args)
    from team import config, oidc

    store = Path(args.store).resolve()
    try:
        teamstore.open_store(store)
    except teamstore.StoreError as exc:
        return fail(str(exc))
    state = config.state_dir()  # --state, else $WORKPRINT_TEAM_STATE, else data/team-server; made owner-only
    if accounts.Accounts(state / accounts.FILE).count() == 0:
        return fail(f"there are no accounts in {state}, so nobody could sign in: create one with "
                    f"`workprint team account add NAME --role admin{f' --state {state}' if args.state else ''}`")
    try:
        settings = oidc.read_config(args.oidc) if args.oidc else None
    except oidc.OidcConfigError as exc:
        return fail(str(exc))
    secrets_file = oidc.write_secrets(state, settings)
    hosts = list(args.allowed_host)
    if args.address not in ("0.0.0.0", "::", "127.0.0.1", "::1", "localhost"):
        hosts.append(args.address)
    env = {config.MODE_ENV: "team", config.STORE_ENV: str(store), config.STATE_ENV: str(state),
           "WORKPRINT_TEAM_HOSTS": ",".join(hosts), oidc.OIDC_ENV: "1" if settings else "0"}
    if args.session_hours:
        env[accounts.SESSION_HOURS_ENV] = str(args.session_hours)
    if args.idle_minutes:
        env[accounts.IDLE_MINUTES_ENV] = str(args.idle_minutes)
    os.environ.update(env)
    try:
        accounts.Policy.from_env()
    except ValueError as exc:
        return fail(str(exc))
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "server.py"),
               "--server.port", str(args.port), "--server.address", args.address, "--server.headless", "true",
               "--browser.gatherUsageStats", "false", "--secrets.files", str(secrets_file)]
    where = f"http://{'127.0.0.1' if args.address in ('0.0.0.0', '::') else args.address}:{args.port}/"
    print(f"team serve: the team store {store}, accounts and sessions in {state}"
          f"{', single sign-on through ' + settings['server_metadata_url'] if settings else ''}")
    print(f"team serve: starting the team server (streamlit run dashboard/server.py, which serves app.py in team "
          f"mode) on {where}; allowed host names: {', '.join(['this machine', *hosts])}. Put HTTPS in front of it "
          "for other machines.", flush=True)
    os.chdir(ROOT)  # Streamlit's settings in .streamlit/config.toml (no usage statistics)
    os.execv(sys.executable, command)
    return 0  # not reached
