"""EM recovers known m, u and match rate; u from random pairs; random pairs are distinct."""

from __future__ import annotations

import itertools
import random
from collections import Counter

import pytest

from careweave.masterdata.identity.estimation import (
    Estimate,
    exact_agreement,
    expectation_maximisation,
    random_pairs,
    u_from_counts,
)

TRUE_M = ((0.90, 0.07, 0.03), (0.95, 0.05), (0.80, 0.10, 0.06, 0.04))
TRUE_U = ((0.02, 0.08, 0.90), (0.50, 0.50), (0.01, 0.04, 0.15, 0.80))
TRUE_RATE = 0.15
MISSING_SHARE = 0.1
"""Share of pairs whose third comparison is missing (in both classes alike)."""


def mixture(pairs: int) -> Counter[tuple[int, ...]]:
    """How many of ``pairs`` pairs have each comparison vector, in expectation, for the known
    parameters (the third comparison missing, index 4, in a tenth of them)."""
    counts: Counter[tuple[int, ...]] = Counter()
    for vector in itertools.product(range(3), range(2), range(4)):
        p_match, p_other = TRUE_RATE, 1 - TRUE_RATE
        for k, level in enumerate(vector):
            p_match *= TRUE_M[k][level]
            p_other *= TRUE_U[k][level]
        both = pairs * (p_match + p_other)
        counts[vector] += round(both * (1 - MISSING_SHARE))
        counts[(vector[0], vector[1], 4)] += round(both * MISSING_SHARE)
    return counts


def test_em_recovers_known_m_u_and_match_rate_from_a_poor_start() -> None:
    start = Estimate(
        m=((0.6, 0.2, 0.2), (0.7, 0.3), (0.5, 0.2, 0.2, 0.1)),
        u=((0.1, 0.1, 0.8), (0.4, 0.6), (0.05, 0.05, 0.2, 0.7)),
        match_rate=0.4,
    )
    fitted = expectation_maximisation(mixture(200_000), start, iterations=500, tolerance=1e-9)
    assert fitted.converged, fitted.iterations
    assert fitted.match_rate == pytest.approx(TRUE_RATE, abs=0.005)
    for got, want in zip(fitted.m, TRUE_M, strict=True):
        assert got == pytest.approx(want, abs=0.01)
    for got, want in zip(fitted.u, TRUE_U, strict=True):
        assert got == pytest.approx(want, abs=0.01)


def test_em_with_u_fixed_moves_only_m_and_the_rate() -> None:
    start = Estimate(
        m=((0.5, 0.3, 0.2), (0.6, 0.4), (0.4, 0.3, 0.2, 0.1)), u=TRUE_U, match_rate=0.5
    )
    fitted = expectation_maximisation(mixture(200_000), start, estimate_u=False, iterations=500)
    assert fitted.u == TRUE_U
    assert fitted.match_rate == pytest.approx(TRUE_RATE, abs=0.005)
    assert fitted.m[0] == pytest.approx(TRUE_M[0], abs=0.01)


def test_em_stops_at_the_iteration_limit_and_says_so() -> None:
    start = Estimate(
        m=((0.6, 0.2, 0.2), (0.7, 0.3), (0.5, 0.2, 0.2, 0.1)), u=TRUE_U, match_rate=0.4
    )
    fitted = expectation_maximisation(mixture(10_000), start, iterations=2, tolerance=0.0)
    assert fitted.iterations == 2
    assert not fitted.converged
    assert expectation_maximisation(Counter(), start) == start


def test_u_from_random_pairs_is_the_level_shares_with_a_prior_for_unseen_levels() -> None:
    counts = [Counter({0: 0, 1: 300, 2: 99_700})]
    (u,) = u_from_counts(counts, [(0.0001, 0.003, 0.9969)])
    assert u[1] == pytest.approx(0.003, rel=0.05)
    assert 0 < u[0] < 0.0001  # never seen: about its prior share, never zero
    assert sum(u) == pytest.approx(1.0)
    (with_exact,) = u_from_counts(counts, [(0.0001, 0.003, 0.9969)], [0.0002])
    assert with_exact[0] == 0.0002
    assert sum(with_exact) == pytest.approx(1.0)


def test_exact_agreement_is_the_chance_two_random_records_share_a_value() -> None:
    # 30 records with A, 20 with B, 10 with C: 30*29 + 20*19 + 10*9 of 60*59 ordered pairs.
    values = ["A"] * 30 + ["B"] * 20 + ["C"] * 10 + [""] * 5
    assert exact_agreement(values) == pytest.approx((30 * 29 + 20 * 19 + 10 * 9) / (60 * 59))
    assert exact_agreement(["A"] * 49) is None  # too few to say
    assert exact_agreement(["A"] * 100) == 0.5  # never more: a value everyone shares is no key


def test_random_pairs_are_distinct_ordered_and_all_of_them_when_few() -> None:
    pairs = random_pairs(1000, 5000, random.Random(1))
    assert len(pairs) == len(set(pairs)) == 5000
    assert all(0 <= i < j < 1000 for i, j in pairs)
    assert random_pairs(5, 100, random.Random(1)) == [
        (i, j) for i in range(5) for j in range(i + 1, 5)
    ]
    assert random_pairs(1, 10, random.Random(1)) == []
