"""Payer adjudication rules, each exercised on claims read back from careweave-written 837s."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec

from careweave.codecs.x12 import read_document
from careweave.sandbox.clearinghouse import (
    Adjudicator,
    PriorAuthorization,
    SubmittedClaim,
    claims_in,
    sample_payers,
)
from tests.integration.clearinghouse.claim_builder import MEDICAID, MEDICARE, claim, x12_837

TODAY = dt.date(2026, 3, 9)
D = Decimal


def submitted(*claims: object) -> list[SubmittedClaim]:
    document = read_document(x12_837(*claims))  # type: ignore[arg-type]
    found: list[SubmittedClaim] = []
    for interchange in document.interchanges:
        for group in interchange.groups:
            for transaction in group.transactions:
                found += claims_in(transaction, group.control_number, document.delimiters)
    return found


def adjustments(verdict: object, line: int = 0) -> list[tuple[str, str, Decimal]]:
    return verdict.lines[line].adjustments  # type: ignore[attr-defined, no-any-return]


def test_intake_reads_what_the_837_says() -> None:
    (first,) = submitted(claim("C1", ("93458", "2500.00"), ("36415", "25.00"), member="M9"))
    assert (first.claim_id, first.payer_id, first.member_id, first.kind) == (
        "C1", "60054", "M9", "professional",
    )  # fmt: skip
    assert [(ln.procedure_code, ln.charge, ln.service_date) for ln in first.lines] == [
        ("93458", D("2500"), dt.date(2026, 3, 2)), ("36415", D("25"), dt.date(2026, 3, 2)),
    ]  # fmt: skip
    assert first.charge == D("2525") and first.diagnoses == ["I2510"]
    assert first.billing_npi == "1234567893" and first.transaction == "1/0001"


def test_fee_schedule_contractual_deductible_and_coinsurance() -> None:
    payer = Adjudicator(sample_payers())
    big, small = submitted(claim("C1", ("33999", "2000.00")), claim("C2", ("99213", "150.00")))
    first = payer.adjudicate(big, TODAY)
    # Not on the fee schedule: 60% of the charge is allowed; the $500 deductible, then 20%.
    assert adjustments(first) == [("CO", "45", D("800.00")), ("PR", "1", D("500.00")),
                                  ("PR", "2", D("140.00"))]  # fmt: skip
    assert (first.paid, first.patient_responsibility, first.status) == (
        D("560.00"),
        D("640.00"),
        "1",
    )
    second = payer.adjudicate(small, TODAY)
    # On the fee schedule at $92; the deductible is already met this year.
    assert adjustments(second) == [("CO", "45", D("58.00")), ("PR", "2", D("18.40"))]
    assert second.paid == D("73.60")


def test_every_line_balances_charge_minus_paid_equals_adjustments() -> None:
    payer = Adjudicator(sample_payers())
    lines = (("99214", "180.00"), ("93000", "40.00"), ("J1745", "933.33"), ("36415", "1.00"))
    for verdict_claim in submitted(claim("C1", *lines), claim("C2", *lines, payer=MEDICAID)):
        verdict = payer.adjudicate(verdict_claim, TODAY)
        for line in verdict.lines:
            assert line.charge - line.paid == sum(a[2] for a in line.adjustments)
            assert all(a[2] > 0 for a in line.adjustments)


def test_missing_authorization_is_co197_until_the_payer_authorizes() -> None:
    payer = Adjudicator(sample_payers())
    (cath,) = submitted(claim("C1", ("93458", "2500.00")))
    denied = payer.adjudicate(cath, TODAY)
    assert adjustments(denied) == [("CO", "197", D("2500.00"))]
    assert denied.lines[0].remarks == ["M62"] and denied.status == "4" and denied.paid == 0
    payer.authorize(PriorAuthorization(payer_id="60054", member_id="M100", procedure_code="93458",
                                       number="AUTH1", start=dt.date(2026, 3, 1),
                                       end=dt.date(2026, 3, 31)))  # fmt: skip
    paid = payer.adjudicate(msgspec.structs.replace(cath, frequency="7"), TODAY)
    assert paid.lines[0].allowed == D("980.00")
    (other_member,) = submitted(claim("C3", ("93458", "2501.00"), member="M200"))
    assert adjustments(payer.adjudicate(other_member, TODAY))[0][1] == "197"


def test_prior_authorization_sent_on_the_claim_is_honoured() -> None:
    payer = Adjudicator(sample_payers())
    (cath,) = submitted(claim("C1", ("93458", "2500.00")))
    verdict = payer.adjudicate(msgspec.structs.replace(cath, prior_authorization="AUTH9"), TODAY)
    assert verdict.lines[0].allowed == D("980.00")


def test_medical_necessity_denies_a_code_without_a_supporting_diagnosis() -> None:
    payer = Adjudicator(sample_payers())
    (ecg,) = submitted(claim("C1", ("93000", "40.00"), ("99213", "150.00"), payer=MEDICARE,
                             diagnoses=("E119",), filing="MB"))  # fmt: skip
    verdict = payer.adjudicate(ecg, TODAY)
    assert adjustments(verdict, 0) == [("CO", "50", D("40.00"))]
    assert verdict.lines[0].remarks == ["N115"]
    # the other line is allowed (and goes to the Medicare deductible): the claim is not denied
    assert verdict.lines[1].allowed == D("88.00") and verdict.status == "1"
    (supported,) = submitted(claim("C2", ("93000", "40.00"), payer=MEDICARE, diagnoses=("R079",)))
    assert payer.adjudicate(supported, TODAY).lines[0].allowed == D("16.00")


def test_missing_diagnosis_is_co16_for_every_line() -> None:
    payer = Adjudicator(sample_payers())
    (base,) = submitted(claim("C1", ("99213", "150.00"), ("36415", "20.00")))
    verdict = payer.adjudicate(msgspec.structs.replace(base, diagnoses=[]), TODAY)
    assert [adjustments(verdict, i) for i in (0, 1)] == [[("CO", "16", D("150.00"))],
                                                        [("CO", "16", D("20.00"))]]  # fmt: skip
    assert verdict.lines[0].remarks == ["MA130", "M76"] and verdict.status == "4"


def test_timely_filing_depends_on_the_payer_limit() -> None:
    payer = Adjudicator(sample_payers())
    old = dt.date(2025, 11, 20)  # 109 days before TODAY
    late, medicare = submitted(claim("C1", service=old),
                               claim("C2", service=old, payer=MEDICARE, filing="MB"))  # fmt: skip
    assert adjustments(payer.adjudicate(late, TODAY)) == [("CO", "29", D("150.00"))]
    assert payer.adjudicate(medicare, TODAY).lines[0].allowed == D("88.00")


def test_duplicates_by_claim_id_or_by_services_are_co18_but_replacements_are_not() -> None:
    payer = Adjudicator(sample_payers())
    (original,) = submitted(claim("C1", ("99213", "150.00")))
    assert payer.adjudicate(original, TODAY).lines[0].allowed == D("92.00")
    again = payer.adjudicate(original, TODAY)
    assert adjustments(again) == [("CO", "18", D("150.00"))] and again.lines[0].remarks == ["N522"]
    renamed = payer.adjudicate(msgspec.structs.replace(original, claim_id="C1-B"), TODAY)
    assert adjustments(renamed)[0][:2] == ("CO", "18")
    replacement = payer.adjudicate(msgspec.structs.replace(original, frequency="7"), TODAY)
    assert replacement.lines[0].allowed == D("92.00")


def test_secondary_claims_are_status_2_and_medicaid_has_no_patient_share() -> None:
    payer = Adjudicator(sample_payers())
    secondary, medicaid = submitted(
        claim("C1", ("99213", "150.00"), responsibility="S"),
        claim("C2", ("99213", "150.00"), payer=MEDICAID, filing="MC"),
    )  # fmt: skip
    assert payer.adjudicate(secondary, TODAY).status == "2"
    verdict = payer.adjudicate(medicaid, TODAY)
    assert adjustments(verdict) == [("CO", "45", D("90.00"))]
    assert (verdict.paid, verdict.patient_responsibility) == (D("60.00"), D(0))
