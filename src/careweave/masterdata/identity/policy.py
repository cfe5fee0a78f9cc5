"""The patient matcher's tunable parameters, as one documented dataclass."""

from __future__ import annotations

from dataclasses import dataclass

from careweave.exceptions import ConfigError

GUARDED_FIELDS = ("given_name", "birth_date", "sex", "ssn")
"""Fields whose outright disagreement keeps a pair from being linked automatically."""


@dataclass(frozen=True, slots=True)
class MatchPolicy:
    """How the patient matcher decides: thresholds, guards, similarity cut-offs, estimation.

    Thresholds are match probabilities (the Fellegi-Sunter posterior, after the prior that two
    records in the file are the same person): a pair at or above ``link_threshold`` is linked, at
    or above ``review_threshold`` goes to the review queue, below is not a match.
    """

    link_threshold: float = 0.99
    """Match probability at or above which a pair is linked without a person looking."""
    review_threshold: float = 0.5
    """Match probability at or above which a pair not linked goes to the review queue."""
    review_only_when_different: tuple[str, ...] = GUARDED_FIELDS
    """Comparisons at whose ``different`` level a pair is reviewed at most, whatever its score.

    Twins agree on everything but the given name (and the SSN, and often the sex: MARK and
    MARIA are close names); a father and his junior on everything but the birth date: the
    evidence of a shared household outweighs one disagreement in a weights-only model, so a
    person decides those."""
    no_match_when_disagreeing: int = 2
    """A pair on which this many of the guarded comparisons disagree is no match, not even a
    review: siblings share a family name, a home and a phone, and differ in given name and birth
    date, which a duplicate registration almost never does both."""
    link_needs_one_of: tuple[str, ...] = ("birth_date", "ssn")
    """A pair is linked automatically only if one of these comparisons agrees, at least partly:
    without a birth date or an SSN, a father and his junior at one address have the same name,
    home and phone."""
    close_name_similarity: float = 0.92
    """Jaro-Winkler similarity at or above which two names are ``close`` (typo level)."""
    similar_name_similarity: float = 0.82
    """Jaro-Winkler similarity at or above which two names are ``similar``."""
    address_similarity: float = 0.90
    """Jaro-Winkler similarity of street lines with the same house number that count as one."""
    term_frequency: bool = True
    """Weigh an exact name agreement by the name's frequency: JOHN SMITH proves less than
    ZBIGNIEW KOWALCZYK."""
    deterministic: bool = True
    """Link without scoring: same full SSN, birth date and sex; same identifier from the same
    assigning authority."""
    max_block_size: int = 1000
    """Blocks (records sharing one blocking key) larger than this are skipped for that rule: the
    other rules still pair their records, and candidate pairs stay roughly linear in the file."""
    u_sample_pairs: int = 10_000
    """Random record pairs compared to estimate u (nearly all are non-matches)."""
    em_iterations: int = 100
    """Most expectation-maximisation rounds for m and the match rate."""
    em_tolerance: float = 1e-6
    """EM stops when no parameter moves by more than this."""
    seed: int = 0
    """Seed of the random pairs for u: the same file gives the same answer."""

    def __post_init__(self) -> None:
        if not 0.0 < self.review_threshold <= self.link_threshold <= 1.0:
            raise ConfigError(
                f"thresholds must satisfy 0 < review ({self.review_threshold}) "
                f"<= link ({self.link_threshold}) <= 1"
            )
        unknown = {*self.review_only_when_different, *self.link_needs_one_of} - {
            "given_name", "family_name", "birth_date", "sex", "contact", "address", "phone", "ssn"
        }  # fmt: skip
        if unknown:
            raise ConfigError(f"no comparison is named {', '.join(sorted(unknown))}")
        for name in ("close_name_similarity", "similar_name_similarity", "address_similarity"):
            if not 0.0 < getattr(self, name) <= 1.0:
                raise ConfigError(f"{name} must be in (0, 1]")
        if self.no_match_when_disagreeing < 1:
            raise ConfigError("no_match_when_disagreeing must be at least 1")
        if self.max_block_size < 2 or self.u_sample_pairs < 1 or self.em_iterations < 1:
            raise ConfigError("max_block_size >= 2, u_sample_pairs >= 1, em_iterations >= 1")
