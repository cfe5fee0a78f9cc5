"""Blocking: which record pairs are compared at all.

Comparing every pair is quadratic (fifty billion pairs for a million records). A blocking rule
gives each record one or more keys, and only records sharing a key are compared; several rules
are unioned, so a pair that a typo hides from one rule is found by another (Splink's and
recordlinkage's approach). Keys are fine-grained (a full birth date with a phonetic name, a phone
number) so blocks stay small; a block larger than ``max_block_size`` is skipped for its rule and
reported, which keeps the candidate pairs roughly linear in the number of records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from careweave.masterdata.identity.names import soundex
from careweave.masterdata.identity.records import PreparedRecord


@dataclass(frozen=True, slots=True)
class BlockingRule:
    """A named function from a record to its blocking keys (none when it lacks the fields)."""

    name: str
    keys: Callable[[PreparedRecord], Iterable[str]]
    trains: bool = True
    """Whether its pairs teach the EM what a match looks like. A rule that pairs households (a
    shared phone) would teach it that a family is one person: its pairs are scored, not learnt
    from."""
    max_block_size: int | None = None
    """A tighter cap than the policy's, for a coarse rule that only rescues rare names."""


@dataclass(slots=True)
class BlockingReport:
    """What the rules produced: candidate pairs per rule (new ones only) and skipped blocks."""

    training: set[tuple[int, int]] = field(default_factory=set)
    """The pairs of rules that train the EM."""
    pairs_by_rule: dict[str, int] = field(default_factory=dict)
    skipped_blocks: dict[str, int] = field(default_factory=dict)
    skipped_records: dict[str, int] = field(default_factory=dict)


def _date_digits(record: PreparedRecord) -> str:
    """The birth date's digits sorted: the same after a day/month swap or a transposition."""
    return "".join(sorted(record.birth_date))


def _year_digits(record: PreparedRecord) -> str:
    return "".join(sorted(record.birth_date[:4]))


def _name_sounds(record: PreparedRecord) -> set[str]:
    return {soundex(t) for t in (record.given, *record.family_tokens) if t}


def _given_sounds(record: PreparedRecord) -> set[str]:
    return {soundex(g) for g in (record.given, *record.given_groups)}


def _date_and_name(record: PreparedRecord) -> Iterable[str]:
    if record.birth_date:
        for sound in _name_sounds(record):
            yield f"{_date_digits(record)}|{sound}"


def _name_pairs(record: PreparedRecord) -> Iterable[str]:
    """Given and family sounds, in sorted order (so swapped names give the same key)."""
    if record.given and record.family_tokens:
        family = soundex(record.family_tokens[0])
        for given in _given_sounds(record):
            low, high = sorted((given, family))
            yield f"{low}|{high}"


def _names(record: PreparedRecord) -> Iterable[str]:
    return _name_pairs(record)


def _names_and_year(record: PreparedRecord) -> Iterable[str]:
    if record.birth_date:
        for names in _name_pairs(record):
            yield f"{names}|{_year_digits(record)}"


def _names_and_day(record: PreparedRecord) -> Iterable[str]:
    if record.birth_date:
        for names in _name_pairs(record):
            yield f"{names}|{''.join(sorted(record.birth_date[4:]))}"


def _phone(record: PreparedRecord) -> Iterable[str]:
    if record.phone:
        yield record.phone


def _ssn_and_year(record: PreparedRecord) -> Iterable[str]:
    if record.ssn and record.birth_date:
        yield f"{record.ssn4}|{_year_digits(record)}"


def _date_and_postcode(record: PreparedRecord) -> Iterable[str]:
    if record.birth_date and record.postcode:
        yield f"{record.birth_date}|{record.postcode}"


DEFAULT_BLOCKING_RULES: tuple[BlockingRule, ...] = (
    BlockingRule("birth_digits+name_sound", _date_and_name),
    BlockingRule("names_sound+year_digits", _names_and_year),
    BlockingRule("names_sound+month_day_digits", _names_and_day),
    BlockingRule("names_sound", _names, max_block_size=50),
    BlockingRule("phone", _phone, trains=False),
    BlockingRule("ssn4+year_digits", _ssn_and_year),
    BlockingRule("birth_date+postcode", _date_and_postcode),
)
"""The default rules: each keeps the pairs that the others' typical errors would lose."""


def candidate_pairs(
    records: Sequence[PreparedRecord],
    rules: Sequence[BlockingRule] = DEFAULT_BLOCKING_RULES,
    *,
    max_block_size: int = 1000,
) -> tuple[set[tuple[int, int]], BlockingReport]:
    """The union of the rules' pairs ``(i, j)`` (record indices, ``i < j``), and a report (whose
    ``training`` holds the pairs of the rules that train)."""
    report = BlockingReport()
    others: set[tuple[int, int]] = set()
    for rule in rules:
        found = report.training if rule.trains else others
        blocks: defaultdict[str, list[int]] = defaultdict(list)
        for record in records:
            for key in set(rule.keys(record)):
                blocks[key].append(record.index)
        added = skipped = skipped_records = 0
        cap = min(max_block_size, rule.max_block_size or max_block_size)
        for members in blocks.values():
            size = len(members)
            if size < 2:
                continue
            if size > cap:
                skipped += 1
                skipped_records += size
                continue
            for x in range(size):
                i = members[x]
                for y in range(x + 1, size):
                    pair = (i, members[y])
                    if pair not in report.training and pair not in others:
                        found.add(pair)
                        added += 1
        report.pairs_by_rule[rule.name] = added
        report.skipped_blocks[rule.name] = skipped
        report.skipped_records[rule.name] = skipped_records
    return report.training | others, report
