"""The sandbox's duplicate-patient set: reproducible, realistic, and hard where the field is."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

from careweave.masterdata.identity import COLUMNS, PatientMatcher, PatientRecord
from careweave.masterdata.identity.dates import DateAgreement, compare_dates
from careweave.masterdata.identity.nicknames import are_variants
from careweave.sandbox.identity import (
    generate_duplicate_set,
    linkage_quality,
    read_truth,
    write_duplicate_set,
)

SET = generate_duplicate_set(2000, 5)


def test_a_seed_gives_the_same_set_and_another_seed_another() -> None:
    again = generate_duplicate_set(2000, 5)
    assert again.rows == SET.rows and again.truth == SET.truth
    assert generate_duplicate_set(2000, 6).rows != SET.rows


def test_every_record_has_the_csv_columns_a_unique_id_and_a_person() -> None:
    assert all(tuple(row) == COLUMNS for row in SET.rows)
    ids = [row["id"] for row in SET.rows]
    assert len(set(ids)) == len(ids)
    assert set(SET.truth) == set(ids)
    persons = Counter(SET.truth.values())
    assert len(persons) == 2000
    duplicated = sum(1 for n in persons.values() if n > 1)
    assert 0.15 < duplicated / len(persons) < 0.3


def test_the_systems_write_their_own_formats() -> None:
    def shares(test: str) -> set[str]:
        return {row["id"][0] for row in SET.rows if test_matches(test, row)}

    def test_matches(test: str, row: dict[str, str]) -> bool:
        value = {"compact date": row["birth_date"][4:5].isdigit(),
                 "masked ssn": row["ssn"].startswith("***"),
                 "last four": len(row["ssn"]) == 4,
                 "title case": row["given"][1:2].islower()}  # fmt: skip
        return value[test]

    assert shares("compact date") == {"A"}  # the revenue-cycle platform writes YYYYMMDD
    assert shares("masked ssn") == {"P"}
    assert shares("last four") == {"A"}
    assert {"A", "P"} <= shares("title case")
    phones = {row["phone"][:1] for row in SET.rows if row["phone"]}
    assert {"(", "+"} <= phones


def test_duplicates_carry_the_errors_the_field_sees() -> None:
    records = PatientMatcher().prepare(PatientRecord.from_row(row) for row in SET.rows)
    by_person: dict[str, list[int]] = {}
    for record in records:
        by_person.setdefault(SET.truth[record.id], []).append(record.index)
    seen: Counter[str] = Counter()
    for group in by_person.values():
        for n, i in enumerate(group):
            for j in group[n + 1 :]:
                a, b = records[i], records[j]
                if a.given != b.given and a.given and b.given and are_variants(a.given, b.given):
                    seen["nickname"] += 1
                if a.given and a.given == b.family and a.family == b.given:
                    seen["swapped names"] += 1
                if a.birth_date and b.birth_date:
                    agreement = compare_dates(a.birth_date, b.birth_date)
                    seen[agreement.name] += agreement is not DateAgreement.EXACT
                if a.postcode and b.postcode and a.postcode != b.postcode:
                    seen["moved"] += 1
                if bool(a.ssn) != bool(b.ssn):
                    seen["ssn on one side only"] += 1
    for error in ("nickname", "swapped names", "TRANSPOSED", "ONE_DIGIT", "moved",
                  "ssn on one side only"):  # fmt: skip
        assert seen[error] >= 3, (error, seen)


def test_twins_and_namesakes_are_different_people_who_look_alike() -> None:
    twins = SET.twin_pairs()
    assert len(twins) >= 20
    for a, b in twins:
        assert SET.truth[a] != SET.truth[b]
    people = {p.person_id: p for p in SET.people}
    pairs = {(people[SET.truth[a]].person_id, people[SET.truth[b]].person_id) for a, b in twins}
    for one, other in pairs:
        x, y = people[one], people[other]
        assert (x.birth_date, x.family, x.home) == (y.birth_date, y.family, y.home)
        assert x.given != y.given and x.ssn != y.ssn
    johns = {p.person_id for p in SET.people if (p.given, p.family) == ("JOHN", "SMITH")}
    assert len(johns) >= 3


def test_the_set_and_its_truth_are_written_and_read_back(tmp_path: Path) -> None:
    out, truth = tmp_path / "patients.csv", tmp_path / "patients.truth.csv"
    write_duplicate_set(SET, out, truth)
    with out.open(newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == COLUMNS
        assert [dict(row) for row in reader] == SET.rows
    assert read_truth(truth) == SET.truth


def test_linkage_quality_counts_pairs_within_clusters() -> None:
    truth = {"a": "P1", "b": "P1", "c": "P1", "d": "P2", "e": "P3"}
    perfect = linkage_quality(truth, truth)
    assert (perfect.precision, perfect.recall, perfect.true_pairs) == (1.0, 1.0, 3)
    predicted = {"a": "x", "b": "x", "d": "x"}  # c unlinked; d wrongly joined
    quality = linkage_quality(predicted, truth)
    assert (quality.linked_pairs, quality.correct_pairs) == (3, 1)
    assert quality.precision == 1 / 3 and quality.recall == 1 / 3
    assert "precision 0.3333 (1/3)" in str(quality)
    assert linkage_quality({}, {"a": "P1", "b": "P2"}).precision == 1.0
