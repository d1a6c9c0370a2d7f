"""The dashboard's web server: Streamlit's own, with the owner-only rules of
:mod:`dashboard.access` applied to every request before Streamlit sees it.

``./run.sh dashboard`` runs ``streamlit run dashboard/server.py``, which
serves ``app.py`` through :data:`app`. In front of every route (pages,
static files, the websocket, health checks):

- a request whose Host header is not this machine (on the team server: nor
  one of its configured host names, dashboard.access.host_allowed) gets 403,
  so a web page elsewhere that reaches 127.0.0.1 by DNS rebinding reads
  nothing, not even the page's scripts;
- ``/_stcore/metrics`` (Streamlit's cache and session statistics, open to
  anyone by default) is not served.

The owner's key is checked by app.py on every run (dashboard.access.refusal).
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware
from streamlit.runtime.pages_manager import PagesManager

from dashboard.access import host_allowed
from store import client
from store.paths import private_files
from team.config import team_mode

private_files()  # what the dashboard makes (the demo, the capture log, the database's WAL) is the owner's alone
client.identify("workprint-dashboard")  # the worker's own reads: not in the access log (store.accesslog)
# Never Streamlit's legacy multipage mode, which a pages/ folder beside app.py turns on until some script
# leaves it: in it a URL such as /team runs pages/team.py alone, without app.py's owner check or sign-in.
# Off for the whole process before the first browser session (frame.enter also leaves it, for `streamlit run app.py`).
PagesManager.uses_pages_directory = False
APP = Path(__file__).resolve().parent.parent / "app.py"
CLOSED_PATHS = ("/_stcore/metrics",)
FOREIGN_HOST = b"This dashboard only answers on this machine.\n"
FOREIGN_HOST_TEAM = b"This team server does not answer to that host name (see workprint team serve --allowed-host).\n"


class OwnerOnly:
    """Pure ASGI middleware: refuses foreign Host headers and closed paths
    for HTTP and websocket alike."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = dict(scope.get("headers") or [])
            host = headers.get(b"host", b"").decode("latin-1")
            path = scope.get("path", "")
            if not host_allowed(host):
                return await _refuse(scope, receive, send, 403, FOREIGN_HOST_TEAM if team_mode() else FOREIGN_HOST)
            if any(path == p or path.startswith(p + "/") or path.endswith(p) for p in CLOSED_PATHS):
                return await _refuse(scope, receive, send, 404, b"Not served.\n")
        await self.app(scope, receive, send)


async def _refuse(scope, receive, send, status: int, body: bytes) -> None:
    if scope["type"] == "websocket":
        await receive()  # the websocket.connect message
        await send({"type": "websocket.close", "code": 1008})
        return
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


app = st.App(APP, middleware=[Middleware(OwnerOnly)])
