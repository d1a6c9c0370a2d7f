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


# The most app switches per active hour one person's week counts with. Measured (person-weeks with an hour
# of activity or more): the demo team store, calibrated to ~1,200 switches a day (Murty, Dadlani & Das, HBR
# 2022), median 170, 95th percentile 258, 99th 319, highest 324, and 300 clamps 3 % of them (one person of
# 29); ActivityWatch's one-day desktop export (/work/shared/data) 79 per active hour, its Android export 129.
# The typing study has no switches. A clamp at the median would hide the fast switchers' share of the
# figure; one well past the top would only add noise (the noise grows with the clamp).
SWITCH_CLAMP = 300.0

# The default split of a team-week's budget (rho-zCDP; sums to 1). The activity grid has 168 cells and
# gets the most; the one-number and short-histogram measures less.
MEASURES: tuple[Measure, ...] = (
    Measure("activity", 0.30, 300.0, "active minutes per weekday x hour; a person's 168 minutes clamped to L2 300"),
    Measure("categories", 0.15, 1.0, "a person's shares of their own active time per category (sum 1)"),
    Measure("switching", 0.15, SWITCH_CLAMP, f"a person's app switches per active hour, clamped to {SWITCH_CLAMP:.0f}"),
    Measure("focus", 0.15, 7.0, "a person's days per focus-time bin (at most 7 days in a week)"),
    Measure("typing", 0.125, 1.0, "a person's shares of their own typing intervals per bin (sum 1)"),
    Measure("clicking", 0.125, 1.0, "a person's shares of their own click intervals per bin (sum 1)"),
)
BY_NAME = {m.name: m for m in MEASURES}
RHO_DEFAULT = 1.0  # per team-week, rho-zCDP: about epsilon 8.4 at delta 1e-6 for the whole week


GRANULARITY = -10  # noise drawn on a grid of 2^-10 (OpenDP's k): exact sampling of a float Gaussian is ~20x slower


def scale(measure: Measure, rho: float) -> float:
    """The Gaussian scale that spends ``rho`` on ``measure``, before the grid's allowance."""
    return measure.sensitivity / math.sqrt(2.0 * rho)


@lru_cache(maxsize=256)
def _gaussian(scale_: float, size: int):
    import opendp.prelude as dp

    dp.enable_features("contrib")
    space = (dp.vector_domain(dp.atom_domain(T=float, nan=False), size=size), dp.l2_distance(T=float))
    return dp.m.make_gaussian(*space, scale=scale_, k=GRANULARITY)


@lru_cache(maxsize=256)
def calibrated(name: str, rho: float, size: int) -> float:
    """The smallest scale (in steps of 0.1 %) whose OpenDP measurement over ``size`` cells spends at most
    ``rho`` at the measure's sensitivity: OpenDP's map includes what rounding to the grid adds."""
    measure = BY_NAME[name]
    found = scale(measure, rho)
    while _gaussian(found, size).map(measure.sensitivity) > rho:
        found *= 1.001
    return found


def mechanism(measure: Measure, rho: float, size: int):
    """The OpenDP Gaussian measurement for ``measure`` at ``rho`` over ``size`` cells, and its scale; its
    privacy map at the measure's sensitivity does not exceed rho."""
    found = calibrated(measure.name, rho, size)
    return _gaussian(found, size), found


def draw(measure: Measure, rho: float, vector: list[float]) -> tuple[list[float], float]:
    """``vector`` with the measure's noise added (the whole vector at once), and the noise's scale."""
    if not vector:
        return [], scale(measure, rho)
    found, scale_ = mechanism(measure, rho, len(vector))
    return list(found([float(v) for v in vector])), scale_


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
