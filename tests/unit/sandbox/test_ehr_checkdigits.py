import random

import pytest

from careweave.sandbox.ehr.checkdigits import (
    gtin_check_digit,
    is_valid_gtin,
    is_valid_npi,
    make_gtin14,
    make_npi,
    npi_check_digit,
)


def test_known_npi_from_the_cms_specification():
    # The worked example of the CMS "NPI check digit" paper: 123456789 -> check digit 3.
    assert npi_check_digit("123456789") == "3"
    assert is_valid_npi("1234567893")
    assert not is_valid_npi("1234567890")


@pytest.mark.parametrize("bad", ["123456789", "12345678931", "3234567893", "12345678a3", ""])
def test_malformed_npis_are_rejected(bad):
    assert not is_valid_npi(bad)


def test_generated_npis_are_valid_and_a_changed_digit_is_caught():
    rng = random.Random(5)
    for _ in range(200):
        npi = make_npi(rng)
        assert is_valid_npi(npi) and npi[0] == "1"
        wrong = npi[:4] + str((int(npi[4]) + 1) % 10) + npi[5:]
        assert not is_valid_npi(wrong)
    assert make_npi(rng, organization=True)[0] == "2"


def test_gtin_check_digit_matches_a_real_gs1_number(corpus):
    # The PRT-10 device identifier in the corpus' DFT^P03 sample is a real GTIN-14.
    text = (corpus / "hl7v2/ms-fhir-converter/messages/DFT-P03-01.hl7").read_text()
    assert "00643169001763" in text
    assert is_valid_gtin("00643169001763")
    assert gtin_check_digit("0064316900176") == "3"
    assert not is_valid_gtin("00643169001764")


def test_made_gtins_are_14_digits_with_valid_check_digit():
    for n in range(100):
        gtin = make_gtin14("0884521", 3000 + n)
        assert len(gtin) == 14 and is_valid_gtin(gtin)
    with pytest.raises(ValueError, match="company prefix"):
        make_gtin14("0" * 12, 1)
