"""The Explore page's door to the research query layer: which store, and who reads it.

The page never imports team/ or sharing/: it asks :func:`source` whose view
this is and reads every result through the functions here, which hand the
viewer to team.explore and team.sandbox, where the rules live (the study's k
persons at least per row, the studies the account may read, the access log
of every included worker). Two cases:

- **team server** (``WORKPRINT_MODE=team``): the viewer is whoever signed in
  (dashboard.signin.viewer(): a researcher reads the studies of their
  account; nobody else reads any); the store is team.config.store_root().
- **anyone else**, on their own dashboard: the demo study in the demo team
  store (demo/team.py), as a researcher of it would see it, marked as demo.

A worker's own dashboard has no research view of real studies: what a study
received from them is on their Privacy page.

Nothing is cached with st.cache_data: every read is logged in the access
logs of the people it covers, and a cache would skip the log.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from dashboard import signin
from sharing import teamstore
from store import paths
from team import config
from team import explore as explore_layer
from team.viewer import Viewer

Filters = explore_layer.Filters
LogRefused = explore_layer.LogRefused
WEEKDAYS = explore_layer.WEEKDAYS  # the weekday ranges a filter offers: name -> (first, last) ISO weekday


class ResearchUnavailable(RuntimeError):
    """No study can be explored; the message says why and what to do."""


@dataclass(frozen=True)
class ResearchSource:
    kind: str  # "server" (team mode, signed in) or "demo"
    viewer: Viewer
    store: teamstore.Folder
    state: Path  # the server's own folder: the studies' ledgers

    @property
    def demo(self) -> bool:
        return self.kind == "demo"

    @property
    def who(self) -> str:
        if self.demo:
            return "the demo study store, as a researcher of its demo studies would see it"
        return f"signed in as {self.viewer.who}"


def _open(root: Path | None, what: str) -> teamstore.Folder:
    if root is None:
        raise ResearchUnavailable(f"No team store is set for {what}.")
    try:
        return teamstore.open_store(root)
    except teamstore.StoreError as exc:
        raise ResearchUnavailable(str(exc)) from None


def source() -> ResearchSource:
    """Whose view the Explore page shows, and from which store. Raises ResearchUnavailable."""
    if config.team_mode():
        viewer = signin.viewer()
        if viewer is None:
            raise ResearchUnavailable("Sign in to explore studies.")
        return ResearchSource("server", viewer, _open(config.store_root(), "the team server"), config.state_dir())
    root = paths.demo_team_path()
    if not (root / "demo-team.json").exists():
        raise ResearchUnavailable(f"The demo store is not at {root} yet. `./run.sh dashboard` makes it when it "
                                  "starts; or run `python -m capture demo --if-needed`.")
    store = _open(root, "the demo")
    from sharing import studies as studies_mod

    demo = frozenset(s.id for s in studies_mod.listing(store) if s.demo)
    viewer = Viewer(who="demo researcher (this machine's dashboard)", role="demo", teams=frozenset(), studies=demo)
    return ResearchSource("demo", viewer, store, root / ".server-state")


def studies(src: ResearchSource) -> list:
    """The studies this viewer may explore (sharing.studies.Study)."""
    return explore_layer.studies(src.viewer, src.store)


def options(study):
    """The measures (team.explore.Measure) the study's releases give."""
    return explore_layer.options(study)


def bins(measure) -> list[int]:
    """The bins a rhythm measure can be narrowed to (0 .. its number of edges)."""
    return list(range(len(explore_layer._EDGES[measure.table][1]) + 1))


def measure_label(measure) -> str:
    return measure.label[:1].upper() + measure.label[1:]


def choices(src: ResearchSource, study_id: str):
    """The study's first and last day and the categories at least k people used."""
    return explore_layer.choices(src.viewer, src.store, src.state, study_id)


def read(src: ResearchSource, study_id: str, measure: str, by: tuple[str, ...], filters: Filters,
         sync: bool = True):
    """One result (team.explore.Result): every row over at least the study's k people, the read logged.
    ``sync=False`` when :func:`choices` brought the ledger up to date on this same run."""
    return explore_layer.read(src.viewer, src.store, src.state, study_id, measure, by, filters, sync=sync)


def compare(src: ResearchSource, study_id: str, measure: str, side_a: Filters, side_b: Filters,
            label_a: str, label_b: str, sync: bool = True):
    """Two sides compared in plain words (team.explore.Compared); each side over at least k people."""
    return explore_layer.compare(src.viewer, src.store, src.state, study_id, measure, side_a, side_b,
                                 label_a, label_b, sync=sync)


def export(result, fmt: str) -> bytes:
    """What a download holds: exactly the result shown, the export logged as a read."""
    return explore_layer.export(result, fmt)


def tables(study) -> list:
    """The documented tables the study's SQL may read (team.study_tables.Table)."""
    from team import study_tables

    return list(study_tables.for_measures(study.measures))


def sql(src: ResearchSource, study_id: str, query: str):
    """A read-only SQL query over the study's tables (team.explore_sql.query): refused with a message
    naming why, or the rows over at least k people, the read logged."""
    from team import explore_sql

    return explore_sql.query(src.viewer, src.store, src.state, study_id, query)


def sql_export(src: ResearchSource, answer, fmt: str = "csv") -> bytes:
    """An SQL result's rows as downloaded: checked and logged as a read of its own (team.explore_sql.export)."""
    from team import explore_sql

    return explore_sql.export(src.viewer, src.store, answer, fmt)


def period_default(first: dt.date | None, last: dt.date | None) -> tuple[dt.date, dt.date] | None:
    """The span the filters start from: the study's whole span."""
    return (first, last) if first and last else None
