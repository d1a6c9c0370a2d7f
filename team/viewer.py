"""Who is reading team figures, as the team query layer sees them.

The sign-in layer (dashboard/signin.py) turns a signed-in account into a
Viewer; the worker's own dashboard makes one for "what my manager sees" and
for the demo. The team query layer (team/views.py) takes nothing else: what a
viewer may read follows from ``role`` and ``teams`` only, and ``who`` is what
the access log of every included worker records. ``studies`` is what a
researcher may read (team/explore.py): the studies of the account's scopes;
an admin, a manager or a member reads none.
"""

from __future__ import annotations

from dataclasses import dataclass

ROLES = ("admin", "manager", "researcher")  # accounts on the team server
READS_TEAMS = frozenset({"admin", "manager", "member", "demo"})  # who may read team figures at all
READS_STUDIES = frozenset({"researcher", "demo"})  # who may read the studies named to them (never an admin)


@dataclass(frozen=True)
class Viewer:
    who: str  # for the access log: "manager ann (local account)", "a member of Design (own team view)"
    role: str  # one of ROLES, or "member" (a worker viewing their own team) or "demo"
    teams: frozenset[str]  # the teams whose figures this viewer may read (admin: every team, given as such)
    studies: frozenset[str] = frozenset()  # the studies a researcher (or the demo) may read

    def may_read(self, team: str) -> bool:
        return self.role in READS_TEAMS and team in self.teams

    def may_read_study(self, study_id: str) -> bool:
        """Whether this viewer may read a study's results: a researcher (or the demo, which team/explore.py
        holds to demo studies) those named in ``studies``; nobody else any. Not an admin: a study's data goes to
        the researchers its definition and their accounts name, as its consent text says; an admin manages the
        accounts and the studies, and reads none of them."""
        return self.role in READS_STUDIES and study_id in self.studies
