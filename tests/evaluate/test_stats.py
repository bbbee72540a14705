"""Paired statistics: McNemar's exact test, the paired bootstrap, majority voting."""

from __future__ import annotations

import math
from fractions import Fraction
from itertools import pairwise

import pytest

from tot_tui.evaluate import stats
from tot_tui.evaluate.stats import (
    agreement,
    bootstrap_difference,
    bootstrap_relative_gain,
    majority_vote,
    mcnemar_exact,
    paired_counts,
)


def exact_two_sided(b: int, c: int) -> Fraction:
    """The reference: min(1, 2·Σ_{i≤min(b,c)} C(n, i) / 2^n), each coefficient from math.comb."""
    n = b + c
    if n == 0:
        return Fraction(1)
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1))
    return min(Fraction(1), Fraction(2 * tail, 2**n))


def pairs_of(both_right: int, fixed: int, broken: int, both_wrong: int
             ) -> list[tuple[bool, bool]]:
    return ([(True, True)] * both_right + [(False, True)] * fixed
            + [(True, False)] * broken + [(False, False)] * both_wrong)


# -- McNemar ----------------------------------------------------------------------------------


def test_mcnemar_known_values():
    assert mcnemar_exact(0, 10) == 0.001953125 == 2 / 2**10
    # b=3, c=11: 2·(1 + 14 + 91 + 364) / 2^14 = 940/16384 = 235/4096
    assert exact_two_sided(3, 11) == Fraction(235, 4096)
    assert mcnemar_exact(3, 11) == 235 / 4096 == 0.057373046875
    assert mcnemar_exact(0, 0) == 1.0
    for b in (1, 5, 40, 1500, 30_000):
        assert mcnemar_exact(b, b) == 1.0
    assert mcnemar_exact(0, 1) == 1.0  # 2·(1/2) = 1
    assert mcnemar_exact(1, 2) == 1.0  # 2·(1 + 3)/8 = 1, capped
    assert mcnemar_exact(0, 5) == 1 / 16


@pytest.mark.parametrize("b,c", [(0, 1), (2, 9), (7, 20), (13, 13), (40, 60), (100, 150),
                                 (480, 520), (900, 1100), (3, 1997)])
def test_mcnemar_matches_exact_sum(b, c):
    assert mcnemar_exact(b, c) == float(exact_two_sided(b, c))


def test_mcnemar_is_symmetric():
    for b, c in [(0, 7), (3, 11), (60, 45), (1200, 1000), (2600, 2400), (51_000, 49_000)]:
        assert mcnemar_exact(b, c) == mcnemar_exact(c, b)


