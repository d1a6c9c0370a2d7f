"""Who is reading team figures, as the team query layer sees them.

The sign-in layer (dashboard/signin.py) turns a signed-in account into a
Viewer; the worker's own dashboard makes one for "what my manager sees" and
for the demo. The team query layer (team/views.py) takes nothing else: what a
viewer may read follows from ``role`` and ``teams`` only, and ``who`` is what
the access log of every included worker records.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "manager", "researcher")  # accounts on the team server
READS_TEAMS = frozenset({"admin", "manager", "member", "demo"})  # who may read team figures at all


@dataclass(frozen=True)
class Viewer:
    who: str  # for the access log: "manager ann (local account)", "a member of Design (own team view)"
    role: str  # one of ROLES, or "member" (a worker viewing their own team) or "demo"
    teams: frozenset[str]  # the teams whose figures this viewer may read (admin: every team, given as such)

    def may_read(self, team: str) -> bool:
        return self.role in READS_TEAMS and team in self.teams
