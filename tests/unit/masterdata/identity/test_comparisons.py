"""Each comparison sorts a pair into the right level; swapped names are recognised."""

from __future__ import annotations

import pytest

from careweave.masterdata.identity.comparisons import (
    BirthDateComparison,
    ContactComparison,
    FamilyNameComparison,
    GivenNameComparison,
    SexComparison,
    SsnComparison,
    compare,
    default_comparisons,
    names_swapped,
)
from careweave.masterdata.identity.policy import MatchPolicy
from tests.unit.masterdata.identity.records import JOHN, patient

POLICY = MatchPolicy()


def level(
    comparison: type[GivenNameComparison] | type, a: dict[str, str], b: dict[str, str]
) -> str:
    c = comparison(POLICY)
    return str(c.levels[c.level(patient("a", 0, **a), patient("b", 1, **b))])


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("JOHN", "john", "exact"),
        ("William", "Bill", "variant"),
        ("Margaret", "Peggy", "variant"),
        ("Jonathan", "Jonathon", "close"),
        ("AMY", "AHY", "close"),  # one typo in a short name
        ("Michael", "Miek", "close"),  # a typo of MIKE, a form of MICHAEL
        ("Jamie", "Mary", "different"),  # not through MAMIE: a typo spares the first letter
        ("J", "John", "similar"),  # an initial
        ("Tommy", "Tony", "similar"),
        ("John", "Mary", "different"),
        ("", "Mary", "missing"),
    ],
)
def test_given_name_levels(a: str, b: str, expected: str) -> None:
    assert level(GivenNameComparison, {"given": a}, {"given": b}) == expected


def test_a_middle_name_used_as_the_first_is_similar() -> None:
    assert level(GivenNameComparison, {"given": "Mary Ann"}, {"given": "Ann"}) == "similar"


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("Smith", "SMITH", "exact"),
        ("García López", "Garcia", "partial"),
        ("Smith-Jones", "Jones", "partial"),
        ("Van der Berg", "Vanderberg", "partial"),
        ("Johnson", "Jonhson", "close"),
        ("Johnson", "Jonson", "close"),
        ("Smith", "Nguyen", "different"),
        ("Smith", "", "missing"),
    ],
)
def test_family_name_levels(a: str, b: str, expected: str) -> None:
    assert level(FamilyNameComparison, {"family": a}, {"family": b}) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("1984-07-03", "19840703", "exact"),
        ("1984-07-03", "1984-03-07", "transposed"),
        ("1984-07-03", "1948-07-03", "transposed"),
        ("1984-07-03", "1984-07-04", "one_digit"),
        ("1984-07-03", "1962-11-15", "different"),
        ("1984-07-03", "", "missing"),
        ("1984-07-03", "not a date", "missing"),
    ],
)
def test_birth_date_levels(a: str, b: str, expected: str) -> None:
    assert level(BirthDateComparison, {"birth_date": a}, {"birth_date": b}) == expected


def test_sex_levels() -> None:
    assert level(SexComparison, {"sex": "M"}, {"sex": "male"}) == "exact"
    assert level(SexComparison, {"sex": "M"}, {"sex": "F"}) == "different"
    assert level(SexComparison, {"sex": "M"}, {"sex": "U"}) == "missing"


@pytest.mark.parametrize(
    ("b", "expected"),
    [
        ({"address": "12 Oak St", "postcode": "54911", "phone": "920.555.0142"},
         "address_and_phone"),
        ({"address": "12 OAK STREET", "postcode": "54911-0001"}, "address"),
        ({"address": "12 Oaks Street", "postcode": "54911", "phone": "4145550000"}, "address"),
        ({"address": "9 Elm Ave", "postcode": "54901", "phone": "+1 (920) 555-0142"}, "phone"),
        ({"address": "9 Elm Ave", "postcode": "54911"}, "same_area"),
        ({"city": "APPLETON"}, "same_area"),
        ({"address": "9 Elm Ave", "postcode": "54901", "phone": "4145550000"}, "different"),
        ({}, "missing"),
    ],
)  # fmt: skip
def test_contact_levels_count_a_shared_home_and_phone_once(
    b: dict[str, str], expected: str
) -> None:
    a = {"address": "12 Oak Street", "postcode": "54911", "city": "Appleton",
         "phone": "(920) 555-0142"}  # fmt: skip
    assert level(ContactComparison, a, b) == expected


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("123-45-6780", "123456780", "exact"),
        ("123-45-6780", "***-**-6780", "last_four"),  # only the last four on one side
        ("6780", "6780", "last_four"),
        ("123-45-6780", "123-54-6780", "one_edit"),
        ("123-45-6780", "6708", "one_edit"),
        ("123-45-6780", "6781", "one_edit"),
        ("123-45-6780", "4321", "different"),
        ("123-45-6780", "", "missing"),
    ],
)
def test_ssn_levels(a: str, b: str, expected: str) -> None:
    assert level(SsnComparison, {"ssn": a}, {"ssn": b}) == expected


def test_swapped_given_and_family_names_compare_the_right_way_round() -> None:
    a = patient("a", 0, **JOHN)
    b = patient("b", 1, **{**JOHN, "given": "Smith", "family": "John"})
    assert names_swapped(a, b, POLICY.close_name_similarity)
    assert compare(a, b, default_comparisons(POLICY), POLICY.close_name_similarity)[:2] == (0, 0)
    same = patient("c", 2, **JOHN)
    assert not names_swapped(a, same, POLICY.close_name_similarity)
    other = patient("d", 3, **{**JOHN, "given": "Smithers", "family": "Jones"})
    assert not names_swapped(a, other, POLICY.close_name_similarity)
