"""The statistics of the bench: paired ratios with bootstrap intervals, and a fixed + per-row fit.

Passes of the generator and the limit run back to back (ABBA), so pass i of one side and
pass i of the other saw nearly the same machine: their ratio cancels most of the noise a
shared machine adds. A side's figure is the geometric mean of its per-pass ratios, with a
95% percentile bootstrap interval from a seeded generator (the same file always gives the
same interval). Two runs (`idgraph bench compare`) cannot be paired pass by pass: their
ratio resamples each run's passes independently.
"""

from __future__ import annotations

import math
import random
from typing import Sequence

BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20261130
CONFIDENCE = 0.95


def geometric_mean(values: Sequence[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def paired_ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """numerator[i] / denominator[i] for every pass both sides have (positive values only)."""
    return [n / d for n, d in zip(numerators, denominators) if n and d and n > 0 and d > 0]


def paired_ratio(numerators: Sequence[float], denominators: Sequence[float]) -> dict[str, object]:
    """The geometric mean of the per-pass ratios and its bootstrap interval.

    {"ratio", "ci": [low, high] or None with fewer than 2 pairs, "passes": per-pass ratios}.
    """
    ratios = paired_ratios(numerators, denominators)
    if not ratios:
        return {"ratio": None, "ci": None, "passes": []}
    return {"ratio": round(geometric_mean(ratios), 3), "ci": bootstrap_ci(ratios), "passes": [round(r, 3) for r in ratios]}


def bootstrap_ci(values: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> list[float] | None:
    """95% percentile interval of the geometric mean of `values` (None below two values)."""
    if len(values) < 2:
        return None
    rng = random.Random(seed)
    logs = [math.log(v) for v in values]
    n = len(logs)
    means = sorted(math.exp(sum(rng.choice(logs) for _ in range(n)) / n) for _ in range(resamples))
    return _interval(means)


def unpaired_ratio(numerators: Sequence[float], denominators: Sequence[float], resamples: int = BOOTSTRAP_RESAMPLES, seed: int = BOOTSTRAP_SEED) -> dict[str, object]:
    """Geometric mean of `numerators` over that of `denominators`, passes resampled independently
    (two separate runs or processes, no pairing); interval None when either side has one pass."""
    nums = [v for v in numerators if v and v > 0]
    dens = [v for v in denominators if v and v > 0]
    if not nums or not dens:
        return {"ratio": None, "ci": None}
    ratio = geometric_mean(nums) / geometric_mean(dens)
    if len(nums) < 2 or len(dens) < 2:
        return {"ratio": round(ratio, 3), "ci": None}
    rng = random.Random(seed)
    log_n, log_d = [math.log(v) for v in nums], [math.log(v) for v in dens]
    draws = sorted(
        math.exp(sum(rng.choice(log_n) for _ in log_n) / len(log_n) - sum(rng.choice(log_d) for _ in log_d) / len(log_d))
        for _ in range(resamples)
    )
    return {"ratio": round(ratio, 3), "ci": _interval(draws)}


def _interval(sorted_draws: list[float]) -> list[float]:
    tail = (1 - CONFIDENCE) / 2
    low = sorted_draws[int(tail * len(sorted_draws))]
    high = sorted_draws[min(int((1 - tail) * len(sorted_draws)), len(sorted_draws) - 1)]
    return [round(low, 3), round(high, 3)]


def linear_fit(rows: Sequence[float], seconds: Sequence[float]) -> dict[str, float] | None:
    """Least squares seconds = fixed + per_row * rows; None with fewer than two distinct row counts."""
    points = [(float(r), float(s)) for r, s in zip(rows, seconds) if s is not None]
    if len({r for r, _ in points}) < 2:
        return None
    n = len(points)
    mean_r = sum(r for r, _ in points) / n
    mean_s = sum(s for _, s in points) / n
    slope = sum((r - mean_r) * (s - mean_s) for r, s in points) / sum((r - mean_r) ** 2 for r, _ in points)
    return {"fixed_seconds": round(mean_s - slope * mean_r, 3), "microseconds_per_row": round(slope * 1e6, 4)}
