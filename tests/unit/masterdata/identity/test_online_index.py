"""The online patient index: registrations one at a time, merges, unmerges, identifier changes.

The quality check runs the sandbox's duplicate-patient set (desk typos, nicknames, transposed
dates, twins, households) through the index one registration at a time and scores the persons it
formed against the generator's truth with the same pairwise measure as ``careweave mpi match``.
"""

from __future__ import annotations

import datetime as dt

from careweave.masterdata.identity.online import PatientIndex, open_reviews
from careweave.masterdata.identity.records import PatientRecord
from careweave.model.identity import (
    Address,
    AdministrativeSex,
    Identifier,
    PatientIdentity,
    PersonName,
)
from careweave.model.state import InMemoryState, StateTable
from careweave.sandbox.identity import generate_duplicate_set
from careweave.sandbox.identity.dataset import linkage_quality


def _identity(
    mrn: str,
    authority: str,
    given: str,
    family: str,
    born: dt.date,
    sex: AdministrativeSex = AdministrativeSex.FEMALE,
    street: str = "12 ELM ST",
) -> PatientIdentity:
    return PatientIdentity(
        identifiers=(Identifier(value=mrn, system=authority, type="MR"),),
        names=(PersonName(family=family, given=(given,)),),
        birth_date=born,
        sex=sex,
        addresses=(Address(lines=(street,), city="OSHKOSH", postal_code="54901"),),
    )


BORN = dt.date(1970, 3, 14)


def test_the_same_patient_at_another_desk_is_linked_and_a_known_mrn_is_the_same_record() -> None:
    index = PatientIndex(InMemoryState())
    first = index.register(_identity("E100", "EPIC", "JANE", "DOE", BORN))
    assert first is not None and first.how == "new"
    # The clinic's system: another MRN, a nickname-free typo in the street, the same person.
    second = index.register(_identity("P7", "RBPG", "JANE", "DOE", BORN, street="12 ELM STREET"))
    assert second is not None and second.how == "linked"
    assert second.person_id == first.person_id and second.linked_to == "EPIC|E100"
    assert second.score is not None and second.score >= 0.99
    again = index.register(_identity("E100", "EPIC", "JANE", "DOE", BORN, street="40 OAK AVE"))
    assert again is not None and (again.how, again.person_id) == ("known", first.person_id)
    stored = index.record("EPIC|E100")
    assert stored is not None and stored.address == "40 OAK AVE"  # demographics refreshed


def test_a_twin_is_a_person_of_her_own_and_the_pair_goes_to_review() -> None:
    index = PatientIndex(InMemoryState())
    jane = index.register(_identity("E100", "EPIC", "JANE", "DOE", BORN))
    june = index.register(_identity("E101", "EPIC", "EMILY", "DOE", BORN))
    assert jane is not None and june is not None
    assert june.how == "new" and june.person_id != jane.person_id
    [review] = june.reviews
    assert (review.a, review.b) == ("EPIC|E101", "EPIC|E100")
    assert review.reason.startswith("guarded")


def test_a_merge_joins_two_persons_and_an_unmerge_separates_them_again() -> None:
    state = InMemoryState()
    index = PatientIndex(state)
    a = index.register(_identity("E1", "EPIC", "ANN", "LEE", BORN))
    b = index.register(_identity("C9", "CERNER", "ROBERT", "KING", dt.date(1950, 1, 2)))
    assert a is not None and b is not None and a.person_id != b.person_id
    assert index.merge(a.person_id, b.person_id, "A40 MSG1")
    assert index.person_of("CERNER|C9") == a.person_id
    assert not index.merge(a.person_id, b.person_id, "A40 MSG1")  # already one person
    assert index.unmerge(b.person_id) == a.person_id
    assert index.person_of("CERNER|C9") == b.person_id
    assert index.person_of("EPIC|E1") == a.person_id
    survivor = index.person(a.person_id)
    assert survivor is not None and survivor.records == ["EPIC|E1"] and survivor.merged == []


def test_a47_points_the_old_identifier_s_record_at_the_new_one() -> None:
    index = PatientIndex(InMemoryState())
    first = index.register(_identity("E1", "EPIC", "ANN", "LEE", BORN))
    assert first is not None
    corrected = _identity("E1-NEW", "EPIC", "ANN", "LEE", BORN)
    assert index.change_identifier("EPIC|E1", corrected) == "EPIC|E1"
    assert index.person_of("EPIC|E1-NEW") == first.person_id
    assert index.person_of("EPIC|E1") == first.person_id  # a late message still finds her


def test_a_reviewer_s_link_merges_and_closes_the_review() -> None:
    state = InMemoryState()
    index = PatientIndex(state)
    index.register(_identity("E100", "EPIC", "JANE", "DOE", BORN))
    june = index.register(_identity("E101", "EPIC", "EMILY", "DOE", BORN))
    assert june is not None and june.reviews
    assert len(open_reviews(state.items(StateTable.MPI_REVIEWS))) == 1
    decided = index.decide("EPIC|E101", "EPIC|E100", link=True, actor="reviewer")
    assert decided is not None and decided.status == "linked"
    assert index.person_of("EPIC|E101") == index.person_of("EPIC|E100")
    assert open_reviews(state.items(StateTable.MPI_REVIEWS)) == []


def test_online_linkage_on_the_sandbox_duplicate_set() -> None:
    duplicates = generate_duplicate_set(1500, seed=3)
    index = PatientIndex(InMemoryState())
    persons: dict[str, str] = {}
    for row in duplicates.rows:
        record = PatientRecord.from_row(row)
        persons[record.id] = index.register_record(record, [f"SRC|{record.id}"]).person_id
    quality = linkage_quality(persons, duplicates.truth)
    print(f"online index: {quality}")
    # Automatic links must be right; the rest is the review queue's to find.
    assert quality.precision >= 0.99, quality
    assert quality.recall >= 0.85, quality
    twins = {frozenset(p) for p in duplicates.twin_pairs()}
    assert twins and all(persons[a] != persons[b] for a, b in map(tuple, twins))
