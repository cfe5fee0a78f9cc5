"""m and u, the Fellegi-Sunter parameters, estimated from the data themselves.

u (how often non-matches fall into each level) comes from random record pairs, almost all of them
non-matches, as Splink does. m (how often true matches do) and the share of matches among the
candidate pairs come from expectation-maximisation over the candidate pairs' comparison vectors,
as recordlinkage's ECM classifier and Splink do: the E step gives each distinct vector the
probability that it is a match, the M step recounts the levels with those probabilities. A weak
Dirichlet prior (the comparison's starting values, worth a few pairs) keeps a level that never
occurs from getting a zero, which would make its weight infinite.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

PRIOR_PAIRS = 2.0
"""How many pairs' worth of evidence the starting m values count for in the EM."""
U_PRIOR_PAIRS = 1000.0
"""How many random pairs' worth the starting u values count for: a level too rare to be seen in
the sample keeps about its starting u instead of a near-zero one (an enormous weight)."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """Parameters of the two-class mixture: m and u per comparison and level (the ``missing``
    level left out), and the share of matches."""

    m: tuple[tuple[float, ...], ...]
    u: tuple[tuple[float, ...], ...]
    match_rate: float
    iterations: int = 0
    converged: bool = True


def expectation_maximisation(
    vectors: Mapping[tuple[int, ...], int],
    start: Estimate,
    *,
    estimate_u: bool = True,
    iterations: int = 100,
    tolerance: float = 1e-6,
) -> Estimate:
    """Fit m (and u, unless ``estimate_u`` is false) and the match rate to counted vectors.

    ``vectors`` maps each comparison vector (a level index per comparison, where the index one
    past the last of ``start.m[k]`` means missing) to how many pairs have it.
    """
    items = list(vectors.items())
    total = sum(vectors.values())
    if not total:
        return start
    m = [list(levels) for levels in start.m]
    u = [list(levels) for levels in start.u]
    rate = min(max(start.match_rate, 1e-6), 1 - 1e-6)
    m_prior = [[PRIOR_PAIRS * p for p in levels] for levels in start.m]
    u_prior = [[PRIOR_PAIRS * p for p in levels] for levels in start.u]
    done = 0
    converged = False
    while done < iterations:
        done += 1
        m_counts = [list(prior) for prior in m_prior]
        u_counts = [list(prior) for prior in u_prior]
        matched = 0.0
        for vector, count in items:
            p_match, p_other = rate, 1.0 - rate
            for k, level in enumerate(vector):
                if level < len(m[k]):
                    p_match *= m[k][level]
                    p_other *= u[k][level]
            share = p_match / (p_match + p_other) if p_match + p_other > 0 else 0.0
            matched += share * count
            for k, level in enumerate(vector):
                if level < len(m[k]):
                    m_counts[k][level] += share * count
                    u_counts[k][level] += (1.0 - share) * count
        new_m = [_normalise(counts) for counts in m_counts]
        new_u = [_normalise(counts) for counts in u_counts] if estimate_u else u
        new_rate = min(max(matched / total, 1e-9), 1 - 1e-9)
        change = max(
            abs(new_rate - rate),
            *(abs(x - y) for a, b in zip(new_m, m, strict=True) for x, y in zip(a, b, strict=True)),
            *(abs(x - y) for a, b in zip(new_u, u, strict=True) for x, y in zip(a, b, strict=True)),
        )
        m, u, rate = new_m, new_u, new_rate
        if change < tolerance:
            converged = True
            break
    return Estimate(
        m=tuple(tuple(levels) for levels in m),
        u=tuple(tuple(levels) for levels in u),
        match_rate=rate,
        iterations=done,
        converged=converged,
    )


def u_from_counts(
    counts: Sequence[Counter[int]],
    start: Sequence[Sequence[float]],
    exact: Sequence[float | None] = (),
) -> tuple[tuple[float, ...], ...]:
    """u per comparison from level counts over random pairs, with the starting values as prior.

    ``exact[k]``, when given, is comparison ``k``'s u at the ``exact`` level computed from value
    counts (:func:`exact_agreement`); the other levels share the rest as the sample says.
    """
    estimates = []
    for k, prior in enumerate(start):
        u = _normalise([counts[k][level] + U_PRIOR_PAIRS * p for level, p in enumerate(prior)])
        known = exact[k] if k < len(exact) else None
        if known is not None:
            rest = sum(u[1:])
            u = [known] + [value * (1.0 - known) / rest for value in u[1:]]
        estimates.append(tuple(u))
    return tuple(estimates)


EXACT_AGREEMENT_RECORDS = 50
"""Fewer records with a value than this say little about its frequencies: the sample decides."""


def exact_agreement(values: Sequence[str]) -> float | None:
    """Chance that two records drawn at random (both with a value) have the same value; None
    when fewer than :data:`EXACT_AGREEMENT_RECORDS` records have one."""
    counts = Counter(v for v in values if v)
    size = sum(counts.values())
    if size < EXACT_AGREEMENT_RECORDS:
        return None
    agreeing = sum(c * (c - 1) for c in counts.values())
    return min(max(agreeing / (size * (size - 1)), 1.0 / (size * size)), 0.5)


def random_pairs(size: int, wanted: int, rng: random.Random) -> list[tuple[int, int]]:
    """``wanted`` distinct random pairs ``(i, j)``, ``i < j``, of ``size`` records (every pair
    when there are no more than that)."""
    if size < 2:
        return []
    possible = size * (size - 1) // 2
    if possible <= wanted:
        return [(i, j) for i in range(size) for j in range(i + 1, size)]
    chosen: set[tuple[int, int]] = set()
    while len(chosen) < wanted:
        i, j = rng.randrange(size), rng.randrange(size)
        if i != j:
            chosen.add((i, j) if i < j else (j, i))
    return sorted(chosen)


def _normalise(values: Sequence[float]) -> list[float]:
    total = sum(values)
    return [v / total for v in values] if total > 0 else [1.0 / len(values)] * len(values)
