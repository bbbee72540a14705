"""Accuracy statistics: Wilson score intervals and the paper's relative gain."""

from __future__ import annotations

import math

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def accuracy(correct: int, total: int) -> float | None:
    return correct / total if total else None


def wilson(correct: int, total: int, z: float = Z95) -> tuple[float | None, float | None]:
    """The Wilson score interval for `correct` successes out of `total`; (None, None) if empty.

    Unlike the normal approximation it stays inside [0, 1] and is sensible at 0 or 100%.
    """
    if total <= 0:
        return None, None
    if not 0 <= correct <= total:
        raise ValueError(f"correct={correct} outside 0..{total}")
    p = correct / total
    z2 = z * z
    denom = 1 + z2 / total
    centre = (p + z2 / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / denom
    # At 0 or total the bound is exactly 0 or 1; the float formula leaves a 1e-17 residue.
    low = 0.0 if correct == 0 else max(0.0, centre - half)
    high = 1.0 if correct == total else min(1.0, centre + half)
    return low, high


def relative_gain(acc_new: float | None, acc_base: float | None) -> float | None:
    """(acc_new − acc_base) / acc_base, the paper's metric; None when the base is 0 or unknown."""
    if acc_new is None or acc_base is None or acc_base == 0:
        return None
    return (acc_new - acc_base) / acc_base
