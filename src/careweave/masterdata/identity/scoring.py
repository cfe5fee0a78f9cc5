"""Match weights: the evidence of each comparison level, summed as log2 Bayes factors.

A level's weight is ``log2(m / u)``: agreeing on a birth date is worth about thirteen bits, a
disagreeing one costs about six. With term frequencies, an exact name agreement is weighed by the
name's own frequency (``u`` is the share of records with that name), so SMITH counts for less than
KOWALCZYK. The prior is the chance that two records drawn at random are the same patient; the
posterior ``2**W / (1 + 2**W)`` of the summed weight ``W`` is the match probability the thresholds
of :class:`~careweave.masterdata.identity.policy.MatchPolicy` apply to.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from careweave.masterdata.identity.comparisons import BaseComparison
from careweave.masterdata.identity.records import PreparedRecord


@dataclass(frozen=True, slots=True)
class LevelWeight:
    """One comparison's part in a pair's score."""

    comparison: str
    level: str
    weight: float
    """Bits of evidence: positive for a match, negative against, zero when missing."""


class MatchModel:
    """Estimated parameters ready to score pairs.

    ``m`` and ``u`` per comparison and level (``missing`` left out); ``prior`` is the
    probability that two records picked at random are the same patient; ``frequencies`` the
    share of records holding each value, per term-frequency field (``given``, ``family``).
    """

    def __init__(
        self,
        comparisons: tuple[BaseComparison, ...],
        m: tuple[tuple[float, ...], ...],
        u: tuple[tuple[float, ...], ...],
        prior: float,
        frequencies: Mapping[str, Mapping[str, float]],
    ) -> None:
        self.comparisons = comparisons
        self.m = m
        self.u = u
        self.prior = prior
        self.frequencies = frequencies
        self._weights = tuple(
            (*(math.log2(mk / uk) for mk, uk in zip(ms, us, strict=True)), 0.0)
            for ms, us in zip(m, u, strict=True)
        )
        self._prior_weight = math.log2(prior / (1.0 - prior))

    def level_weight(self, k: int, level: int, a: PreparedRecord) -> float:
        """Weight of comparison ``k`` at ``level`` for a pair whose first record is ``a``."""
        field = self.comparisons[k].frequency_field
        if level == 0 and field is not None and field in self.frequencies:
            # The name's share in any name field: a swapped pair agrees on a family name
            # compared as a given name, and must not earn a rare given name's weight.
            value = getattr(a, field)
            share: float = max(table.get(value, 0.0) for table in self.frequencies.values())
            if share > 0.0:
                return math.log2(self.m[k][0] / share)
        return self._weights[k][level]

    def total_weight(self, vector: Sequence[int], a: PreparedRecord) -> float:
        """The prior's log2 odds plus every comparison's weight."""
        return self._prior_weight + sum(
            self.level_weight(k, level, a) for k, level in enumerate(vector)
        )

    def probability(self, vector: Sequence[int], a: PreparedRecord) -> float:
        """The match probability of a pair with comparison ``vector``."""
        weight = self.total_weight(vector, a)
        if weight > 60:
            return 1.0
        if weight < -60:
            return 0.0
        return 1.0 / (1.0 + math.exp2(-weight))

    def explain(self, vector: Sequence[int], a: PreparedRecord) -> tuple[LevelWeight, ...]:
        """Each comparison's level and weight, for the person reviewing the pair."""
        return tuple(
            LevelWeight(c.name, c.levels[level], self.level_weight(k, level, a))
            for k, (c, level) in enumerate(zip(self.comparisons, vector, strict=True))
        )

    def describe(self) -> dict[str, dict[str, dict[str, float]]]:
        """m, u and weight per comparison and level, for documentation and tuning."""
        weights = self._weights
        return {
            c.name: {
                label: {"m": self.m[k][i], "u": self.u[k][i], "weight": weights[k][i]}
                for i, label in enumerate(c.levels[:-1])
            }
            for k, c in enumerate(self.comparisons)
        }


def value_frequencies(
    records: Sequence[PreparedRecord], fields: Sequence[str]
) -> dict[str, dict[str, float]]:
    """Share of the records (that have the field) holding each value."""
    result: dict[str, dict[str, float]] = {}
    for name in fields:
        counts = Counter(v for v in (getattr(r, name) for r in records) if v)
        total = sum(counts.values())
        result[name] = {value: count / total for value, count in counts.items()}
    return result
