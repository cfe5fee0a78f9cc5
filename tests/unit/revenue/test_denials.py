"""Denial classification by group, CARC and RARC, checked against the corpus code lists."""

from __future__ import annotations

import json
import re

import pytest

from careweave.mappings.adjustments import (
    ADJUSTMENT_GROUPS,
    DEFAULT_DENIAL_ROUTES,
    DenialPolicy,
    DenialRoute,
    classify_adjustment,
)
from careweave.mappings.carc import CARC_RULES
from careweave.mappings.rarc import ALERT_RARCS, RARC_CATEGORIES
from careweave.model.revenue import AdjustmentKind, DenialCategory
from tests.conftest import corpus_path

K = AdjustmentKind
C = DenialCategory


@pytest.fixture(scope="module")
def corpus_carcs() -> set[str]:
    tigershark = json.loads(corpus_path("codesets", "tigershark", "carc_rarc.json").read_text())
    validedi = corpus_path("codesets", "validedi", "adjustment_reason_codes.yaml").read_text()
    listed = set(tigershark["claim_adjustment_reasons_CARC"])
    listed |= set(re.findall(r"^\s+'([0-9A-Z]+)':", validedi, re.MULTILINE))
    return listed


@pytest.fixture(scope="module")
def corpus_rarcs() -> set[str]:
    tigershark = json.loads(corpus_path("codesets", "tigershark", "carc_rarc.json").read_text())
    codes = corpus_path("codesets", "pyx12", "codes.xml").read_text(encoding="utf-8")
    start = codes.index("<id>remark_code</id>")
    block = codes[start : codes.index("</codeset>", start)]
    return set(tigershark["remittance_advice_codes_RARC"]) | set(
        re.findall(r"<code>(\w+)</code>", block)
    )


def test_corpus_lists_are_substantial(corpus_carcs, corpus_rarcs):
    assert len(corpus_carcs) > 250
    assert len(corpus_rarcs) > 900


def test_every_carc_in_the_table_exists_in_a_corpus_list(corpus_carcs):
    assert set(CARC_RULES) - corpus_carcs == set()


def test_every_rarc_in_the_tables_exists_in_a_corpus_list(corpus_rarcs):
    assert (set(RARC_CATEGORIES) | ALERT_RARCS) - corpus_rarcs == set()


def test_cas_group_codes_match_the_corpus():
    text = corpus_path("codesets", "validedi", "cas_group_codes.yaml").read_text()
    assert set(re.findall(r"- '(\w+)'", text)) == ADJUSTMENT_GROUPS


def test_brief_carcs_are_all_in_the_table():
    brief = "4 5 11 15 16 18 22 27 29 31 45 50 96 97 109 119 151 167 170 171 197 204 222 234 242"
    assert set(brief.split()) | {"252", "253"} <= set(CARC_RULES)


def test_denial_rules_carry_a_category_and_others_do_not():
    for code, rule in CARC_RULES.items():
        assert (rule.kind is K.DENIAL) == (rule.category is not None), code
        assert rule.generic is False or rule.kind is K.DENIAL, code


@pytest.mark.parametrize(
    ("group", "carc", "rarcs", "category"),
    [
        ("CO", "27", (), C.ELIGIBILITY),
        ("CO", "197", (), C.AUTHORIZATION),
        ("CO", "4", (), C.CODING),
        ("CO", "50", (), C.MEDICAL_NECESSITY),
        ("CO", "29", (), C.TIMELY_FILING),
        ("OA", "18", (), C.DUPLICATE),
        ("CO", "97", (), C.BUNDLING),
        ("CO", "170", (), C.OTHER),
        # generic reason codes refined by the remark code
        ("CO", "16", ("M51",), C.CODING),
        ("CO", "16", ("MA01", "N30"), C.ELIGIBILITY),
        ("CO", "96", ("N115",), C.MEDICAL_NECESSITY),
        ("CO", "A1", ("M86",), C.DUPLICATE),
        ("CO", "252", ("N54",), C.AUTHORIZATION),
        ("CO", "125", ("N19",), C.BUNDLING),
    ],
)
def test_every_category_is_reachable(group, carc, rarcs, category: DenialCategory):
    found = classify_adjustment(group, carc, rarcs)
    assert found.kind is K.DENIAL
    assert found.category is category
    route = DEFAULT_DENIAL_ROUTES[category]
    assert found.owner_team == route.owner_team
    assert found.suggested_action == route.suggested_action


def test_rarc_does_not_override_a_specific_carc():
    found = classify_adjustment("CO", "50", ("M51",))
    assert found.category is C.MEDICAL_NECESSITY
    assert found.decided_by == "carc"


def test_generic_carc_without_a_known_remark_keeps_its_default():
    found = classify_adjustment("CO", "16", ("MA01", "N14"))
    assert found.category is C.OTHER
    assert found.decided_by == "carc"
    assert classify_adjustment("CO", "16", ("M20",)).decided_by == "rarc:M20"


def test_unknown_carc_is_an_other_denial_refined_by_remarks():
    assert classify_adjustment("OA", "A7", ()).category is C.OTHER
    assert classify_adjustment("OA", "A7", ()).decided_by == "default"
    assert classify_adjustment("OA", "A7", ("N30",)).category is C.ELIGIBILITY


@pytest.mark.parametrize(
    ("group", "carc", "kind"),
    [
        ("CO", "45", K.CONTRACTUAL),
        ("CO", "253", K.CONTRACTUAL),
        ("PR", "1", K.PATIENT_RESPONSIBILITY),
        ("PR", "2", K.PATIENT_RESPONSIBILITY),
        ("PR", "3", K.PATIENT_RESPONSIBILITY),
        ("OA", "23", K.WRITE_OFF),
        ("CO", "18", K.DENIAL),
    ],
)
def test_non_denial_kinds(group, carc, kind):
    found = classify_adjustment(group, carc)
    assert found.kind is kind
    if kind is not K.DENIAL:
        assert found.category is None
        assert found.owner_team is None


def test_patient_group_bills_the_patient_but_keeps_the_denial_category():
    found = classify_adjustment("PR", "204")
    assert found.kind is K.PATIENT_RESPONSIBILITY
    assert found.category is C.ELIGIBILITY
    assert found.owner_team == "patient-access"


def test_codes_are_normalised():
    found = classify_adjustment(" co ", " 16 ", [" m51 ", ""])
    assert (found.group_code, found.carc, found.rarcs) == ("CO", "16", ("M51",))
    assert found.category is C.CODING


def test_policy_overrides_routes():
    routes = dict(DEFAULT_DENIAL_ROUTES)
    routes[C.CODING] = DenialRoute("pro-fee-coding", "Send to the physician group coders.")
    found = classify_adjustment("CO", "4", policy=DenialPolicy(routes=routes))
    assert found.owner_team == "pro-fee-coding"


def test_every_category_has_a_default_route():
    assert set(DEFAULT_DENIAL_ROUTES) == set(DenialCategory)
