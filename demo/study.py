"""The demo study in the demo team store: what Explore shows on a fresh machine, marked as demo.

demo/team.py calls this while it writes the team releases: most of the demo's people (each with
probability :data:`JOIN_P`, from the seed) joined the study ``demo-rhythm``, and each of their working days
becomes one study release beside the team release, from the same day's figures:

- the same activity, categories and focus;
- transitions: the day's app switches that crossed categories, spread over the pairs of the person's
  categories in proportion to the time in each (a switch within one category is not a transition);
- the finer typing and clicking bins: the same intervals as the team release's, binned at
  sharing.study_format's finer edges from the person's own rhythm.

Each release is built to sharing.study_format.schema, held against study_format.check and put where
sharing.studies keys it, with the pseudonym keyed for this study (sharing.pseudonym.scoped), so the demo goes
through the same promise and keys a worker's release does. With about twenty people in a study of k = 5,
most cells pass k; weekends, evenings, rare categories and rare transitions do not.
"""

from __future__ import annotations

import datetime as dt
import io
from functools import lru_cache

import numpy as np

from sharing import pseudonym as pseudonyms
from sharing import studies
from sharing import study_format as sf

STUDY_ID = "demo-rhythm"
MEASURES = ("activity", "categories", "focus", "transitions", "typing_fine", "clicking_fine")
JOIN_P = 0.75
K = 5


def study(last_day: dt.date) -> studies.Study:
    return studies.Study(
        id=STUDY_ID, name="Rhythm of the working day (demo)",
        purpose="Made up by the demo: how active time, focus, switching between kinds of work and typing "
                "rhythm vary over the week and the day, across teams. No real person's work.",
        researcher="The Workprint demo (no one; demo data only)", ends=last_day + dt.timedelta(days=180),
        measures=MEASURES, k=K, demo=True)


def members(people, seed: int, secret: bytes) -> dict[str, str]:
    """Team pseudonym -> study pseudonym, for the people who joined (the same seed, the same people)."""
    joined = {}
    for p in people:
        rng = np.random.default_rng([seed, 47, int(p.pseudonym[:12], 16)])
        if rng.random() < JOIN_P:
            # A made-up worker id: keyed for the study it is unjoinable with the team pseudonym, as a worker's is.
            worker = f"demo-{p.team}-{p.pseudonym[:8]}"
            joined[p.pseudonym] = pseudonyms.scoped(worker, secret, studies.scope(STUDY_ID))
    return joined


def _shares(median: float, sigma: float, edges) -> np.ndarray:
    from statistics import NormalDist

    cdf = [NormalDist().cdf((np.log(e) - np.log(median)) / sigma) for e in edges]
    return np.diff(np.concatenate(([0.0], cdf, [1.0])))


def row(team_row: dict, person, study_pseudonym: str, seed: int) -> dict:
    """The study release of the day ``team_row`` (demo.team.person_day) is for."""
    rng = np.random.default_rng([seed, 53, int(person.pseudonym[:12], 16), team_row["day"].toordinal()])
    cats = [c for c, s in team_row["category_seconds"]]
    secs = np.array([s for _, s in team_row["category_seconds"]], float)
    share = secs / secs.sum() if secs.sum() else secs
    pairs = [(i, j) for i in range(len(cats)) for j in range(len(cats)) if i != j]
    transitions = []
    if pairs:
        weights = np.array([share[i] * share[j] for i, j in pairs])
        crossing = int(sum(team_row["switches"]) * 0.5 * (1 - float((share ** 2).sum())))
        if weights.sum() > 0 and crossing > 0:
            counts = rng.multinomial(crossing, weights / weights.sum())
            transitions = [{"src": cats[i], "dst": cats[j], "n": int(n)} for (i, j), n in zip(pairs, counts) if n]
    typing = 0.94 * _shares(person.iki_ms, 0.62, sf.TYPING_FINE_EDGES_MS) + \
        0.06 * _shares(person.iki_ms * 2.7, 0.62, sf.TYPING_FINE_EDGES_MS)
    clicks = 0.92 * _shares(6.0, 1.2, sf.CLICK_FINE_EDGES_S)
    clicks[0] += 0.08
    return {
        "pseudonym": study_pseudonym, "study": STUDY_ID, "day": team_row["day"],
        "active_minutes": team_row["active_minutes"], "switches": team_row["switches"],
        "category_seconds": team_row["category_seconds"],
        "focus_sessions": team_row["focus_sessions"], "focus_seconds": team_row["focus_seconds"],
        "category_transitions": transitions,
        "typing_fine_bins": rng.multinomial(sum(team_row["typing_bins"]), typing / typing.sum()).tolist(),
        "click_fine_bins": rng.multinomial(sum(team_row["click_bins"]), clicks / clicks.sum()).tolist(),
    }


@lru_cache(maxsize=1)
def _schema():
    return sf.schema(MEASURES)


def release_bytes(values: dict) -> bytes:
    """One study release as Parquet, in study_format.schema(MEASURES) and held against its check."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([values], schema=_schema())
    problems = sf.check(table, MEASURES)
    if problems:
        raise ValueError(f"the demo made a study release that breaks its promise: {'; '.join(problems)}")
    out = io.BytesIO()
    pq.write_table(table, out, use_compliant_nested_type=False)  # lists keep Arrow's 'item', as promised
    return out.getvalue()


def key(values: dict) -> str:
    return studies.release_key(STUDY_ID, values["day"], values["pseudonym"])

