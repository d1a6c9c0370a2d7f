"""Who may use this dashboard: its owner, and only from this machine.

The personal dashboard shows one worker's data and gives their consent, so
knowing its port must not be enough. As Jupyter does, ``./run.sh dashboard``
makes a secret per launch (``WORKPRINT_DASHBOARD_TOKEN``, which only the
owner's processes can read) and prints the link that carries it; a browser
session that did not arrive with it sees nothing but how to get in, and no
page or button runs. A request whose Host header is not this machine (a page
elsewhere reaching 127.0.0.1 through DNS rebinding) is refused before that.

The team server (WORKPRINT_MODE=team) is reached from other machines: it
answers to this machine's names and to the host names its admin configured
(``workprint team serve --allowed-host``, WORKPRINT_TEAM_HOSTS), and signs
people in instead of checking the owner's key (dashboard.signin).
"""

from __future__ import annotations

import hmac
import os

import streamlit as st

from team import config as team_config

TOKEN_ENV = "WORKPRINT_DASHBOARD_TOKEN"
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
HOSTS_ENV = "WORKPRINT_TEAM_HOSTS"  # the team server's host names, comma-separated
_OWNER = "_workprint_owner"


def host_is_local(host: str | None) -> bool:
    """True for a Host header naming this machine (with any port), or none at all."""
    if not host:
        return True
    name = host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]
    return name.lower() in LOCAL_HOSTS


def _host_name(host: str) -> str:
    return (host.rsplit("]", 1)[0].lstrip("[") if host.startswith("[") else host.rsplit(":", 1)[0]).lower()


def host_allowed(host: str | None) -> bool:
    """The Host rule for this server: this machine only, and on the team
    server also the configured host names (any port)."""
    if host_is_local(host):
        return True
    if not team_config.team_mode():  # the worker's own dashboard stays local-only
        return False
    names = {n.strip().lower() for n in os.environ.get(HOSTS_ENV, "").split(",") if n.strip()}
    return _host_name(host) in names


def token_matches(given: str | None, expected: str | None) -> bool:
    """Compared in constant time; no expected token means nobody gets in."""
    return bool(given and expected) and hmac.compare_digest(given.encode(), expected.encode())


FOREIGN_HOST = "This dashboard only answers on this machine (127.0.0.1 or localhost)."
NEEDS_KEY = ("This dashboard is yours alone, so it needs the link that `./run.sh dashboard` printed when it "
             "started (it ends in `?token=...`). Open that link, or start the dashboard again to get a new one.")


def refusal() -> str | None:
    """First thing app.py does on every run: None if this browser session is
    the owner's (it came with the key, now or earlier, from this machine),
    else what to tell it instead of running any page."""
    if not host_is_local(st.context.headers.get("Host")):
        return FOREIGN_HOST
    if st.session_state.get(_OWNER):
        return None
    if token_matches(st.query_params.get("token"), os.environ.get(TOKEN_ENV)):
        st.session_state[_OWNER] = True
        return None
    return NEEDS_KEY


def refuse(why: str) -> None:
    """Show ``why`` and nothing else: no page runs, no data is read."""
    st.title("Workprint")
    (st.error if why == FOREIGN_HOST else st.info)(why)
    st.stop()
