"""Accuracy statistics: Wilson score intervals, the paper's relative gain, and the paired tests.

Every mode answers the same items, so a comparison of two modes is paired: McNemar's exact test
and the paired bootstrap below use that pairing instead of treating the two accuracies as
independent samples (which would understate how sure we can be).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from fractions import Fraction

from tot_tui.tutor.vote import majority_vote as majority_vote

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


# -- paired comparisons -------------------------------------------------------------------------

PAIR_KEYS = ("both_right", "fixed", "broken", "both_wrong")
EXACT_MCNEMAR_LIMIT = 2000  # discordant pairs up to which the p-value is an exact Fraction sum


def paired_counts(pairs: Sequence[tuple[bool, bool]]) -> dict[str, int]:
    """How many items fall in each cell of the 2×2 table of (base correct, new correct).

    Only `fixed` (wrong → right) and `broken` (right → wrong) say anything about a difference
    between the modes; the agreeing cells only set the scale.
    """
    counts = dict.fromkeys(PAIR_KEYS, 0)
    for base, new in pairs:
        if base and new:
            counts["both_right"] += 1
        elif new:
            counts["fixed"] += 1
        elif base:
            counts["broken"] += 1
        else:
            counts["both_wrong"] += 1
    return counts


def _binomial_half_tail_log(n: int, k: int) -> float:
    """log P(X <= k) for X ~ Binomial(n, 1/2), k <= n/2, summed in log space (no under/overflow).

    The terms rise with i up to k, so they are summed from k downwards, relative to the largest,
    and the sum stops once a term can no longer change a double.
    """
    log_norm = math.lgamma(n + 1) - n * math.log(2)

    def log_term(i: int) -> float:
        return log_norm - math.lgamma(i + 1) - math.lgamma(n - i + 1)

    top = log_term(k)
    total = 0.0
    for i in range(k, -1, -1):
        rel = math.exp(log_term(i) - top)
        total += rel
        if rel < 1e-17 * total:
            break
    return top + math.log(total)


def mcnemar_exact(fixed: int, broken: int) -> float:
    """The exact two-sided McNemar p-value for paired right/wrong outcomes.

    `fixed` (b) counts items wrong under the baseline and right under the new mode, `broken` (c)
    the reverse. Under the null hypothesis each discordant item is equally likely to go either
    way, so this is the two-sided binomial test p = min(1, 2·P(X <= min(b, c))),
    X ~ Binomial(b + c, 1/2); 1.0 when there are no discordant pairs. It is exact (the χ²
    approximation is poor for the few discordant items a small run has): a Fraction sum of
    binomial coefficients up to EXACT_MCNEMAR_LIMIT discordant pairs, log space beyond it.
    """
    if fixed < 0 or broken < 0:
        raise ValueError(f"negative counts: fixed={fixed}, broken={broken}")
    n = fixed + broken
    k = min(fixed, broken)
    if n == 0 or 2 * k >= n:  # b == c: the tail already holds half the mass, p is 1
        return 1.0
    if n <= EXACT_MCNEMAR_LIMIT:
        term, tail = 1, 1  # C(n, 0)
        for i in range(k):
            term = term * (n - i) // (i + 1)  # C(n, i + 1), exact
            tail += term
        return float(min(Fraction(1), Fraction(2 * tail, 2**n)))
    log_p = math.log(2) + _binomial_half_tail_log(n, k)
    return 1.0 if log_p >= 0 else math.exp(log_p)


def _percentile(ordered: Sequence[float], q: float) -> float:
    """The q-quantile of sorted values by linear interpolation between closest ranks.

    The rule is NumPy's default ("type 7"): position q·(m − 1) in the 0-based sorted list.
    """
    pos = q * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _bootstrap_counts(pairs: Sequence[tuple[bool, bool]], resamples: int,
                      seed: int) -> list[tuple[int, int]]:
    """(base correct, new correct) counts of `resamples` paired resamples of the items.

    Each resample draws len(pairs) items with replacement, keeping each item's two outcomes
    together (that is what makes it paired). Only the four cell counts matter, so the items are
    rebuilt from them in a fixed order: the result depends on the counts and the seed, not on
    the order of `pairs`. For speed each item is one int, base + new·M with M > n, so a sum of
    a resample gives both counts at once.
    """
    n = len(pairs)
    counts = paired_counts(pairs)
    scale = n + 1
    codes = ([1 + scale] * counts["both_right"] + [scale] * counts["fixed"]
             + [1] * counts["broken"] + [0] * counts["both_wrong"])
    rng = random.Random(seed)
    out: list[tuple[int, int]] = []
    for _ in range(resamples):
        new, base = divmod(sum(rng.choices(codes, k=n)), scale)
        out.append((base, new))
    return out


def _check_bootstrap_args(resamples: int, level: float) -> None:
    if resamples < 1:
        raise ValueError(f"resamples={resamples} must be at least 1")
    if not 0 < level < 1:
        raise ValueError(f"level={level} must be strictly between 0 and 1")


def _interval(values: list[float], level: float) -> tuple[float, float]:
    values.sort()
    tail = (1 - level) / 2
    return _percentile(values, tail), _percentile(values, 1 - tail)


def bootstrap_relative_gain(pairs: Sequence[tuple[bool, bool]], *, resamples: int = 2000,
                            level: float = 0.95, seed: int = 0
                            ) -> tuple[float | None, float | None]:
    """A paired percentile bootstrap interval for (acc_new − acc_base) / acc_base.

    A ratio has no simple closed-form interval, and the two accuracies are correlated (same
    items), so the items are resampled with replacement (`random.Random(seed)`: the same input
    and seed give the same interval). A resample whose baseline accuracy is 0 has no relative
    gain and is skipped; if more than half are skipped, or there are no pairs, the interval is
    (None, None). Percentiles interpolate linearly between closest ranks (see `_percentile`).
    """
    _check_bootstrap_args(resamples, level)
    if not pairs:
        return None, None
    gains = [(new - base) / base for base, new in _bootstrap_counts(pairs, resamples, seed)
             if base > 0]
    if 2 * (resamples - len(gains)) > resamples:
        return None, None
    return _interval(gains, level)


def bootstrap_difference(pairs: Sequence[tuple[bool, bool]], *, resamples: int = 2000,
                         level: float = 0.95, seed: int = 0
                         ) -> tuple[float | None, float | None]:
    """A paired percentile bootstrap interval for the absolute gain acc_new − acc_base.

    Same resampling (and, for the same seed, the same resamples) as `bootstrap_relative_gain`;
    the difference is always defined, so the interval is (None, None) only when there are no
    pairs.
    """
    _check_bootstrap_args(resamples, level)
    if not pairs:
        return None, None
    n = len(pairs)
    diffs = [(new - base) / n for base, new in _bootstrap_counts(pairs, resamples, seed)]
    return _interval(diffs, level)


# -- self-consistency: majority_vote (the ensemble uses it too) lives in tot_tui.tutor.vote ---


def agreement(votes: int, k: int) -> float:
    """The share of the k samples that gave the winning answer, votes / k (a confidence cue)."""
    if k <= 0:
        raise ValueError(f"k={k} must be positive")
    if not 0 <= votes <= k:
        raise ValueError(f"votes={votes} outside 0..{k}")
    return votes / k
