"""The team and research statements give the same results on Spark as on DuckDB, over the same Parquet.

One Spark session for the module (it takes ~15-20 s to start). Each team measure's draw input (the exact
cells, their denominators and contributors, and which cells k suppresses) and each statement of
team/explore.sql (with its ``shown`` k rule) is run on both engines and compared row for row.
"""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

import pytest
import spark_parity as sp
import sqlglot
import study_gen
from sqlglot import exp

from store import catalog
from team import dataset, draw, engines, noise


def slow(test):
    """Spark tests: the fast suite (-m "not slow") skips them; CI runs them."""
    return pytest.mark.slow(pytest.mark.spark(test))


EXPLORE = sorted(n for n, s in engines.statements().items() if s.file == "explore.sql")
DIMENSIONS = ("hour", "category", "bin", "from_category", "to_category", "weekday")
DIVERGENT = catalog.parse(Path(__file__).parent / "data" / "spark_divergent.sql")


@pytest.fixture(scope="module")
def roots(tmp_path_factory):
    return sp.build(tmp_path_factory.mktemp("parity"))


@pytest.fixture(scope="module")
def session():
    yield engines.spark_session()
    engines.stop_spark()


@pytest.fixture(scope="module")
def both(roots, session):
    """(DuckDB, Spark, root) per dataset."""
    made = {name: (engines.DuckDB(root), engines.Spark(root, session), root) for name, root in roots.items()}
    yield made
    for duck, spark, _ in made.values():
        duck.close()
        spark.close()


def _samples(statement) -> list[dict]:
    """Parameter sets for an explore statement: every group key alone and paired, each measure, filters on
    days, weekdays, a category or bin, and two k's; an unknown parameter fails (add its samples here)."""
    first, last = study_gen.DAY0, study_gen.DAY0 + dt.timedelta(days=15)
    doc = statement.param_docs.get("measure", "")
    measures = [m.strip() for m in doc.split("|")] if "|" in doc else [None]
    dims = [d for d in DIMENSIONS if f"'{d}'" in statement.sql]  # the group keys this statement knows
    cases = [{}, {"by1": "week"}, {"by1": "month", "by2": "day", "k": 3, "wd_lo": 2, "wd_hi": 4}]
    cases += [{"by1": d} for d in dims] + [{"by1": "weekday", "by2": d, "category": "Code", "bin": 2} for d in dims]
    cases += [{"by1": dims[0] if dims else "day", "category": "Rare", "first": first + dt.timedelta(days=3)}]
    base = {"by1": "none", "by2": "none", "first": first, "last": last, "wd_lo": 1, "wd_hi": 7, "k": 5,
            "category": "", "bin": -1}
    unknown = set(statement.params) - set(base) - {"measure"}
    assert not unknown, f"{statement.name}: no parity samples for ${', $'.join(sorted(unknown))}"
    out = []
    for case, measure in zip(cases, itertools.cycle(measures)):
        chosen = {**base, "measure": measure, **case}
        out.append({p: chosen[p] for p in statement.params})
    return out


def _tables(sql: str) -> set[str]:
    return {t.name for t in sqlglot.parse_one(sql, read="duckdb").find_all(exp.Table)} - {
        c.alias_or_name for c in sqlglot.parse_one(sql, read="duckdb").find_all(exp.CTE)}


@slow
@pytest.mark.parametrize("measure", [m.name for m in noise.MEASURES])
def test_team_cells_and_suppression_agree(both, measure):
    """A manager's figures would differ between a server on DuckDB and one on Spark: a cell's exact sum,
    denominator or contributors, or whether k suppresses it."""
    duck, spark, _ = both["team"]
    teams = sorted(sp.TEAMS)
    got = {e.name: engines.team_cells(e, measure, teams, sp.TEAM_WEEKS, k=5) for e in (duck, spark)}
    assert got["duckdb"], "the store gave no cells: the comparison would prove nothing"
    kept = {row[-1] for row in got["duckdb"]}
    assert kept == {True, False} or measure == "switching", f"{measure}: want cells both kept and suppressed"
    assert sp.differences(got["duckdb"], got["spark"]) == []


