"""The Team page's door to the team query layer: which store, and who reads it.

The page never imports team/ or sharing/: it asks :func:`source` whose view
this is and reads every figure through :func:`read` here, which hands the
viewer to team.views, where the access rules live (k people at least, whole
teams and weeks, the noise drawn once, the access log of every included
worker). Three cases:

- **team server** (``WORKPRINT_MODE=team``): the viewer is whoever signed in
  (dashboard.signin.viewer()), the store is team.config.store_root() and the
  server's state team.config.state_dir(). Not signed in: nothing is read.
- **a worker who joined a team**, on their own dashboard: "what my manager
  sees", their own team only (Viewer role ``member``), from the store they
  joined: the figures the team server drew and published there, read as they
  are (team.published), never drawn here; the worker's own folder keeps only
  the digests of the figures it read.
- **anyone else**, on their own dashboard: the demo team store (demo/team.py,
  beside the demo database) exactly as a manager of all its teams would see
  it (Viewer role ``demo``), marked as demo data.

Nothing here is cached across reads with st.cache_data: each read of figures
that include workers is logged in their access logs by the query layer, and a
cache would skip the log. The query layer keeps every figure it drew, so a
read is cheap anyway.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from capture import team_control
from capture.control import ControlError
from dashboard import signin
from sharing import teamstore
from store import paths
from team import config
from team.viewer import Viewer

VIEWS = ("activity", "categories", "switching", "focus", "typing", "clicking", "compare")


class TeamUnavailable(RuntimeError):
    """No team figures can be shown; the message says why and what to do."""


@dataclass(frozen=True)
class TeamSource:
    kind: str  # "server" (team mode, signed in), "member" (own team's view) or "demo"
    viewer: Viewer
    store: teamstore.Folder
    state: Path  # the query layer's own folder: the figures drawn, the budget spent

    @property
    def demo(self) -> bool:
        return self.kind == "demo"

    @property
    def who(self) -> str:
        """What the page says about whose view this is (never a name of someone read)."""
        if self.kind == "demo":
            return "the demo team store, as a manager of all its teams would see it"
        if self.kind == "member":
            return f"what your manager sees of your team, {next(iter(self.viewer.teams))}"
        return f"signed in as {self.viewer.who}"


def _membership() -> dict | None:
    """The team this worker is in now ({'team', 'store', ...}, never the secret), from their own
    database through their controller (capture.team_control.status); None if none."""
    own = paths.paths()
    if not own.db.exists():
        return None
    try:
        state = team_control.status(own)
    except ControlError as exc:
        raise TeamUnavailable(f"Your team membership could not be read from your database: {exc}") from None
    return state["membership"] if state.get("in_team") and state.get("membership") else None


def _open(root: Path | None, what: str) -> teamstore.Folder:
    if root is None:
        raise TeamUnavailable(f"No team store is set for {what}.")
    try:
        return teamstore.open_store(root)
    except teamstore.StoreError as exc:
        raise TeamUnavailable(str(exc)) from None


def demo_root() -> Path:
    return paths.demo_team_path()


def source() -> TeamSource:
    """Whose view the Team page shows, and from which store. Raises TeamUnavailable."""
    if config.team_mode():
        viewer = signin.viewer()
        if viewer is None:
            raise TeamUnavailable("Sign in to see team figures.")
        return TeamSource("server", viewer, _open(config.store_root(), "the team server"), config.state_dir())
    joined = _membership()
    if joined:
        team = joined["team"]
        viewer = Viewer(who=f"a member of {team} (own team view)", role="member", teams=frozenset({team}))
        root = Path(joined["store"])
        return TeamSource("member", viewer, _open(root, "your team"), _member_state())
    root = demo_root()
    if not (root / "demo-team.json").exists():
        raise TeamUnavailable(f"The demo team store is not at {root} yet. `./run.sh dashboard` makes it when it "
                              "starts; or run `python -m capture demo --if-needed`.")
    store = _open(root, "the demo")
    viewer = Viewer(who="demo viewer (this machine's dashboard)", role="demo",
                    teams=frozenset(teamstore.teams(store)))
    return TeamSource("demo", viewer, store, root / ".server-state")


def _member_state() -> Path:
    """The worker's own folder (beside their database) for the digests of the published figures it read."""
    folder = paths.db_path().parent / "team-view"
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


def options(src: TeamSource) -> tuple[list[str], list[dt.date]]:
    """(teams, weeks) this viewer may choose from: whole teams, whole weeks (Mondays)."""
    from team import views

    teams, weeks = views.options(src.viewer, store=src.store, state=src.state)
    return list(teams), sorted(weeks)


def read(src: TeamSource, view: str, teams: list[str], weeks: list[dt.date], categories: list[str] | None = None):
    """One view's figures (team.views.Result): the k rule, the noise and the access log apply here."""
    from team import views

    if view not in VIEWS:
        raise ValueError(f"{view!r} is not a team view: one of {', '.join(VIEWS)}")
    return views.read(src.viewer, view, list(teams), list(weeks), list(categories) if categories else None,
                      store=src.store, state=src.state)


def categories(src: TeamSource, teams: list[str]) -> list[str]:
    """The categories this viewer may narrow to: those at least k people of these teams used."""
    from team import views

    return views.categories(src.viewer, list(teams), store=src.store, state=src.state)


def budget(src: TeamSource, teams: list[str], weeks: list[dt.date]) -> pl.DataFrame:
    """The privacy budget per team and week: spent and total."""
    from team import views

    return views.budget(src.viewer, list(teams), list(weeks), store=src.store, state=src.state)


def budget_table(spent: pl.DataFrame) -> pl.DataFrame:
    """The budget as the page shows it: a row per week, a column per team, 'spent / total'."""
    text = [f"{s:.2f} / {t:.2f}" for s, t in zip(spent["spent"], spent["total"])]
    return (spent.with_columns(pl.Series("spent", text), pl.col("week").dt.strftime("%d %b %Y").alias("week (Monday)"))
            .pivot("team", index="week (Monday)", values="spent"))


def export(result) -> pl.DataFrame:
    """What a download holds: the result's frame as read (suppressed cells without a value)."""
    frame = result.frame
    return frame.with_columns(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c)
                              for c in ("value", "lo", "hi") if c in frame.columns)
