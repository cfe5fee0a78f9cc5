"""835 parsing and balancing against the real corpus, with pyx12 as the oracle for totals."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from careweave.codecs.x12.remittance import ClaimPayment, parse_remittances
from careweave.exceptions import X12Error
from tests.conftest import corpus_path
from tests.unit.x12.pyx12_oracle import pyx12_remittance_totals

REMITS = {
    # file: does it balance? (tertiary-payment's SVC puts the claim totals in the line amounts)
    "linuxforhealth-x12/835_005010X221A1/cob-contractural-adjustment.835": True,
    "linuxforhealth-x12/835_005010X221A1/medicare-part-a.835": True,
    "linuxforhealth-x12/835_005010X221A1/tertiary-payment.835": False,
    "pyx12/835_mult_loops.txt": True,
}


def _path(name: str) -> Path:
    return corpus_path("x12", *name.split("/"))


def test_every_corpus_835_is_covered() -> None:
    root = corpus_path("x12")
    found = {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and b"ST*835*" in p.read_bytes()
    }
    assert found == set(REMITS)


@pytest.mark.parametrize("name", sorted(REMITS))
def test_totals_agree_with_pyx12(name: str) -> None:
    path = _path(name)
    advices = parse_remittances(path.read_bytes())
    payments, claims = pyx12_remittance_totals(path)
    assert [a.payment for a in advices] == payments
    assert [(c.id, c.charge, c.paid) for a in advices for c in a.claims] == claims


@pytest.mark.parametrize(("name", "balanced"), sorted(REMITS.items()))
def test_balancing_is_flagged_exactly_where_the_file_does_not_add_up(
    name: str, balanced: bool
) -> None:
    (advice,) = parse_remittances(_path(name).read_bytes())
    assert advice.balanced is balanced


def test_tertiary_payment_line_imbalance_is_reported_precisely() -> None:
    (advice,) = parse_remittances(
        _path("linuxforhealth-x12/835_005010X221A1/tertiary-payment.835").read_bytes()
    )
    (imbalance,) = advice.imbalances
    assert imbalance.scope == "line"
    assert imbalance.claim_id == "0001000054"
    assert imbalance.position == 20
    assert imbalance.expected == Decimal("22832.50")
    assert imbalance.actual == Decimal("1579.00")
    assert "segment 20 (SVC)" in imbalance.message


def test_medicare_part_a_payment_balances_through_plb() -> None:
    (advice,) = parse_remittances(
        _path("linuxforhealth-x12/835_005010X221A1/medicare-part-a.835").read_bytes()
    )
    (plb,) = advice.provider_adjustments
    assert (plb.reason, plb.reference, plb.amount) == ("CV", "CP", Decimal("-1.27"))
    assert advice.payment == sum(c.paid for c in advice.claims) - plb.amount
    first, second = advice.claims
    assert first.facility_code == "11" and first.frequency == "1"
    assert first.patient is not None and first.patient.name == "JONES"
    assert [(a.group, a.reason, a.amount) for a in first.adjustments] == [
        ("CO", "45", Decimal("73348.57"))
    ]
    assert [r.code for r in second.remarks] == ["MA02"]
    assert first.dates == {"232": "20020816", "233": "20020824"}


def test_service_lines_and_remarks() -> None:
    (advice,) = parse_remittances(_path("pyx12/835_mult_loops.txt").read_bytes())
    (claim,) = advice.claims
    assert [
        (ln.procedure_qualifier, ln.procedure_code, ln.charge, ln.units) for ln in claim.lines
    ] == [
        ("HC", "T1005", Decimal("500.04"), Decimal("68")),
        ("HC", "T1005", Decimal("127.8"), Decimal("16")),
        ("HC", "T1005", Decimal("287.55"), Decimal("36")),
    ]
    assert [[(a.group, a.reason) for a in ln.adjustments] for ln in claim.lines] == [
        [("CO", "16")],
        [("OA", "A7")],
        [("OA", "A7")],
    ]
    assert all([(r.source, r.code) for r in ln.remarks] == [("HE", "N14")] for ln in claim.lines)


SAMPLE = (
    "ISA*00*          *00*          *ZZ*PAYER          *ZZ*PROVIDER       *250301*0930*^*00501"
    "*000000001*0*P*:~GS*HP*PAYER*PROVIDER*20250301*0930*1*X*005010X221A1~ST*835*0001~"
    "BPR*I*90*C*CHK************20250301~TRN*1*T1*P1~N1*PR*PAYER~N3*X~N4*A*IL*62701~"
    "N1*PE*CLINIC*XX*1234567893~LX*1~CLP*C1*1*150*90*20*12*PCN~"
    "CAS*PR*1*10**2*10~CAS*CO*45*20*1*97*10*2*94*0~NM1*QC*1*DOE*JANE~"
    "SVC*HC:G0008:59:25*100*90**1~CAS*CO*45*10~PLB*1234567893*20251231*WO:REF1*0~"
    "SE*16*0001~GE*1*1~IEA*1*000000001~"
)


def test_cas_triplets_and_modifiers() -> None:
    (advice,) = parse_remittances(SAMPLE)
    (claim,) = advice.claims
    assert [(a.group, a.reason, a.amount, a.quantity) for a in claim.adjustments] == [
        ("PR", "1", Decimal(10), None), ("PR", "2", Decimal(10), None),
        ("CO", "45", Decimal(20), Decimal(1)), ("CO", "97", Decimal(10), Decimal(2)),
        ("CO", "94", Decimal(0), None),
    ]  # fmt: skip
    assert claim.lines[0].modifiers == ["59", "25"]
    assert claim.patient_responsibility == Decimal(20)
    assert advice.balanced


def test_a_changed_amount_breaks_the_balance() -> None:
    (advice,) = parse_remittances(SAMPLE.replace("BPR*I*90*", "BPR*I*91*"))
    assert [i.scope for i in advice.imbalances] == ["payment"]


def test_bad_amount_names_the_segment() -> None:
    with pytest.raises(X12Error, match=r"segment 11 \(CLP\): CLP04 '9O' is not an amount"):
        parse_remittances(SAMPLE.replace("*150*90*20*", "*150*9O*20*"))


def test_written_835_reads_back_the_same() -> None:
    from datetime import UTC, datetime

    from careweave.codecs.x12.control import InMemoryControlNumbers
    from careweave.codecs.x12.emitter import EnvelopeConfig
    from careweave.codecs.x12.remit_writer import write_remittances

    (advice,) = parse_remittances(SAMPLE)
    text = write_remittances([advice], EnvelopeConfig("PAYER", "PROVIDER"),
                             InMemoryControlNumbers(), datetime(2025, 3, 1, tzinfo=UTC))  # fmt: skip
    (again,) = parse_remittances(text)
    assert again.balanced
    assert again.payment == advice.payment

    def strip(c: ClaimPayment) -> tuple[object, ...]:
        return (
            c.id,
            c.charge,
            c.paid,
            c.adjustments,
            [(ln.charge, ln.paid, ln.adjustments, ln.modifiers) for ln in c.lines],
        )

    assert [strip(c) for c in again.claims] == [strip(c) for c in advice.claims]
    assert [(p.reason, p.reference, p.amount) for p in again.provider_adjustments] == [
        ("WO", "REF1", Decimal(0))
    ]