def test_mcnemar_is_monotone_in_the_imbalance():
    # With n = b + c fixed, a more lopsided split is stronger evidence: p never rises.
    for n in (30, 2500):
        ps = [mcnemar_exact(b, n - b) for b in range(n // 2 + 1)]
        assert all(p1 <= p2 for p1, p2 in pairwise(ps))
        assert ps[-1] == 1.0
    # With the smaller count fixed, more on the other side lowers p.
    ps = [mcnemar_exact(5, c) for c in range(5, 60)]
    assert all(p1 >= p2 for p1, p2 in pairwise(ps))


# The reference (one math.comb per term) is slow past a few thousand pairs, so these stay near
# the limit; larger n is checked against the normal approximation below.
@pytest.mark.parametrize("b,c", [(1000, 1001), (1000, 1150), (1300, 1500), (2000, 40)])
def test_mcnemar_log_space_beyond_the_exact_limit(b, c):
    assert b + c > stats.EXACT_MCNEMAR_LIMIT
    expected = float(exact_two_sided(b, c))
    assert mcnemar_exact(b, c) == pytest.approx(expected, rel=1e-9, abs=1e-300)


def test_mcnemar_across_the_switch_to_log_space():
    limit = stats.EXACT_MCNEMAR_LIMIT
    below = mcnemar_exact(950, limit - 950)
    above = mcnemar_exact(950, limit + 1 - 950)
    assert below == float(exact_two_sided(950, limit - 950))
    assert above == pytest.approx(float(exact_two_sided(950, limit + 1 - 950)), rel=1e-9)
    assert above < below


def test_mcnemar_large_n_no_overflow():
    for b, c in [(50_000, 50_000), (49_999, 50_001), (49_000, 51_000), (49_800, 50_200),
                 (0, 100_000), (1, 99_999), (30_000, 70_000)]:
        p = mcnemar_exact(b, c)
        assert 0.0 <= p <= 1.0 and math.isfinite(p)
    assert mcnemar_exact(50_000, 50_000) == 1.0
    assert mcnemar_exact(49_999, 50_001) == pytest.approx(1.0, abs=0.01)
    assert mcnemar_exact(0, 100_000) == 0.0  # 2^-99999 underflows to 0, as it should
    # 49,000 vs 51,000 is about 6.3 standard deviations: p ≈ 2.6e-10 (normal approx 2.5e-10).
    assert 1e-10 < mcnemar_exact(49_000, 51_000) < 5e-10
    # Normal approximation with continuity correction for a milder split.
    z = (50_200 - 49_800 - 1) / math.sqrt(100_000)
    assert mcnemar_exact(49_800, 50_200) == pytest.approx(math.erfc(z / math.sqrt(2)), rel=0.01)


def test_mcnemar_rejects_negative_counts():
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 3)


# -- paired counts ----------------------------------------------------------------------------


def test_paired_counts():
    pairs = pairs_of(4, 3, 2, 1)[::-1]
    assert paired_counts(pairs) == {"both_right": 4, "fixed": 3, "broken": 2, "both_wrong": 1}
    assert paired_counts([]) == {"both_right": 0, "fixed": 0, "broken": 0, "both_wrong": 0}
    assert list(paired_counts([])) == ["both_right", "fixed", "broken", "both_wrong"]


# -- bootstrap --------------------------------------------------------------------------------


def test_bootstrap_is_deterministic_for_a_seed():
    pairs = pairs_of(150, 60, 20, 70)
    first = bootstrap_relative_gain(pairs, seed=7)
    assert bootstrap_relative_gain(pairs, seed=7) == first
    assert bootstrap_relative_gain(pairs[::-1], seed=7) == first  # only the counts matter
    assert bootstrap_relative_gain(pairs, seed=8) != first
    assert bootstrap_difference(pairs, seed=7) == bootstrap_difference(pairs, seed=7)


def test_bootstrap_interval_contains_the_estimate():
    pairs = pairs_of(150, 60, 20, 70)  # base 170/300, new 210/300
    gain = (210 - 170) / 170
    low, high = bootstrap_relative_gain(pairs)
    assert low is not None and high is not None
    assert 0 < low < gain < high  # a clear improvement: the interval excludes 0
    dlow, dhigh = bootstrap_difference(pairs)
    assert dlow is not None and dhigh is not None
    assert 0 < dlow < 40 / 300 < dhigh
    # The paired standard error of the difference is √((b + c) − (b − c)²/n)/n ≈ 0.0249;
    # the 95% interval should be about ±1.96 of it.
    se = math.sqrt(80 - 40**2 / 300) / 300
    assert dhigh - dlow == pytest.approx(2 * stats.Z95 * se, rel=0.15)


def test_bootstrap_level_widens_the_interval():
    pairs = pairs_of(100, 30, 25, 45)
    low90, high90 = bootstrap_difference(pairs, level=0.90)
    low99, high99 = bootstrap_difference(pairs, level=0.99)
    assert low90 is not None and high90 is not None and low99 is not None and high99 is not None
    assert low99 < low90 < high90 < high99


def test_bootstrap_no_change_is_a_point():
    pairs = pairs_of(40, 0, 0, 10)
    assert bootstrap_difference(pairs) == (0.0, 0.0)
    assert bootstrap_relative_gain(pairs) == (0.0, 0.0)


def test_bootstrap_without_a_baseline():
    always_zero = pairs_of(0, 5, 0, 20)
    assert bootstrap_relative_gain(always_zero) == (None, None)
    low, high = bootstrap_difference(always_zero)
    assert low is not None and high is not None and 0 < low <= 5 / 25 <= high
    assert bootstrap_relative_gain([]) == (None, None)
    assert bootstrap_difference([]) == (None, None)


def test_bootstrap_skips_more_than_half_undefined():
    # One base-right item in n: a resample misses it with probability (1 − 1/n)^n < 1/e < 1/2,
    # so most resamples count and there is an interval.
    for n in (2, 3, 10, 50):
        assert bootstrap_relative_gain(pairs_of(0, 0, 1, n - 1)) != (None, None)
    # With resamples=1, a single draw that misses it is "more than half skipped".
    results = {bootstrap_relative_gain(pairs_of(0, 0, 1, 9), resamples=1, seed=s)
               for s in range(40)}
    assert (None, None) in results and len(results) > 1


def test_bootstrap_percentile_rule():
    assert stats._percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert stats._percentile([1.0, 2.0, 3.0, 4.0], 0.0) == 1.0
    assert stats._percentile([1.0, 2.0, 3.0, 4.0], 1.0) == 4.0
    assert stats._percentile([0.0, 10.0], 0.975) == pytest.approx(9.75)
    assert stats._percentile([5.0], 0.025) == 5.0


def test_bootstrap_rejects_bad_arguments():
    with pytest.raises(ValueError):
        bootstrap_relative_gain(pairs_of(1, 1, 1, 1), resamples=0)
    with pytest.raises(ValueError):
        bootstrap_difference(pairs_of(1, 1, 1, 1), level=1.0)


# -- majority vote ----------------------------------------------------------------------------


def exact(a: str, b: str) -> bool:
    return a == b


def same_number(a: str, b: str) -> bool:
    return Fraction(a) == Fraction(b)


def test_majority_vote_plain():
    assert majority_vote(["3", "4", "3", "5", "3"], exact) == ("3", 3)
    assert majority_vote(["7"], exact) == ("7", 1)


def test_majority_vote_ties_go_to_the_earliest_group():
    assert majority_vote(["a", "b", "b", "a"], exact) == ("a", 2)
    assert majority_vote(["b", "a", "a", "b"], exact) == ("b", 2)
    assert majority_vote([None, "c", "d", "d", "c", "e"], exact) == ("c", 2)
    assert majority_vote(["x", "y", "z"], exact) == ("x", 1)


def test_majority_vote_groups_by_the_equivalence():
    answers = ["1/3", "0.5", "2/6", "1/2", "0.50"]
    assert majority_vote(answers, same_number) == ("0.5", 3)
    assert majority_vote(answers, exact) == ("1/3", 1)
    assert majority_vote(["0.5", "1/3", "1/2"], lambda a, b: {a, b} <= {"0.5", "1/2"} or a == b
                         ) == ("0.5", 2)


def test_majority_vote_none_never_wins():
    assert majority_vote([None, None, "4", None], exact) == ("4", 1)
    assert majority_vote([None, None], exact) == (None, 0)
    assert majority_vote([], exact) == (None, 0)


def test_majority_vote_compares_with_the_representative():
    calls: list[tuple[str, str]] = []

    def spy(a: str, b: str) -> bool:
        calls.append((a, b))
        return a == b

    majority_vote(["p", "q", "p"], spy)
    assert calls == [("p", "q"), ("p", "p")]


def test_agreement():
    assert agreement(3, 5) == 0.6
    assert agreement(0, 4) == 0.0
    _, votes = majority_vote(["1", "1", "2", "1"], exact)
    assert agreement(votes, 4) == 0.75
    with pytest.raises(ValueError):
        agreement(1, 0)
    with pytest.raises(ValueError):
        agreement(5, 4)
