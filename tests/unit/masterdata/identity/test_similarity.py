"""Jaro and Jaro-Winkler against published reference values, and the one-typo test."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careweave.masterdata.identity.similarity import (
    jaro,
    jaro_winkler,
    name_similarity,
    one_edit_apart,
)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        # Winkler's and the Census Bureau's worked examples (rounded to three places).
        ("MARTHA", "MARHTA", 0.961),
        ("DWAYNE", "DUANE", 0.840),
        ("DIXON", "DICKSONX", 0.813),
        ("JELLYFISH", "SMELLYFISH", 0.896),
        ("SHACKLEFORD", "SHACKELFORD", 0.982),
        ("NICHLESON", "NICHULSON", 0.956),
        ("JONES", "JOHNSON", 0.832),
        ("MASSEY", "MASSIE", 0.933),
        ("ABROMS", "ABRAMS", 0.922),
    ],
)
def test_jaro_winkler_matches_the_reference_values(a: str, b: str, expected: float) -> None:
    assert jaro_winkler(a, b) == pytest.approx(expected, abs=0.0005)


def test_jaro_counts_transpositions_and_the_matching_window() -> None:
    assert jaro("MARTHA", "MARHTA") == pytest.approx(0.944, abs=0.0005)
    assert jaro("AB", "BA") == 0.0  # a window of 0: B is too far to match
    assert jaro("ABC", "XYZ") == 0.0
    assert jaro("", "ABC") == 0.0
    assert jaro("SAME", "SAME") == 1.0


def test_the_winkler_bonus_needs_a_jaro_above_0_7_and_counts_four_letters_at_most() -> None:
    low = "ABCDEF", "ABXYZW"
    assert jaro(*low) <= 0.7
    assert jaro_winkler(*low) == jaro(*low)
    long_prefix = "PREFIXED", "PREFIXES"
    bonus = jaro_winkler(*long_prefix) - jaro(*long_prefix)
    assert bonus == pytest.approx(4 * 0.1 * (1 - jaro(*long_prefix)))


@given(st.text("ABCDEJKLMNOST", max_size=12), st.text("ABCDEJKLMNOST", max_size=12))
def test_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    assert 0.0 <= jaro_winkler(a, b) <= 1.0
    assert jaro(a, b) == pytest.approx(jaro(b, a))
    assert name_similarity(a, b) == name_similarity(b, a)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("AMY", "AHY", True),  # substitution
        ("MARY", "MRY", True),  # deletion
        ("ANN", "ANNE", True),  # insertion
        ("MIKE", "MIEK", True),  # neighbours swapped
        ("MIKE", "MIKE", False),  # no edit
        ("MIKE", "MKIEE", False),
        ("JOHN", "JOAN", True),
        ("TOMMY", "TONY", False),
        ("AB", "BA", True),
        ("ABC", "CBA", False),
    ],
)
def test_one_edit_apart(a: str, b: str, expected: bool) -> None:
    assert one_edit_apart(a, b) is expected
    assert one_edit_apart(b, a) is expected
