"""The patient matcher: deterministic pass, blocking, comparison, estimation, decision, clusters.

::

    records -> normalise -> deterministic links (same full SSN + birth date + sex; same MRN from
    the same assigning authority) -> candidate pairs (blocking rules, unioned) -> comparison
    vectors -> u from random pairs, m and the match rate by EM -> match probability per pair ->
    link / review / no match (MatchPolicy) -> clusters (union-find, conflicts kept apart)
"""

from __future__ import annotations

import enum
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from careweave.masterdata.identity.blocking import (
    DEFAULT_BLOCKING_RULES,
    BlockingReport,
    BlockingRule,
    candidate_pairs,
)
from careweave.masterdata.identity.clusters import PatientClusters, cluster_links
from careweave.masterdata.identity.comparisons import BaseComparison, compare, default_comparisons
from careweave.masterdata.identity.estimation import (
    Estimate,
    exact_agreement,
    expectation_maximisation,
    random_pairs,
    u_from_counts,
)
from careweave.masterdata.identity.policy import MatchPolicy
from careweave.masterdata.identity.records import PatientRecord, PreparedRecord, prepare
from careweave.masterdata.identity.scoring import LevelWeight, MatchModel, value_frequencies

DETERMINISTIC_GROUP_LIMIT = 20
"""A deterministic key shared by more records than this is a placeholder value, not a person."""


class Decision(enum.StrEnum):
    """What happens to a scored pair."""

    LINK = "link"
    REVIEW = "review"


@dataclass(frozen=True, slots=True)
class PairDecision:
    """A pair linked or sent to review, with the evidence."""

    a: str
    b: str
    score: float
    """Match probability (1.0 for a deterministic link)."""
    decision: Decision
    reason: str
    """``same SSN, birth date and sex``, ``same identifier``, ``score``, ``guarded: given_name``
    (a guarded field disagrees), or ``conflict`` (would join records kept apart)."""
    vector: tuple[int, ...]
    first: int
    """Index of record ``a`` in the batch."""
    second: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """The judgement of one scored pair."""

    score: float
    decision: Decision | None
    """LINK, REVIEW, or None: not a match."""
    reason: str
    guarded: tuple[str, ...] = ()
    """Guarded comparisons that disagree (the pair must not join one cluster automatically)."""


@dataclass
class MatchResult:
    """Everything one matching run found."""

    records: list[PreparedRecord]
    pairs: list[PairDecision]
    """Linked and reviewed pairs, in record order."""
    clusters: list[list[int]]
    """Groups of record indices linked into one patient (two or more records)."""
    model: MatchModel
    estimate: Estimate
    candidates: int
    blocking: BlockingReport
    seconds: dict[str, float] = field(default_factory=dict)

    def review_queue(self) -> list[PairDecision]:
        """Pairs for a person to decide, most likely matches first."""
        reviews = [p for p in self.pairs if p.decision is Decision.REVIEW]
        return sorted(reviews, key=lambda p: (-p.score, p.first, p.second))

    def explain(self, pair: PairDecision) -> tuple[LevelWeight, ...]:
        """Each comparison's level and weight for ``pair``."""
        return self.model.explain(pair.vector, self.records[pair.first])

    def cluster_ids(self) -> dict[str, str]:
        """Record id -> id of the first record of its cluster (itself when unlinked)."""
        ids = {r.id: r.id for r in self.records}
        for members in self.clusters:
            first = self.records[members[0]].id
            for index in members:
                ids[self.records[index].id] = first
        return ids


