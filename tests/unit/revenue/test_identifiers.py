"""NPI check digits and NDC normalisation."""

from __future__ import annotations

import pytest

from careweave.revenue.identifiers import (
    NdcError,
    NpiProblem,
    is_valid_npi,
    luhn_check_digit,
    normalize_ndc,
    npi_problem,
)


def test_canonical_npi_example_is_valid():
    assert is_valid_npi("1234567893")
    assert npi_problem("1234567893") is None


@pytest.mark.parametrize("wrong_digit", ["0", "1", "2", "4", "5", "6", "7", "8", "9"])
def test_every_other_check_digit_is_rejected(wrong_digit):
    assert npi_problem("123456789" + wrong_digit) is NpiProblem.CHECK_DIGIT


def test_real_world_npis():
    # NPIs that appear in public payer and clearinghouse examples.
    assert is_valid_npi("1245319599")
    assert is_valid_npi("1679576722")
    assert npi_problem("1679576723") is NpiProblem.CHECK_DIGIT


@pytest.mark.parametrize("bad", ["123456789", "12345678931", "3234567893", "12345A7893", ""])
def test_npi_format(bad):
    assert npi_problem(bad) is NpiProblem.FORMAT


def test_luhn_uses_the_80840_prefix():
    # Without the prefix the check digit of 123456789 would be 7, with it 3.
    assert luhn_check_digit("123456789") == 7
    assert luhn_check_digit("80840123456789") == 3


@pytest.mark.parametrize(
    ("printed", "eleven"),
    [
        ("0002-7597-01", "00002759701"),  # 4-4-2: zero before the labeler
        ("50242-040-62", "50242004062"),  # 5-3-2: zero before the product
        ("60575-4112-1", "60575411201"),  # 5-4-1: zero before the package
        ("00169-7501-11", "00169750111"),  # 5-4-2 already
        ("00169750111", "00169750111"),
        ("N400169750111", "00169750111"),  # 837 LIN qualifier glued on
        (" 0002-7597-01 ", "00002759701"),
    ],
)
def test_ndc_normalised_to_eleven_digits(printed, eleven):
    assert normalize_ndc(printed) == eleven


def test_ten_plain_digits_are_ambiguous():
    with pytest.raises(NdcError) as info:
        normalize_ndc("0002759701")
    assert info.value.ambiguous
    assert "cannot be told apart" in info.value.message


@pytest.mark.parametrize("bad", ["1234-567-89", "12345-67890-1", "abc", "123456789012", ""])
def test_malformed_ndc(bad):
    with pytest.raises(NdcError) as info:
        normalize_ndc(bad)
    assert not info.value.ambiguous
    assert repr(bad) in info.value.message
