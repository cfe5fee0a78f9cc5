"""Names, nicknames, birth dates, phones, postcodes, SSNs and addresses brought to one form."""

from __future__ import annotations

import pytest

from careweave.masterdata.identity.contact import (
    house_number,
    phone_digits,
    postcode5,
    ssn_digits,
    street_line,
)
from careweave.masterdata.identity.dates import DateAgreement, compare_dates, parse_birth_date
from careweave.masterdata.identity.names import fold, name_tokens, soundex
from careweave.masterdata.identity.nicknames import are_variants, name_forms, name_groups


def test_names_lose_case_accents_and_punctuation_and_keep_their_parts() -> None:
    assert fold("Renée O'Brien-Núñez") == "RENEE OBRIEN NUNEZ"
    assert fold("  zoë   de la  CRUZ ") == "ZOE DE LA CRUZ"
    assert name_tokens("Smith-Jones") == ("SMITH", "JONES")
    assert name_tokens("García López") == ("GARCIA", "LOPEZ")
    assert name_tokens("St. John") == ("ST", "JOHN")


def test_titles_suffixes_and_placeholder_names_are_not_the_name() -> None:
    assert name_tokens("Dr. Robert Smith Jr.") == ("ROBERT", "SMITH")
    assert name_tokens("John III") == ("JOHN",)
    assert name_tokens("UNKNOWN") == ()
    assert name_tokens("Baby Boy") == ()
    assert name_tokens("") == ()


@pytest.mark.parametrize(
    ("word", "code"),
    [("ROBERT", "R163"), ("RUPERT", "R163"), ("ASHCRAFT", "A261"), ("TYMCZAK", "T522"),
     ("PFISTER", "P236"), ("HONEYMAN", "H555"), ("LEE", "L000"), ("", "")],
)  # fmt: skip
def test_soundex_follows_the_american_rules(word: str, code: str) -> None:
    assert soundex(word) == code


@pytest.mark.parametrize(
    ("a", "b"),
    [("WILLIAM", "BILL"), ("BILL", "WILL"), ("WILLIAM", "BILLY"), ("ROBERT", "BOB"),
     ("ROB", "BOBBY"), ("ELIZABETH", "LIZ"), ("BETH", "BETTY"), ("MARGARET", "PEGGY"),
     ("MAGGIE", "PEGGY"), ("JOHN", "JACK"), ("KATHERINE", "KATE")],
)  # fmt: skip
def test_common_given_name_variants_are_one_name(a: str, b: str) -> None:
    assert are_variants(a, b)
    assert are_variants(b, a)


def test_a_short_form_of_several_names_belongs_to_each_and_strangers_stay_apart() -> None:
    assert name_groups("AL") == {"ALBERT", "ALFRED", "ALAN", "ALEXANDER"}
    assert are_variants("AL", "ALFRED") and are_variants("AL", "ALAN")
    assert not are_variants("ALFRED", "ALAN")  # each is a form of AL, not of each other
    assert not are_variants("JOHN", "JAMES")
    assert not are_variants("XAVIER", "ZAVIER")  # not in the table: only itself
    assert {"MIKE", "MICKEY", "MICHAEL"} <= name_forms("MIKE")


def test_birth_dates_are_read_in_both_formats_and_placeholders_are_missing() -> None:
    assert parse_birth_date("1984-07-03") == "19840703"
    assert parse_birth_date("19840703") == "19840703"
    assert parse_birth_date(" ") == ""
    assert parse_birth_date("1900-01-01") == ""
    for bad in ("07/03/1984", "1984-7-3", "1984-02-30", "198407031", "UNKNOWN"):
        with pytest.raises(ValueError, match="birth date"):
            parse_birth_date(bad)


@pytest.mark.parametrize(
    ("a", "b", "agreement"),
    [
        ("19840703", "19840703", DateAgreement.EXACT),
        ("19840703", "19840307", DateAgreement.TRANSPOSED),  # day and month swapped
        ("19480703", "19840703", DateAgreement.TRANSPOSED),  # 1948 for 1984
        ("19840703", "19840730", DateAgreement.TRANSPOSED),  # 03 for 30
        ("19840703", "19840704", DateAgreement.ONE_DIGIT),
        ("19840703", "19850703", DateAgreement.ONE_DIGIT),
        ("19840703", "19621115", DateAgreement.DIFFERENT),
        ("19840703", "19840370", DateAgreement.DIFFERENT),  # not adjacent
    ],
)
def test_birth_date_transpositions_are_partial_agreement(
    a: str, b: str, agreement: DateAgreement
) -> None:
    assert compare_dates(a, b) is agreement
    assert compare_dates(b, a) is agreement


def test_phones_keep_their_last_ten_digits_and_placeholders_are_missing() -> None:
    for written in ("(920) 555-0142", "920-555-0142", "+1 920 555 0142", "9205550142"):
        assert phone_digits(written) == "9205550142"
    assert phone_digits("555-0142") == "5550142"
    assert phone_digits("000-000-0000") == ""
    assert phone_digits("123") == ""


def test_postcodes_keep_five_digits() -> None:
    assert postcode5("54901-1234") == "54901"
    assert postcode5("54901") == "54901"
    assert postcode5("549") == ""
    assert postcode5("00000") == ""


def test_ssns_keep_their_digits_and_the_last_four_of_masked_forms() -> None:
    assert ssn_digits("078-05-1121") == "078051121"
    assert ssn_digits("***-**-6789") == "6789"
    assert ssn_digits("XXX-XX-6789") == "6789"
    assert ssn_digits("6789") == "6789"
    for placeholder in ("999-99-9999", "000-00-0000", "123-45-6789", "666-12-3456",
                        "912-34-5678", "111-11-1111", "0000", "12345"):  # fmt: skip
        assert ssn_digits(placeholder) == "", placeholder


def test_addresses_use_the_usps_abbreviations() -> None:
    assert street_line("1204 North Maple Street, Apt. 3") == "1204 N MAPLE ST APT 3"
    assert street_line("1204 N MAPLE ST #3") == "1204 N MAPLE ST APT 3"
    assert street_line("77 Lakeshore Drive Unit 4") == "77 LAKESHORE DR APT 4"
    assert house_number("1204 N MAPLE ST") == "1204"
    assert house_number("PO BOX 12") == ""