class PatientMatcher:
    """Finds the records of one patient among many (see the module docstring for the steps)."""

    def __init__(
        self,
        policy: MatchPolicy | None = None,
        *,
        rules: Sequence[BlockingRule] = DEFAULT_BLOCKING_RULES,
        comparisons: Sequence[BaseComparison] | None = None,
    ) -> None:
        self.policy = policy or MatchPolicy()
        self.rules = tuple(rules)
        self.comparisons = tuple(comparisons or default_comparisons(self.policy))
        names = [c.name for c in self.comparisons]
        self._guarded = []
        for name in self.policy.review_only_when_different:
            if name in names:
                comparison = self.comparisons[names.index(name)]
                waiver = comparison.guard_waived_by
                waived_by = (
                    (names.index(waiver[0]), waiver[1]) if waiver and waiver[0] in names else None
                )
                self._guarded.append((names.index(name), comparison, waived_by))
        self._required = [names.index(n) for n in self.policy.link_needs_one_of if n in names]

    def prepare(self, records: Iterable[PatientRecord]) -> list[PreparedRecord]:
        """Normalise ``records`` (their position is their index)."""
        return [prepare(record, index) for index, record in enumerate(records)]

    def match(self, records: Iterable[PatientRecord]) -> MatchResult:
        """Match a batch of records against each other."""
        return self.match_prepared(self.prepare(records))

    def match_prepared(self, records: list[PreparedRecord]) -> MatchResult:
        """Match records already normalised by :meth:`prepare`."""
        policy = self.policy
        clock = time.perf_counter
        seconds: dict[str, float] = {}
        started = clock()
        forced = self._deterministic(records) if policy.deterministic else {}
        pairs, report = candidate_pairs(records, self.rules, max_block_size=policy.max_block_size)
        pairs.update(forced)
        seconds["blocking"] = clock() - started

        started = clock()
        close = policy.close_name_similarity
        vectors = {p: compare(records[p[0]], records[p[1]], self.comparisons, close) for p in pairs}
        seconds["comparing"] = clock() - started

        started = clock()
        training = Counter(vectors[p] for p in report.training | forced.keys())
        model, estimate = self._estimate(records, training, len(vectors))
        seconds["estimating"] = clock() - started

        started = clock()
        decided = self._decide(records, vectors, forced, model)
        clusters = [members for members in decided[1].clusters() if len(members) > 1]
        seconds["deciding"] = clock() - started
        return MatchResult(
            records=records,
            pairs=decided[0],
            clusters=clusters,
            model=model,
            estimate=estimate,
            candidates=len(pairs),
            blocking=report,
            seconds=seconds,
        )

    def _deterministic(self, records: Sequence[PreparedRecord]) -> dict[tuple[int, int], str]:
        groups: defaultdict[tuple[str, str], list[int]] = defaultdict(list)
        for r in records:
            if len(r.ssn) == 9 and r.birth_date and r.sex:
                groups["same SSN, birth date and sex", f"{r.ssn}|{r.birth_date}|{r.sex}"].append(
                    r.index
                )
            for identifier in r.identifiers:
                groups["same identifier", identifier].append(r.index)
        forced: dict[tuple[int, int], str] = {}
        for (reason, _), members in groups.items():
            if 1 < len(members) <= DETERMINISTIC_GROUP_LIMIT:
                for x, i in enumerate(members):
                    for j in members[x + 1 :]:
                        forced.setdefault((min(i, j), max(i, j)), reason)
        return forced

    def _estimate(
        self, records: Sequence[PreparedRecord], training: Counter[tuple[int, ...]], scored: int
    ) -> tuple[MatchModel, Estimate]:
        policy = self.policy
        comparisons = self.comparisons
        close = policy.close_name_similarity
        rng = random.Random(policy.seed)
        counts: list[Counter[int]] = [Counter() for _ in comparisons]
        for i, j in random_pairs(len(records), policy.u_sample_pairs, rng):
            for k, level in enumerate(compare(records[i], records[j], comparisons, close)):
                counts[k][level] += 1
        exact = [
            exact_agreement([getattr(r, c.exact_field) for r in records]) if c.exact_field else None
            for c in comparisons
        ]
        u = u_from_counts(counts, [c.u_start for c in comparisons], exact)
        start = Estimate(m=tuple(c.m_start for c in comparisons), u=u, match_rate=0.1)
        estimate = expectation_maximisation(
            training,
            start,
            estimate_u=True,
            iterations=policy.em_iterations,
            tolerance=policy.em_tolerance,
        )
        size = len(records)
        all_pairs = max(size * (size - 1) // 2, 1)
        expected = estimate.match_rate * sum(training.values())
        prior = min(max(expected / all_pairs, 1e-12), 0.5)
        frequencies = (
            value_frequencies(
                records, [c.frequency_field for c in comparisons if c.frequency_field]
            )
            if policy.term_frequency
            else {}
        )
        model = MatchModel(
            comparisons=comparisons, m=estimate.m, u=u, prior=prior, frequencies=frequencies
        )
        return model, estimate

    def judge(self, a: PreparedRecord, vector: tuple[int, ...], model: MatchModel) -> Verdict:
        """What a scored pair (first record ``a``) deserves: link, review or nothing (None).

        A guarded comparison that disagrees caps the pair at review (two of them: no match);
        without agreement on one of ``link_needs_one_of`` it is reviewed at most.
        """
        policy = self.policy
        guarded = tuple(
            comparison.name
            for k, comparison, waiver in self._guarded
            if comparison.disagreeing <= vector[k] <= comparison.different
            and (waiver is None or vector[waiver[0]] > waiver[1])
        )
        if len(guarded) >= policy.no_match_when_disagreeing:
            return Verdict(0.0, None, "guarded: " + ", ".join(guarded), guarded)
        lacking = bool(self._required) and all(
            vector[k] >= self.comparisons[k].different for k in self._required
        )
        score = model.probability(vector, a)
        if score < policy.review_threshold:
            return Verdict(score, None, "score", guarded)
        if score >= policy.link_threshold and not guarded and not lacking:
            return Verdict(score, Decision.LINK, "score", guarded)
        why = (
            f"guarded: {', '.join(guarded)}"
            if guarded
            else f"no agreement on {' or '.join(policy.link_needs_one_of)}"
            if lacking
            else "score"
        )
        return Verdict(score, Decision.REVIEW, why, guarded)

    def _decide(
        self,
        records: Sequence[PreparedRecord],
        vectors: dict[tuple[int, int], tuple[int, ...]],
        forced: dict[tuple[int, int], str],
        model: MatchModel,
    ) -> tuple[list[PairDecision], PatientClusters]:
        decided: list[PairDecision] = []
        links: list[tuple[float, int, int]] = []
        conflicts: list[tuple[int, int]] = []
        for (i, j), vector in vectors.items():
            a, b = records[i], records[j]
            reason = forced.get((i, j))
            if reason is not None:
                decided.append(PairDecision(a.id, b.id, 1.0, Decision.LINK, reason, vector, i, j))
                continue
            verdict = self.judge(a, vector, model)
            if verdict.guarded:
                conflicts.append((i, j))
            if verdict.decision is Decision.LINK:
                links.append((verdict.score, i, j))
            elif verdict.decision is Decision.REVIEW:
                decided.append(
                    PairDecision(
                        a.id, b.id, verdict.score, Decision.REVIEW, verdict.reason, vector, i, j
                    )
                )
        clusters, refused = cluster_links(len(records), sorted(forced), links, conflicts)
        refused_set = set(refused)
        for score, i, j in links:
            a, b = records[i], records[j]
            decision = Decision.REVIEW if (i, j) in refused_set else Decision.LINK
            why = "conflict" if (i, j) in refused_set else "score"
            decided.append(PairDecision(a.id, b.id, score, decision, why, vectors[i, j], i, j))
        decided.sort(key=lambda p: (p.first, p.second))
        return decided, clusters
