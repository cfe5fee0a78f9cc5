"""The duplicate-patient set: generate it, write it (records and truth), score a linkage on it."""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from careweave.sandbox.identity.population import Person, build_people
from careweave.sandbox.identity.registrations import FIELDS, SYSTEMS, Registrar

TRUTH_FIELDS = ("id", "cluster")
"""Columns of the truth file: record id, and the person it belongs to."""
SCENARIO_DAY = dt.date(2026, 12, 1)
"""Ages are counted to this day, so a seed gives the same file on any day."""
EXTRA_REGISTRATIONS = (0.78, 0.16, 0.045, 0.015)
"""Chance that a person has 0, 1, 2 or 3 registrations beyond the first."""


@dataclass(frozen=True)
class DuplicateSet:
    """Registration rows (CSV fields, shuffled) and the truth: record id -> person id."""

    rows: list[dict[str, str]]
    truth: dict[str, str]
    people: list[Person]

    def twin_pairs(self) -> list[tuple[str, str]]:
        """Every pair of records of two different twins (which must never be linked)."""
        by_person: dict[str, list[str]] = {}
        for record_id, person_id in self.truth.items():
            by_person.setdefault(person_id, []).append(record_id)
        pairs: list[tuple[str, str]] = []
        for person in self.people:
            if person.twin_of and person.person_id < person.twin_of:
                for a in by_person.get(person.person_id, ()):
                    pairs.extend((a, b) for b in by_person.get(person.twin_of, ()))
        return pairs


def generate_duplicate_set(
    people: int, seed: int, *, today: dt.date = SCENARIO_DAY
) -> DuplicateSet:
    """About ``people`` persons and their registrations (about 1.3 per person), from ``seed``."""
    rng = random.Random(seed)
    persons, towns = build_people(people, rng, seed, today)
    registrar = Registrar(rng, towns, today)
    rows: list[dict[str, str]] = []
    truth: dict[str, str] = {}
    for person in persons:
        extra = rng.choices(range(len(EXTRA_REGISTRATIONS)), weights=EXTRA_REGISTRATIONS)[0]
        systems = [rng.choices(SYSTEMS, weights=(0.7, 0.2, 0.1))[0]]
        systems += rng.choices(SYSTEMS, weights=(0.4, 0.4, 0.2), k=extra)
        for n, system in enumerate(systems):
            row = registrar.register(person, system, first=n == 0)
            rows.append(row)
            truth[row["id"]] = person.person_id
    rng.shuffle(rows)
    return DuplicateSet(rows=rows, truth=truth, people=persons)


def write_duplicate_set(duplicates: DuplicateSet, out: Path, truth: Path) -> None:
    """The records as ``out`` (the matcher's CSV format) and the truth as ``truth``."""
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(duplicates.rows)
    with truth.open("w", newline="", encoding="utf-8") as handle:
        writer_truth = csv.writer(handle, lineterminator="\n")
        writer_truth.writerow(TRUTH_FIELDS)
        writer_truth.writerows(sorted(duplicates.truth.items()))


def read_truth(path: Path) -> dict[str, str]:
    """A truth file: record id -> cluster."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["id"]: row["cluster"] for row in csv.DictReader(handle)}


@dataclass(frozen=True, slots=True)
class LinkageQuality:
    """Pairwise precision and recall of a clustering against the truth."""

    true_pairs: int
    """Pairs of records of one person."""
    linked_pairs: int
    """Pairs of records put in one cluster (directly linked or through others)."""
    correct_pairs: int

    @property
    def precision(self) -> float:
        """Share of linked pairs that are one person (1.0 when nothing is linked)."""
        return self.correct_pairs / self.linked_pairs if self.linked_pairs else 1.0

    @property
    def recall(self) -> float:
        """Share of one person's pairs that are linked (1.0 when there are none)."""
        return self.correct_pairs / self.true_pairs if self.true_pairs else 1.0

    def __str__(self) -> str:
        return (
            f"precision {self.precision:.4f} ({self.correct_pairs}/{self.linked_pairs}), "
            f"recall {self.recall:.4f} ({self.correct_pairs}/{self.true_pairs})"
        )


def linkage_quality(predicted: Mapping[str, str], truth: Mapping[str, str]) -> LinkageQuality:
    """Compare cluster labels (record id -> label; every record of ``truth``) with the truth."""

    def pairs(counts: Counter[object]) -> int:
        return sum(n * (n - 1) // 2 for n in counts.values())

    return LinkageQuality(
        true_pairs=pairs(Counter(truth.values())),
        linked_pairs=pairs(Counter(predicted.get(r, r) for r in truth)),
        correct_pairs=pairs(Counter((predicted.get(r, r), c) for r, c in truth.items())),
    )
