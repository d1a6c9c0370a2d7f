"""What the Spark parity tests share: the stores they run over and the row comparison.

A team store (three teams, one under k, a category two people use, a member away a week) ingested into the
team ledger and exported as the dataset's ``releases``; two studies (every measure, and activity and focus
only with a smaller k) synced into their ledgers and exported. Each dataset is read by DuckDB and by Spark.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import study_gen
import team_gen

from team import dataset, ingest, ledger, study_ledger

TEAMS = {"a": 6, "b": 4, "c": 12}  # b is under k = 5 in every cell
TEAM_WEEKS = [team_gen.WEEK0 + dt.timedelta(weeks=w) for w in range(3)]
STUDIES = {
    "rhythm": study_gen.study("rhythm"),
    "small": study_gen.study("small", measures=("activity", "focus"), k=3),
}
STUDY_GROUPS = {"rhythm": {"g1": 7, "g2": 3}, "small": {"g1": 4}}


def build(tmp: Path) -> dict[str, Path]:
    """The datasets, by name: ``team`` and one per study."""
    store = team_gen.build(tmp / "store", TEAMS, weeks=3, rare={"a": [0, 1]}, absent={("a", 2): [1]})
    roots = {"team": tmp / "datasets" / "team"}
    with ledger.opened(tmp / "state") as con:
        ingest.sync(con, store)
        dataset.export_releases(con, roots["team"], rows_per_file=100)  # several files per table
    for seed, (name, study) in enumerate(STUDIES.items(), start=2):
        study_gen.build(tmp / "store", study, STUDY_GROUPS[name], days=16, seed=seed, rare={"g1": 2}, store=store)
        roots[name] = tmp / "datasets" / name
        with study_ledger.opened(tmp / "state", study) as con:
            study_ledger.sync(con, store, study)
            study_ledger.export(con, study, roots[name])
    return roots


def _key(value):
    if isinstance(value, float):
        return (1, float(f"{value:.9g}"))
    return (0, "") if value is None else (1, value)


def differences(duck: list[tuple], spark: list[tuple], limit: int = 5) -> list[str]:
    """How two results differ, row for row after sorting: exact for everything but floats, which agree to
    1e-9 relative (summation order differs between engines). Empty when they agree."""
    if len(duck) != len(spark):
        return [f"{len(duck)} rows on DuckDB, {len(spark)} on Spark"]
    found = []
    for a, b in zip(sorted(duck, key=lambda r: tuple(map(_key, r))), sorted(spark, key=lambda r: tuple(map(_key, r)))):
        if len(a) != len(b) or not all(_same(x, y) for x, y in zip(a, b)):
            found.append(f"DuckDB {a!r} != Spark {b!r}")
            if len(found) == limit:
                break
    return found


def _same(x, y) -> bool:
    if isinstance(x, float) or isinstance(y, float):
        if not isinstance(x, (int, float)) or not isinstance(y, (int, float)) or isinstance(x, bool) != isinstance(
                y, bool):
            return False
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
    return type(x) is type(y) and x == y
