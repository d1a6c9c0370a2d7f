"""Where the team server finds its store and its own state, from the
environment `workprint team serve` (./run.sh team) sets for the dashboard.

The team store is shared (releases come in, access logs go out); the state
folder is the server's own and owner-only: accounts, sessions, failed
sign-ins (team/accounts), and the noisy figures drawn and the budget spent
(team/ledger).
"""

from __future__ import annotations

import os
from pathlib import Path

MODE_ENV = "WORKPRINT_MODE"  # "team" on the team server; unset on a worker's own dashboard
STORE_ENV = "WORKPRINT_TEAM_STORE"
STATE_ENV = "WORKPRINT_TEAM_STATE"
_ROOT = Path(__file__).resolve().parent.parent


def team_mode() -> bool:
    return os.environ.get(MODE_ENV, "") == "team"


def store_root() -> Path | None:
    value = os.environ.get(STORE_ENV)
    return Path(value) if value else None


def state_dir() -> Path:
    """The server's own folder (default data/team-server beside the code), made owner-only."""
    folder = Path(os.environ.get(STATE_ENV) or _ROOT / "data" / "team-server")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder
