"""Who reads, on the team server: sign-in, sessions and the pages each role gets.

app.py calls :func:`navigation` first on every run in team mode. It checks
the browser session's sign-in against team.accounts (so an expired, ended or
changed session is noticed on the next click, whatever page it is on) and
lists only the pages the account's role may see:

- signed out: the sign-in page alone;
- manager: Team; admin: Team and Accounts (read-only);
- researcher: Explore.

A page not listed is not a page at all: Streamlit answers "Page not found"
to its URL and runs the default page instead, so its code never runs. The
worker's own pages are never listed here (there is no worker database on
the team server). Query parameters are never read: the only ways in are the
sign-in form and, when configured, single sign-on (st.login) mapped to a
bound account.

The session token lives in Streamlit's session state only (server-side, per
browser tab): reloading the page means signing in again.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from dashboard import access
from sharing import teamstore
from team import accounts as team_accounts
from team import config as team_config
from team import oidc
from team.viewer import Viewer

_TOKEN = "_workprint_team_session"
_NOTICE = "_workprint_team_notice"
_REFUSED = "_workprint_team_refused"
NAME_KEY = "_workprint_signin_name"
PASSWORD_KEY = "_workprint_signin_password"
SIGNIN_PAGE = "pages/signin.py"
ROLE_PAGES = {  # what each role may open, in the order listed; the first is its home
    "admin": (("pages/team.py", "Team"), ("pages/accounts.py", "Accounts")),
    "manager": (("pages/team.py", "Team"),),
    "researcher": (("pages/explore.py", "Explore"),),
}
FOREIGN_HOST = ("This team server only answers to the host names its admin configured "
                "(`workprint team serve --allowed-host NAME`).")
HOW_NAMED = {"password": "local account", "oidc": "single sign-on"}


def team_mode() -> bool:
    return team_config.team_mode()


def oidc_enabled() -> bool:
    return oidc.enabled()


def _accounts() -> team_accounts.Accounts:
    return team_accounts.Accounts()


def _address() -> str | None:
    """The client's address when Streamlit knows it (None on this machine), for the rate limit."""
    try:
        return st.context.ip_address
    except (AttributeError, RuntimeError):
        return None


def current() -> tuple[team_accounts.Account, str] | None:
    """The signed-in account and how it signed in, checked now; None if signed out.

    A session that ended leaves why in the notice the sign-in page shows. A
    single sign-on that Streamlit completed (st.user) becomes a session here
    once, for the account bound to that identity.
    """
    token = st.session_state.get(_TOKEN)
    if token:
        try:
            return _accounts().session(token)
        except team_accounts.SessionEnded as ended:
            st.session_state.pop(_TOKEN, None)
            st.session_state[_NOTICE] = str(ended)
            return None
    if oidc.enabled() and st.user.is_logged_in and not st.session_state.get(_NOTICE):
        try:
            token, account = _accounts().oidc_sign_in(st.user.to_dict())
        except team_accounts.SignInRefused as refused:
            st.session_state[_NOTICE] = str(refused)
            return None
        st.session_state[_TOKEN] = token
        return account, "oidc"
    return None


def viewer() -> Viewer | None:
    """Who reads, for the team query layer: the signed-in account as a Viewer, None when signed out."""
    if not team_mode():
        return None
    found = current()
    if found is None:
        return None
    account, via = found
    if account.role == "admin":
        root = team_config.store_root()
        teams = frozenset(teamstore.teams(teamstore.open_store(root))) if root else frozenset()
    elif account.role == "manager":
        teams = frozenset(account.scopes)
    else:
        teams = frozenset()
    studies = frozenset(account.scopes) if account.role == "researcher" else frozenset()
    return Viewer(who=f"{account.role} {account.name} ({HOW_NAMED.get(via, via)})", role=account.role, teams=teams,
                  studies=studies)


def sign_in(name: str, password: str) -> str | None:
    """Sign in with a local account; None on success, else what to tell the person."""
    try:
        token, _ = _accounts().sign_in(name, password, _address())
    except team_accounts.SignInRefused as refused:
        return str(refused)
    st.session_state[_TOKEN] = token
    st.session_state.pop(_NOTICE, None)
    return None


def sign_in_from_form() -> None:
    """The sign-in form's callback: the password leaves session state at once, whatever the outcome."""
    name = st.session_state.get(NAME_KEY, "")
    password = st.session_state.get(PASSWORD_KEY, "")
    st.session_state[PASSWORD_KEY] = ""
    st.session_state[_REFUSED] = sign_in(name, password)


def refusal() -> str | None:
    """Why the last sign-in attempt of this browser session failed, if it did."""
    return st.session_state.get(_REFUSED)


def sign_out() -> None:
    _accounts().sign_out(st.session_state.pop(_TOKEN, None))
    st.session_state[_NOTICE] = "You are signed out."


def notice() -> str | None:
    """Why this browser session is at the sign-in page (expired, signed out, an unbound identity), if known."""
    return st.session_state.get(_NOTICE)


def single_sign_on() -> None:
    """Start single sign-on (st.login): Streamlit sends the browser to the identity provider."""
    st.session_state.pop(_NOTICE, None)
    st.login()


def pages(found: tuple[team_accounts.Account, str] | None) -> list:
    if found is None:
        return [st.Page(SIGNIN_PAGE, title="Sign in", default=True)]
    return [st.Page(path, title=title, default=i == 0) for i, (path, title) in enumerate(ROLE_PAGES[found[0].role])]


def navigation():
    """app.py in team mode: the page this run shows, from the pages this browser session may see."""
    PagesManager.uses_pages_directory = False  # as dashboard/server.py: no page ever runs without this function
    if not access.host_allowed(st.context.headers.get("Host")):  # the server refused it already; never a page here
        st.navigation(pages(None), position="hidden")
        st.title("Workprint team server")
        st.error(FOREIGN_HOST)
        st.stop()
    found = current()
    page = st.navigation(pages(found), position="sidebar")
    if found is not None:
        account, via = found
        st.sidebar.caption(f"Signed in as **{account.name}** ({account.role}, {HOW_NAMED.get(via, via)})")
        st.sidebar.button("Sign out", on_click=sign_out, key="_workprint_sign_out")
    return page


def accounts_table() -> list[dict]:
    """Every account without its hash, for the admin's Accounts page. Raises PermissionError for anyone else."""
    found = current()
    if found is None or found[0].role != "admin":
        raise PermissionError("only an admin may list accounts")
    return [{"account": a.name, "role": a.role, "teams or studies": ", ".join(a.scopes),
             "password": "yes" if a.has_password else "no",
             "single sign-on": a.oidc_email or a.oidc_subject or ""} for a in _accounts().list()]
