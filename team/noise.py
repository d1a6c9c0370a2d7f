"""The noise: what each measure's figures may move by for one person, how much
of the privacy budget it takes, and the Gaussian mechanism (OpenDP core) that
draws it.

The privacy unit is one worker's week in one team. Each measure's figures for
a team-week are one vector: the sum over the team's people of each person's
contribution, where a person's contribution is bounded (``sensitivity``, the
L2 norm of one person's vector, clamped in team/team.sql where it is not
bounded by construction). Adding or removing one person's week moves the
vector by at most that much, so Gaussian noise of scale
``sensitivity / sqrt(2 rho)`` makes it rho-zCDP (OpenDP computes the rho from
the measurement's own ``map``, which :func:`mechanism` checks).

The denominators (how many people, or person-days, a figure is over) are
exact: who released in which week is not hidden by noise (it decides the k
rule, and a manager knows who was away); what each person did is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

ALPHA = 0.05  # the intervals are 95 %


@dataclass(frozen=True)
class Measure:
    name: str
    share: float  # of the team-week's budget
    sensitivity: float  # L2 bound of one person's week-vector
    why: str


# The default split of a team-week's budget (rho-zCDP; sums to 1). The activity grid has 168 cells and
# gets the most; the one-number and short-histogram measures less.
MEASURES: tuple[Measure, ...] = (
    Measure("activity", 0.30, 300.0, "active minutes per weekday x hour; a person's 168 minutes clamped to L2 300"),
    Measure("categories", 0.15, 1.0, "a person's shares of their own active time per category (sum 1)"),
    Measure("switching", 0.15, 40.0, "a person's app switches per active hour, clamped to 40"),
    Measure("focus", 0.15, 7.0, "a person's days per focus-time bin (at most 7 days in a week)"),
    Measure("typing", 0.125, 1.0, "a person's shares of their own typing intervals per bin (sum 1)"),
    Measure("clicking", 0.125, 1.0, "a person's shares of their own click intervals per bin (sum 1)"),
)
BY_NAME = {m.name: m for m in MEASURES}
RHO_DEFAULT = 1.0  # per team-week, rho-zCDP: about epsilon 8.4 at delta 1e-6 for the whole week


def scale(measure: Measure, rho: float) -> float:
    """The Gaussian scale that spends ``rho`` on ``measure``."""
    return measure.sensitivity / math.sqrt(2.0 * rho)


@lru_cache(maxsize=64)
def _gaussian(scale_: float):
    import opendp.prelude as dp

    dp.enable_features("contrib")
    space = (dp.vector_domain(dp.atom_domain(T=float, nan=False)), dp.l2_distance(T=float))
    return dp.m.make_gaussian(*space, scale=scale_)


def mechanism(measure: Measure, rho: float):
    """The OpenDP Gaussian measurement for ``measure`` at ``rho``, checked:
    its privacy map at the measure's sensitivity must not exceed rho."""
    found = _gaussian(scale(measure, rho))
    spent = found.map(measure.sensitivity)
    if spent > rho * (1 + 1e-9):
        raise RuntimeError(f"the {measure.name} mechanism spends {spent} > {rho}")
    return found


def draw(measure: Measure, rho: float, vector: list[float]) -> list[float]:
    """``vector`` with the measure's noise added (the whole vector at once)."""
    if not vector:
        return []
    return list(mechanism(measure, rho)([float(v) for v in vector]))


@lru_cache(maxsize=4096)
def accuracy(scale_: float) -> float:
    """The half-width of the 95 % interval of Gaussian noise of scale ``scale_``."""
    if scale_ <= 0:
        return 0.0
    import opendp.prelude as dp

    dp.enable_features("contrib")
    return dp.gaussian_scale_to_accuracy(scale_, ALPHA)


def epsilon(rho: float, delta: float = 1e-6) -> float:
    """(epsilon, delta)-DP implied by rho-zCDP (Bun & Steinke 2016, Prop. 1.3)."""
    return rho + 2.0 * math.sqrt(rho * math.log(1.0 / delta))
