"""Comparing two periods: effect size and a distribution test, in plain words.

Timing measures are skewed (a few long pauses), so the comparison uses
medians, Cliff's delta (the probability that a value from one period is larger
than one from the other, minus the reverse) and the two-sample
Kolmogorov-Smirnov test, none of which assume a normal distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

# Romano et al. (2006) thresholds for |Cliff's delta|.
_MAGNITUDES = ((0.147, "negligible"), (0.33, "small"), (0.474, "medium"), (float("inf"), "large"))


@dataclass(frozen=True)
class Comparison:
    n_a: int
    n_b: int
    median_a: float
    median_b: float
    cliffs_delta: float  # > 0: values in B tend to be larger than in A
    magnitude: str
    ks_statistic: float
    p_value: float

    def sentence(self, measure: str, unit: str, label_a: str = "the first period", label_b: str = "the second period") -> str:
        """Plain words a worker can read without statistics: what changed from
        ``label_a`` to ``label_b``, how much that matters, whether it could be
        chance, and each period's own median and count, in ``unit``."""
        medians = f"median {_num(self.median_b)} {unit} in {label_b}, {_num(self.median_a)} {unit} in {label_a}"
        counts = f"{self.n_b:,} values in {label_b}, {self.n_a:,} in {label_a}"
        if self.magnitude == "negligible":
            head = f"{measure} were about the same in {label_b} as in {label_a} ({medians})."
            tail = "Any difference is too small to matter" + (
                ", even if with this many values it is measurable" if self.p_value < 0.01 else "")
        else:
            direction = "longer" if self.cliffs_delta > 0 else "shorter"
            head = f"{measure} were {direction} in {label_b} than in {label_a} ({medians})."
            tail = f"The difference is {self.magnitude}" + (
                " and too consistent to be chance" if self.p_value < 0.01
                else " and probably not chance" if self.p_value < 0.05
                else ", and it may be chance")
        p_text = "p < 0.001" if self.p_value < 0.001 else f"p = {self.p_value:.3f}"
        return f"{head} {tail} (Cliff's delta {self.cliffs_delta:+.2f}; Kolmogorov-Smirnov test, {p_text}; {counts})."


def _num(x: float) -> str:
    """About three significant digits: 245, 8.4, 0.53."""
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.1f}" if abs(x) >= 10 else f"{x:.2g}"


def cliffs_delta(a: np.ndarray, b: np.ndarray) -> float:
    """P(b > a) - P(b < a), from the Mann-Whitney U statistic (O(n log n))."""
    u = stats.mannwhitneyu(b, a, alternative="two-sided").statistic
    return float(2 * u / (len(a) * len(b)) - 1)


def compare(a, b) -> Comparison:
    """Compare two samples; raises ValueError if either has fewer than 2 values."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    a, b = a[np.isfinite(a)], b[np.isfinite(b)]
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"need at least 2 values in each period to compare (got {len(a)} and {len(b)})")
    delta = cliffs_delta(a, b)
    magnitude = next(label for limit, label in _MAGNITUDES if abs(delta) < limit)
    ks = stats.ks_2samp(a, b)
    return Comparison(len(a), len(b), float(np.median(a)), float(np.median(b)), delta, magnitude,
                      float(ks.statistic), float(ks.pvalue))
