"""Drawing the noisy figures of completed team-weeks, once.

A team-week is drawn when it is first read after it completed: its last day
(Sunday) has passed and a grace day for late releases too (:func:`complete`).
All six measures are drawn together, from the releases ingested at that
moment, each as one vector with its noise (team.noise), and stored in the
ledger with the exact denominators, the number of people behind each cell and
the pseudonyms the figures hold. Later reads return the stored values and
spend nothing. A release that arrives (or changes) after its team-week was
drawn is kept in the ledger's releases but never enters that team-week's
figures, and a release removed afterwards (a worker revoked) leaves the drawn
figures as they were: they are noisy aggregates already shown.

The budget per team-week is ``rho_per_team_week`` (rho-zCDP). Each measure
spends its share of the default total; a measure whose share would take the
team-week past its cap (a server configured with a smaller cap) is refused:
not drawn, and its figures are suppressed for that team-week for good.
"""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from . import ledger, noise

GRACE_DAYS = 1
FOCUS_EDGES_MIN = (60, 120, 240)  # focus bins: under 1 h, 1-2 h, 2-4 h, 4 h and more
DIMENSIONS = {"activity": 7 * 24, "switching": 1, "focus": len(FOCUS_EDGES_MIN) + 1, "typing": 6, "clicking": 7}


class BudgetExceeded(RuntimeError):
    """A draw would take a team-week past its privacy budget."""


def complete(week: dt.date, today: dt.date) -> bool:
    """True once the ISO week starting ``week`` is over and its grace day has passed."""
    return today >= week + dt.timedelta(days=7 + GRACE_DAYS)


def contribution_query(measure: str, teams: list[str], weeks: list[dt.date]) -> tuple[str, dict]:
    """The team.sql statement computing the measure's cells and its parameters (team.engines runs the same
    on Spark)."""
    spec = noise.BY_NAME[measure]
    where = {"teams": teams, "weeks": weeks}
    if measure in ("activity", "switching"):
        return f"contrib_{measure}", {**where, "clamp": spec.sensitivity}
    if measure == "categories":
        return "contrib_categories", where
    if measure == "focus":
        return "contrib_focus", {**where, "edges": list(FOCUS_EDGES_MIN)}
    return "contrib_rhythm", {**where, "column": "typing_bins" if measure == "typing" else "click_bins"}


def _contributions(con, measure: str, teams: list[str], weeks: list[dt.date]) -> list[tuple]:
    """(team, week, idx, category, total, denom, contributors) for the measure's cells."""
    name, params = contribution_query(measure, teams, weeks)
    return ledger.rows(con, name, **params)


def vector_of(measure: str, found: list[tuple]) -> list[tuple]:
    """The team-week's full vector of cells: fixed-size measures get every cell, empty ones as 0 over 0."""
    if measure == "categories":
        return sorted(found, key=lambda r: r[3])
    by_idx = {r[2]: r for r in found}
    team, week = found[0][0], found[0][1]
    return [by_idx.get(i, (team, week, i, "", 0.0, 0.0, 0)) for i in range(DIMENSIONS[measure])]


def draw(con, pairs: list[tuple[str, dt.date]], rho_total: float) -> dict[tuple[str, dt.date], list[str]]:
    """Draw every measure of the team-weeks in ``pairs`` not drawn yet, in one
    transaction. Returns the measures refused for budget, per team-week."""
    if not pairs:
        return {}
    teams = sorted({t for t, _ in pairs})
    weeks = sorted({w for _, w in pairs})
    wanted = set(pairs) - {(t, w) for t, w in ledger.rows(con, "drawn_pairs", teams=teams, weeks=weeks)}
    if not wanted:
        return {}
    refused: dict[tuple[str, dt.date], list[str]] = {}
    con.execute("BEGIN TRANSACTION")
    try:
        members = [r for r in ledger.rows(con, "week_members", teams=teams, weeks=weeks) if (r[0], r[1]) in wanted]
        spent = {pair: 0.0 for pair in wanted}
        cells: list[tuple] = []
        charged: list[tuple] = []
        for spec in noise.MEASURES:
            rho = spec.share * noise.RHO_DEFAULT
            grouped: dict[tuple[str, dt.date], list[tuple]] = {}
            for row in _contributions(con, spec.name, teams, weeks):
                if (row[0], row[1]) in wanted:
                    grouped.setdefault((row[0], row[1]), []).append(row)
            for pair, found in sorted(grouped.items()):
                if spent[pair] + rho > rho_total * (1 + 1e-9):
                    refused.setdefault(pair, []).append(spec.name)
                    continue
                vector = vector_of(spec.name, found)
                noisy, sigma = noise.draw(spec, rho, [r[4] for r in vector])
                cells += [(r[0], r[1], spec.name, r[2], r[3], v, sigma, r[5], r[6]) for r, v in zip(vector, noisy)]
                spent[pair] += rho
                charged.append((pair[0], pair[1], spec.name, rho))
        _insert(con, cells, members, charged, sorted(wanted))
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return refused


def _table(rows: list[tuple], fields: list[tuple]) -> pa.Table:
    return pa.table({name: [r[i] for r in rows] for i, (name, _) in enumerate(fields)}, schema=pa.schema(fields))


def _insert(con, cells: list[tuple], members: list[tuple], charged: list[tuple], pairs: list[tuple]) -> None:
    """The draw's rows, as Arrow tables the statements of team.sql read."""
    tables = {
        "drawn_cells": _table(cells, [("team", pa.string()), ("week", pa.date32()), ("measure", pa.string()),
                                      ("idx", pa.int32()), ("category", pa.string()), ("noisy", pa.float64()),
                                      ("scale", pa.float64()), ("denom", pa.float64()), ("contributors", pa.int32())]),
        "drawn_members": _table(members, [("team", pa.string()), ("week", pa.date32()), ("pseudonym", pa.string())]),
        "drawn_spent": _table(charged, [("team", pa.string()), ("week", pa.date32()), ("measure", pa.string()),
                                        ("rho", pa.float64())]),
        "drawn_pairs_new": _table(pairs, [("team", pa.string()), ("week", pa.date32())]),
    }
    for name, table in tables.items():
        con.register(name, table)
    try:
        ledger.run(con, "insert_draw")
    finally:
        for name in tables:
            con.unregister(name)
