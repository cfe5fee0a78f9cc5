"""GTIN check digits and flat-file cell parsers."""

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from careweave.masterdata.csv_fields import (
    parse_bool,
    parse_code,
    parse_cost,
    parse_date,
    parse_uom,
)
from careweave.masterdata.gtin import gtin_problem, with_check_digit


@pytest.mark.parametrize(
    "gtin",
    ["4006381333931", "036000291452", "96385074", "00012345600012", "10012345600019"],
)
def test_published_gtins_pass(gtin):
    assert gtin_problem(gtin) is None


def test_wrong_check_digit_names_the_expected_one():
    assert gtin_problem("4006381333932") == ("GTIN '4006381333932' has check digit 2, expected 1")


@pytest.mark.parametrize(
    ("gtin", "fragment"),
    [("40063813339", "11 digits"), ("40063813339X1", "digits only"), ("", "digits only")],
)
def test_malformed_gtins_say_why(gtin, fragment):
    problem = gtin_problem(gtin)
    assert problem is not None and fragment in problem


def test_with_check_digit_builds_valid_gtins():
    for body in ("400638133393", "03600029145", "9638507"):
        assert gtin_problem(with_check_digit(body)) is None


def test_padding_keeps_the_check_digit():
    assert gtin_problem("0" + "4006381333931") is None


def test_cost_accepts_dollars_and_thousands_but_not_fractions_of_cents_beyond_four():
    assert parse_cost("$1,450.00") == Decimal("1450.00")
    assert parse_cost("0.1234") == Decimal("0.1234")
    with pytest.raises(ValueError, match="more than 4 decimals"):
        parse_cost("0.12345")
    with pytest.raises(ValueError, match="non-negative"):
        parse_cost("-3")
    with pytest.raises(ValueError, match="not a decimal"):
        parse_cost("12,5O")
    with pytest.raises(ValueError, match="non-negative"):
        parse_cost("NaN")


def test_dates_iso_or_us():
    assert parse_date("2026-01-31") == dt.date(2026, 1, 31)
    assert parse_date("01/31/2026") == dt.date(2026, 1, 31)
    with pytest.raises(ValueError, match="not a date"):
        parse_date("31/01/2026")


def test_bool_uom_and_code():
    assert parse_bool("Y") is True
    assert parse_bool("no") is False
    with pytest.raises(ValueError, match="true/false"):
        parse_bool("maybe")
    assert parse_uom("ea") == "EA"
    with pytest.raises(ValueError, match="unit of measure"):
        parse_uom("EACH")
    with pytest.raises(ValueError, match="not a code"):
        parse_code("40-10")


@given(st.text(alphabet="0123456789", min_size=12, max_size=12), st.integers(0, 12), st.data())
def test_any_single_digit_change_breaks_the_check_digit(body, position, data):
    gtin = with_check_digit(body)
    assert gtin_problem(gtin) is None
    new_digit = data.draw(st.sampled_from([d for d in "0123456789" if d != gtin[position]]))
    altered = gtin[:position] + new_digit + gtin[position + 1 :]
    assert gtin_problem(altered) is not None
