"""Procedure code, modifier, revenue code and place-of-service formats and lists."""

from __future__ import annotations

import re

import pytest

from careweave.revenue.place_of_service import (
    PLACE_OF_SERVICE,
    is_place_of_service_format,
    place_of_service_label,
)
from careweave.revenue.procedure_codes import (
    COMMON_MODIFIERS,
    ProcedureCodeSystem,
    is_drug_code,
    is_modifier_format,
    procedure_code_system,
)
from careweave.revenue.revenue_codes import (
    is_drug_revenue_code,
    is_revenue_code_format,
    revenue_code_category,
)
from tests.conftest import corpus_path


@pytest.mark.parametrize(
    ("code", "system"),
    [
        ("99213", ProcedureCodeSystem.CPT_CATEGORY_I),
        ("92928", ProcedureCodeSystem.CPT_CATEGORY_I),
        ("3074F", ProcedureCodeSystem.CPT_CATEGORY_II),
        ("0042T", ProcedureCodeSystem.CPT_CATEGORY_III),
        ("C1874", ProcedureCodeSystem.HCPCS_LEVEL_II),
        ("J1100", ProcedureCodeSystem.HCPCS_LEVEL_II),
        ("V2020", ProcedureCodeSystem.HCPCS_LEVEL_II),
    ],
)
def test_valid_procedure_codes(code, system):
    assert procedure_code_system(code) is system


@pytest.mark.parametrize(
    "code", ["9921", "992134", "3074G", "W1234", "j1100", "C187", "99213 ", "", "ABCDE"]
)
def test_invalid_procedure_codes(code):
    assert procedure_code_system(code) is None


def test_drug_codes_are_j_codes():
    assert is_drug_code("J1100")
    assert not is_drug_code("C1874")
    assert not is_drug_code("99213")


def test_modifier_format():
    assert is_modifier_format("25")
    assert is_modifier_format("XU")
    assert not is_modifier_format("lt")
    assert not is_modifier_format("5")
    assert not is_modifier_format("ABC")


def test_common_modifiers_include_the_brief_list_and_are_well_formed():
    named = {"25", "26", "59", "TC", "LT", "RT", "50", "76", "77", "91", "XE", "XS", "XP", "XU"}
    named |= {"KX", "GA", "GY", "GZ", "JW", "JZ", "QW"}
    assert named <= COMMON_MODIFIERS
    assert all(is_modifier_format(m) for m in COMMON_MODIFIERS)


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("0110", "room and board, private"),
        ("0278", "medical/surgical supplies and devices"),
        ("0481", "cardiology"),
        ("0450", "emergency room"),
        ("0636", "pharmacy, extension of 025x"),
    ],
)
def test_revenue_code_categories(code, category):
    assert is_revenue_code_format(code)
    assert revenue_code_category(code) == category


@pytest.mark.parametrize("code", ["0001", "0099", "1000", "278", "02781", "027A"])
def test_revenue_code_out_of_range_or_malformed(code):
    assert not is_revenue_code_format(code)
    assert revenue_code_category(code) is None


def test_reserved_revenue_category_is_well_formed_but_unknown():
    assert is_revenue_code_format("0890")
    assert revenue_code_category("0890") is None


def test_drug_revenue_codes():
    assert is_drug_revenue_code("0250")
    assert is_drug_revenue_code("0636")
    assert not is_drug_revenue_code("0278")


def test_place_of_service():
    assert place_of_service_label("11") == "office"
    assert place_of_service_label("22") == "on campus outpatient hospital"
    assert place_of_service_label("30") is None
    assert is_place_of_service_format("30")
    assert not is_place_of_service_format("1")


def test_every_place_of_service_is_in_the_pyx12_code_list():
    text = corpus_path("codesets", "pyx12", "codes.xml").read_text(encoding="utf-8")
    start = text.index("<id>pos</id>")
    block = text[start : text.index("</codeset>", start)]
    listed = set(re.findall(r"<code>(\d{2})</code>", block))
    assert len(listed) > 40
    assert set(PLACE_OF_SERVICE) <= listed
