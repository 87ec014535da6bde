"""Interval estimates for experiment reports, and the rule that says when arms differ.

Pure Python (no SciPy): Wilson score intervals for proportions, Student-t intervals for
means, distribution-free order-statistic intervals for medians, all at 95%.

The decision rule (:func:`compare`): two arms differ on a figure only when both have at
least ``min_n`` observations of it and their 95% intervals do not overlap. Requiring
disjoint intervals is stricter than a 5% test (for two equally precise estimates it
amounts to about 0.6% per comparison), which keeps false claims rare when a report
looks at five figures for several arms at once; the price is that a real but small
difference needs more data before it is reported.

Example::

    wilson(40, 100)              # Estimate(value=0.4, low=0.31, high=0.50, n=100)
    compare(a, b, min_n=30)      # ("lower", "95% intervals do not overlap")
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

Z95 = 1.959963984540054
Verdict = Literal["higher", "lower", "undecided"]


@dataclass(frozen=True)
class Estimate:
    """A figure with its 95% interval; ``value`` None when there were no observations."""

    value: float | None
    low: float | None
    high: float | None
    n: int

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


NONE = Estimate(None, None, None, 0)


def wilson(k: int, n: int, z: float = Z95) -> Estimate:
    """Wilson score interval for ``k`` successes in ``n`` trials (good near 0 and 1)."""
    if n <= 0:
        return NONE
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return Estimate(p, max(0.0, centre - half), min(1.0, centre + half), n)


def t_quantile(df: int) -> float:
    """Two-sided 95% Student-t quantile (Cornish-Fisher expansion; exact enough for
    df >= 3, and df 1-2 are tabulated)."""
    if df <= 2:
        return (12.706, 4.303)[max(df, 1) - 1]
    z = Z95
    return (
        z
        + (z**3 + z) / (4 * df)
        + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        + (3 * z**7 + 19 * z**5 + 17 * z**3 - 15 * z) / (384 * df**3)
    )


def mean_ci(xs: Sequence[float]) -> Estimate:
    """Mean with a Student-t interval (a single observation has no interval)."""
    n = len(xs)
    if n == 0:
        return NONE
    m = statistics.fmean(xs)
    if n == 1:
        return Estimate(m, None, None, 1)
    half = t_quantile(n - 1) * statistics.stdev(xs) / math.sqrt(n)
    return Estimate(m, m - half, m + half, n)


def median_ci(xs: Sequence[float]) -> Estimate:
    """Median with the order-statistic interval (normal approximation to the binomial
    ranks): no assumption about the shape of, say, a latency distribution."""
    n = len(xs)
    if n == 0:
        return NONE
    s = sorted(xs)
    half = Z95 * math.sqrt(n) / 2
    lo = max(1, math.floor(n / 2 - half))
    hi = min(n, math.ceil(n / 2 + half + 1))
    return Estimate(statistics.median(s), s[lo - 1], s[hi - 1], n)


def compare(arm: Estimate, control: Estimate, min_n: int) -> tuple[Verdict, str]:
    """Whether ``arm``'s figure is higher or lower than ``control``'s (module doc)."""
    if arm.value is None or control.value is None:
        return "undecided", "no data"
    if arm.n < min_n or control.n < min_n:
        return "undecided", f"fewer than {min_n} observations"
    if None in (arm.low, arm.high, control.low, control.high):
        return "undecided", "no interval"
    assert arm.low is not None and arm.high is not None
    assert control.low is not None and control.high is not None
    if arm.low > control.high:
        return "higher", "95% intervals do not overlap"
    if arm.high < control.low:
        return "lower", "95% intervals do not overlap"
    return "undecided", "95% intervals overlap"
