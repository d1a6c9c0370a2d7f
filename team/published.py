"""The drawn figures of a team-week, as the ledger holds them or as the team
server publishes them to the store, in one shape (:class:`Drawn`) that
team.shape turns into the frames every reader gets.

The server (and the demo, which is the server of the demo store) publishes
each team-week it draws, at ``sharing.teamstore.figures_key(team, week)``:
JSON ``{"sha256": ..., "figures": {...}}`` whose figures hold the team, the
week, the k and budget it was drawn at, the budget each measure spent, the
pseudonyms whose releases the draw included (so a reader can log its read
in each one's access log) and the cells of at least k people, column by
column (:data:`CELLS`: measure, idx, category, noisy, scale, denom,
contributors). Nothing per person: every cell is a sum over k people or
more with its noise. A worker's dashboard (Viewer role ``member``) reads
only these files: it draws nothing, spends no budget and keeps no ledger.

What the checks protect against: ``sha256`` (of the figures' canonical JSON)
and the shape checks catch a damaged or hand-edited file (a changed value,
a cell of fewer than k people, a column added); the digest of every file a
worker's dashboard has read is kept beside its own database, so a file
rewritten after it was first read is caught too. Someone who can write the
store and rewrites a file, digest included, before a worker first reads it
is not caught: that needs a signature whose key the worker gets another way.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sharing import pseudonym, teamstore
from store.paths import private_folder, write_private

from . import ledger, noise

FORMAT = 1
CELLS = ("measure", "idx", "category", "noisy", "scale", "denom", "contributors")
SEEN = "seen-figures.json"  # in the reader's own folder: key -> sha256 of each file it read
_DRAW_SCHEMA = {"team": pl.String, "week": pl.Date, "idx": pl.Int32, "category": pl.String, "noisy": pl.Float64,
                "scale": pl.Float64, "denom": pl.Float64, "contributors": pl.Int32}
_PAIRS = {"team": pl.String, "week": pl.Date}


class FiguresDamaged(ValueError):
    """A published figures file fails its checks: it is not shown."""


@dataclass(frozen=True)
class Drawn:
    """What a read of some team-weeks has to work with (before the k rule of the read and the weeks summed)."""
    draws: dict[str, pl.DataFrame]    # measure -> team, week, idx, category, noisy, scale, denom, contributors
    refused: dict[str, pl.DataFrame]  # measure -> team, week whose draw of it was refused for budget
    members: list[str]                # the pseudonyms the drawn team-weeks hold
    spent: pl.DataFrame               # team, week, spent
    missing: tuple[dt.date, ...] = ()  # weeks asked for that are not drawn (published) yet
    k: int | None = None  # the k the published figures were drawn at (the largest); None from the ledger


def _digest(figures: dict) -> str:
    return hashlib.sha256(json.dumps(figures, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


# --- the server side ------------------------------------------------------------------
def from_ledger(con, teams: list[str], weeks: list[dt.date], measures) -> Drawn:
    draws = {m: ledger.frame(con, "read_draws", teams=teams, weeks=weeks, measure=m).cast(_DRAW_SCHEMA)
             for m in measures}
    refused = {m: ledger.frame(con, "refused_pairs", teams=teams, weeks=weeks, measure=m).cast(_PAIRS)
               for m in measures}
    members = [r[0] for r in ledger.rows(con, "read_members", teams=teams, weeks=weeks)]
    spent = ledger.frame(con, "read_spent", teams=teams, weeks=weeks)
    return Drawn(draws, refused, members, spent)


def publish(con, store: teamstore.Folder, pairs: list[tuple[str, dt.date]], k: int, rho: float) -> None:
    """Write the drawn figures of ``pairs`` to the store (replacing what is there: the ledger is the truth)."""
    for team, week in pairs:
        cells = ledger.rows(con, "published_cells", team=team, week=week, k=k)
        figures = {
            "format": FORMAT, "team": team, "week": week.isoformat(), "k": k, "rho_total": rho,
            "spent": {m: r for m, r in ledger.rows(con, "published_spent", team=team, week=week)},
            "members": [r[0] for r in ledger.rows(con, "read_members", teams=[team], weeks=[week])],
            "cells": {name: [row[i] for row in cells] for i, name in enumerate(CELLS)},
        }
        data = json.dumps({"sha256": _digest(figures), "figures": figures}, sort_keys=True).encode()
        store.put(teamstore.figures_key(team, week), data)


# --- the reader's side ----------------------------------------------------------------
def published_weeks(store: teamstore.Folder, team: str) -> list[dt.date]:
    return sorted(parsed[1] for key in store.list(f"figures/{teamstore.check_team(team)}")
                  if (parsed := teamstore.parse_figures_key(key)) and parsed[0] == team)


def _problems(figures, team: str, week: dt.date) -> list[str]:
    if not isinstance(figures, dict) or figures.get("format") != FORMAT:
        return ["not figures of this format"]
    found = []
    if (figures.get("team"), figures.get("week")) != (team, week.isoformat()):
        found.append("its team or week is not what its name says")
    k = figures.get("k")
    if not isinstance(k, int) or k < ledger.K_MIN:
        return found + [f"its k {k!r} is below {ledger.K_MIN}"]
    cells = figures.get("cells")
    if not isinstance(cells, dict) or sorted(cells) != sorted(CELLS):
        return found + [f"its cells have columns {sorted(cells) if isinstance(cells, dict) else cells!r}, "
                        f"not {sorted(CELLS)}"]
    n = {len(v) if isinstance(v, list) else -1 for v in cells.values()}
    if len(n) != 1 or -1 in n:
        return found + ["its columns are not lists of one length"]
    numbers = [x for c in ("noisy", "scale", "denom") for x in cells[c]]
    if any(not isinstance(x, (int, float)) or isinstance(x, bool) or not math.isfinite(x) for x in numbers):
        found.append("a cell's value is not a number")
    if any(m not in noise.BY_NAME for m in cells["measure"]) or any(not isinstance(c, str) for c in cells["category"]):
        found.append("a cell names no measure of the team views")
    if any(not isinstance(c, int) or c < k for c in cells["contributors"]):
        found.append(f"a cell is from fewer than k = {k} people")
    members, spent = figures.get("members"), figures.get("spent")
    if not isinstance(members, list) or not all(isinstance(p, str) and pseudonym.is_pseudonym(p) for p in members):
        found.append("its members are not pseudonyms")
    if not isinstance(spent, dict) or any(m not in noise.BY_NAME or not isinstance(r, (int, float))
                                          for m, r in spent.items()):
        found.append("its budget is not one per measure")
    return found


def _load(store: teamstore.Folder, team: str, week: dt.date, seen: dict[str, str]) -> dict:
    key = teamstore.figures_key(team, week)
    where = f"The team server's figures of {team} for the week of {week}"
    try:
        raw = json.loads(store.get(key))
        figures, digest = raw["figures"], raw["sha256"]
    except (ValueError, KeyError, TypeError) as exc:
        raise FiguresDamaged(f"{where} cannot be read ({type(exc).__name__}): the file is damaged, so they are "
                             "not shown; the team server's admin can publish them again.") from None
    if _digest(figures) != digest:
        raise FiguresDamaged(f"{where} do not match their SHA-256: the file was altered or damaged after the "
                             "server wrote it, so they are not shown.")
    problems = _problems(figures, team, week)
    if problems:
        raise FiguresDamaged(f"{where} fail their checks ({'; '.join(problems)}), so they are not shown.")
    if seen.get(key, digest) != digest:
        raise FiguresDamaged(f"{where} are not the ones this dashboard read before: the file was rewritten since, "
                             "so they are not shown.")
    return figures


def from_store(store: teamstore.Folder, team: str, weeks: list[dt.date], measures, reader_state: Path) -> Drawn:
    """The published figures of ``team`` for ``weeks``; weeks not published yet are ``missing``. Raises
    FiguresDamaged for a file that fails its checks. Records each file's digest in ``reader_state``."""
    seen_path = private_folder(Path(reader_state)) / SEEN
    try:
        seen = json.loads(seen_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        seen = {}
    available = set(published_weeks(store, team))
    loaded = {w: _load(store, team, w, seen) for w in weeks if w in available}
    draws, refused = {}, {}
    for m in measures:
        rows = [{"team": team, "week": w, **{c: f["cells"][c][i] for c in CELLS[1:]}}
                for w, f in loaded.items() for i, name in enumerate(f["cells"]["measure"]) if name == m]
        draws[m] = pl.DataFrame(rows, schema=_DRAW_SCHEMA, orient="row") if rows else pl.DataFrame(schema=_DRAW_SCHEMA)
        draws[m] = draws[m].sort("team", "week", "idx", "category")
        gone = [w for w, f in loaded.items() if f["members"] and m not in f["spent"]]
        refused[m] = pl.DataFrame({"team": [team] * len(gone), "week": gone}, schema=_PAIRS)
    members = sorted({p for f in loaded.values() for p in f["members"]})
    spent = pl.DataFrame({"team": [team] * len(loaded), "week": list(loaded),
                          "spent": [float(sum(f["spent"].values())) for f in loaded.values()]},
                         schema={**_PAIRS, "spent": pl.Float64})
    new = {teamstore.figures_key(team, w): _digest(f) for w, f in loaded.items()}
    if any(seen.get(key) != value for key, value in new.items()):
        write_private(seen_path, json.dumps({**seen, **new}, sort_keys=True))
    return Drawn(draws, refused, members, spent, tuple(w for w in weeks if w not in available),
                 max((f["k"] for f in loaded.values()), default=None))


def settings(store: teamstore.Folder, team: str) -> tuple[int, float]:
    """(k, rho per team-week) of the team's published figures (the largest k; the defaults if none)."""
    found = []
    for week in published_weeks(store, team)[-1:]:
        try:
            figures = json.loads(store.get(teamstore.figures_key(team, week)))["figures"]
            found.append((int(figures["k"]), float(figures["rho_total"])))
        except (ValueError, KeyError, TypeError, OSError):
            continue
    return found[0] if found else (ledger.K_DEFAULT, noise.RHO_DEFAULT)


def known_categories(store: teamstore.Folder, team: str, reader_state: Path) -> list[str]:
    """The categories in the team's published figures (each from at least k people in some week)."""
    weeks = published_weeks(store, team)
    drawn = from_store(store, team, weeks, ("categories",), reader_state)
    return sorted(set(drawn.draws["categories"]["category"].to_list()))