@slow
@pytest.mark.parametrize("name", EXPLORE)
def test_explore_statement_agrees(both, name):
    """A researcher's Explore figures (or which groups k hides) would differ between DuckDB and Spark."""
    statement = engines.statements()[name]
    compared = 0
    for study, (duck, spark, root) in both.items():
        if study == "team" or not _tables(statement.sql) <= set(dataset.tables(root)):
            continue
        for params in _samples(statement):
            a, b = duck.rows(name, **params), spark.rows(name, **params)
            assert sp.differences(a, b) == [], f"{name} on study {study} with {params}"
            compared += 1
    assert compared, f"{name}: no study has its tables"


@slow
def test_explore_hides_small_groups_on_both(both):
    """The comparison covers k: a study group of 3 people is hidden (shown false) on both engines."""
    duck, spark, _ = both["rhythm"]
    params = {"measure": "active_minutes", "by1": "none", "by2": "none", "first": study_gen.DAY0,
              "last": study_gen.DAY0 + dt.timedelta(days=15), "wd_lo": 1, "wd_hi": 7}
    rare = {"category": "Rare", "by1": "category", "by2": "none", "first": params["first"], "last": params["last"],
            "wd_lo": 1, "wd_hi": 7, "k": 5}
    rows = {e.name: e.rows("explore_categories", **rare) for e in (duck, spark)}
    assert [(r[0], r[4]) for r in rows["duckdb"]] == [("Rare", False)]  # 2 people: hidden
    assert sp.differences(rows["duckdb"], rows["spark"]) == []
    assert duck.rows("explore_days", **params, k=5) and spark.rows("explore_days", **params, k=5)


@slow
def test_comparison_catches_what_sqlglot_silently_changes(roots, session):
    """If the comparison passed these, a statement sqlglot mistranslates (isodow, array_agg ORDER BY,
    regexp_matches 'i') would reach Spark users unnoticed."""
    duck = engines.DuckDB(roots["rhythm"], named={s.name: s for s in DIVERGENT})
    spark = engines.Spark(roots["rhythm"], session, named={s.name: s for s in DIVERGENT})
    for statement in DIVERGENT:
        a, b = duck.rows(statement.name), spark.rows(statement.name)
        assert a, statement.name
        assert sp.differences(a, b) != [], f"{statement.name}: DuckDB and Spark agree; the plant proves nothing"


def test_every_statement_has_parity():
    """A new team contribution or research statement that the parity tests do not run would reach Spark
    unchecked; a Spark variant without its DuckDB statement (or with other parameters) would run something
    else than DuckDB does."""
    named = engines.statements()
    contrib = {n for n, s in named.items() if s.file == "team.sql" and n.startswith("contrib_")}
    run = {draw.contribution_query(m.name, ["a"], [dt.date(2026, 1, 5)])[0] for m in noise.MEASURES}
    assert contrib == run, f"team.sql contrib statements without parity: {sorted(contrib - run)}"
    assert EXPLORE, "team/explore.sql has no statements"
    for name in EXPLORE:
        _samples(named[name])  # every parameter has samples
    for name, statement in named.items():
        if name.endswith(engines.SPARK_SUFFIX):
            base = named.get(name.removesuffix(engines.SPARK_SUFFIX))
            assert base is not None and set(base.params) == set(statement.params), name


def test_parameters_are_bound_as_literals_not_text():
    """A team name holding a quote would end the string and change the statement on Spark."""
    sql = engines.spark_sql("release_days", {"teams": ["o'brien'); DROP TABLE x; --"]})
    tree = sqlglot.parse_one(sql, read="spark")
    assert [s.this for s in tree.find_all(exp.Literal) if s.is_string] == ["o'brien'); DROP TABLE x; --"]
    with pytest.raises(ValueError, match=r"\$teams: an empty list"):
        engines.spark_sql("release_days", {"teams": []})
    with pytest.raises(ValueError, match=r"\$clamp: nan"):
        engines.spark_sql("contrib_switching", {"teams": ["a"], "weeks": [dt.date(2026, 1, 5)], "clamp": float("nan")})
