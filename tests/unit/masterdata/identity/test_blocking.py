"""Blocking keeps the true pairs of the sandbox set and few others, and caps big blocks."""

from __future__ import annotations

from careweave.masterdata.identity import (
    DEFAULT_BLOCKING_RULES,
    BlockingRule,
    PatientMatcher,
    PatientRecord,
    candidate_pairs,
)
from careweave.masterdata.identity.records import PreparedRecord
from careweave.sandbox.identity import generate_duplicate_set


def sandbox_records(people: int, seed: int) -> tuple[list[PreparedRecord], set[tuple[int, int]]]:
    """The sandbox set, prepared, and its true pairs (record indices)."""
    duplicates = generate_duplicate_set(people, seed)
    records = PatientMatcher().prepare(PatientRecord.from_row(row) for row in duplicates.rows)
    by_person: dict[str, list[int]] = {}
    for record in records:
        by_person.setdefault(duplicates.truth[record.id], []).append(record.index)
    true = {
        (a, b) for group in by_person.values() for n, a in enumerate(group) for b in group[n + 1 :]
    }
    return records, true


def test_the_rules_keep_99_percent_of_the_true_pairs_of_the_sandbox_set() -> None:
    for seed in (11, 12):
        records, true = sandbox_records(3000, seed)
        pairs, report = candidate_pairs(records)
        kept = len(true & pairs)
        assert kept / len(true) >= 0.99, (seed, kept, len(true))
        assert len(pairs) < 2 * len(records), (len(pairs), report.pairs_by_rule)
        assert report.training <= pairs


def test_each_rule_finds_true_pairs_the_others_miss_or_finds_them_cheaply() -> None:
    records, true = sandbox_records(3000, 13)
    everything, _ = candidate_pairs(records)
    for rule in DEFAULT_BLOCKING_RULES:
        alone, _ = candidate_pairs(records, [rule])
        assert true & alone, rule.name
    phone = next(rule for rule in DEFAULT_BLOCKING_RULES if rule.name == "phone")
    assert not phone.trains  # households share phones: scored, not learnt from
    assert everything == candidate_pairs(records, list(reversed(DEFAULT_BLOCKING_RULES)))[0]


def test_candidate_pairs_grow_about_linearly_with_the_file() -> None:
    small, _ = sandbox_records(1500, 14)
    large, _ = sandbox_records(6000, 14)
    per_small = len(candidate_pairs(small)[0]) / len(small)
    per_large = len(candidate_pairs(large)[0]) / len(large)
    assert per_large < 1.6 * per_small, (per_small, per_large)


def test_a_block_bigger_than_the_cap_is_skipped_and_reported() -> None:
    records = PatientMatcher().prepare(
        PatientRecord(id=str(n), given="John", family="Smith", birth_date="1970-01-01")
        for n in range(12)
    )
    by_date = BlockingRule("birth_date", lambda r: [r.birth_date])
    pairs, report = candidate_pairs(records, [by_date], max_block_size=10)
    assert not pairs
    assert report.skipped_blocks == {"birth_date": 1}
    assert report.skipped_records == {"birth_date": 12}
    pairs, _ = candidate_pairs(records, [by_date], max_block_size=12)
    assert len(pairs) == 66
    tight = BlockingRule("birth_date", lambda r: [r.birth_date], max_block_size=5)
    assert not candidate_pairs(records, [tight], max_block_size=1000)[0]
