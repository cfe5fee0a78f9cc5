"""The reconciliation's own X12 reader: totals agree with pyx12 and the codec, breaks are named."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import pyx12.x12file

from careweave.codecs.x12.remittance import parse_remittances
from careweave.revenue.x12_totals import read_totals, split_segments
from tests.conftest import corpus_path
from tests.unit.revenue.x12_samples import interchange
from tests.unit.x12.pyx12_oracle import pyx12_remittance_totals

REMITS = (
    "linuxforhealth-x12/835_005010X221A1/cob-contractural-adjustment.835",
    "linuxforhealth-x12/835_005010X221A1/medicare-part-a.835",
    "linuxforhealth-x12/835_005010X221A1/tertiary-payment.835",
    "pyx12/835_mult_loops.txt",
)
CLAIMS = (
    "linuxforhealth-x12/837_005010X222A2/demo.example1.837",
    "linuxforhealth-x12/837_005010X222A2/demo.cob.example4.837",
    "linuxforhealth-x12/837_005010X223A3/institutional-claim.837i",
    "hccinfhir/sample_837_0.txt",
    "hccinfhir/sample_837_12.txt",
)


def _path(name: str) -> Path:
    return corpus_path("x12", *name.split("/"))


def pyx12_claims(source: Path) -> list[tuple[str, Decimal, str]]:
    """(CLM01, CLM02, billing provider NPI) of each claim, read by pyx12's X12Reader."""
    found, npi = [], ""
    for segment in pyx12.x12file.X12Reader(str(source)):
        if segment.get_seg_id() == "NM1" and segment.get_value("NM101") == "85":
            npi = segment.get_value("NM109")
        elif segment.get_seg_id() == "CLM":
            found.append((segment.get_value("CLM01"), Decimal(segment.get_value("CLM02")), npi))
    return found


@pytest.mark.parametrize("name", REMITS)
def test_835_totals_agree_with_pyx12_and_the_codec(name: str) -> None:
    raw = _path(name).read_bytes()
    totals = read_totals([], [(name, raw)], {})
    payments, claims = pyx12_remittance_totals(_path(name))
    assert [p.amount for p in totals.payments] == payments
    assert [(c.claim_id, c.charge, c.paid) for c in totals.remitted] == claims
    advices = parse_remittances(raw)
    expected = [
        Counter(
            (a.group, a.reason, a.amount)
            for a in (*claim.adjustments, *(x for line in claim.lines for x in line.adjustments))
        )
        for advice in advices
        for claim in advice.claims
    ]
    assert [Counter((a.group, a.reason, a.amount) for a in c.adjustments) for c in totals.remitted] \
        == expected  # fmt: skip
    plb = [(p.reason, p.reference, p.amount) for a in advices for p in a.provider_adjustments]
    assert [(p.reason, p.reference, p.amount) for p in totals.provider_adjustments] == plb
    assert [c.trace for c in totals.remitted] == [a.trace_number for a in advices for _ in a.claims]


def test_the_payment_date_and_payee_entity_come_from_bpr16_and_n1_pe() -> None:
    name = "linuxforhealth-x12/835_005010X221A1/medicare-part-a.835"
    raw = _path(name).read_bytes()
    (advice,) = parse_remittances(raw)
    totals = read_totals([], [(name, raw)], {advice.payee.id: "RBH01"})
    (check,) = totals.payments
    assert check.entity == "RBH01" and all(c.entity == "RBH01" for c in totals.remitted)
    assert check.day == dt.datetime.strptime(advice.payment_date, "%Y%m%d").date()  # noqa: DTZ007
    assert totals.problems == ()


@pytest.mark.parametrize("name", CLAIMS)
def test_837_totals_agree_with_pyx12(name: str) -> None:
    totals = read_totals([(name, _path(name).read_bytes())], [], {})
    assert [(c.claim_id, c.billed, c.billing_npi) for c in totals.billed] == pyx12_claims(
        _path(name)
    )
    assert all(c.line_total == c.billed and c.lines > 0 for c in totals.billed)


def test_an_837_claim_whose_lines_miss_clm02_is_named() -> None:
    name = "imsweb-x12-parser/837_5010/x12_valid.txt"
    totals = read_totals([(name, _path(name).read_bytes())], [], {})
    assert totals.billed[0].billed == Decimal("500")
    assert any("claim A37YH556 CLM02 500 != its service lines 12.25" in p for p in totals.problems)


BODY = [
    "BPR*I*{payment}*C*ACH*CCP*01*999999999*DA*123456*1512345678**01*999988880*DA*98765*20260310",
    "TRN*1*TR1*1512345678",
    "N1*PR*ACME HEALTH PLAN",
    "N1*PE*REGIONAL HEART HOSPITAL*XX*1234567893",
    "LX*1",
    "CLP*CLM-A*1*1500.00*900.00*150.00*12*PCN-A*11*1",
    "SVC*HC:93458*1500.00*900.00**1",
    "CAS*CO*45*450.00",
    "CAS*PR*1*100.00*1*2*50.00",
    "PLB*1234567893*20261231*L6:CLM-A*-5.00",
]


def test_totals_of_a_small_835_by_group_reason_and_plb() -> None:
    raw = interchange([line.format(payment="905.00") for line in BODY])
    totals = read_totals([], [("a.835", raw)], {"1234567893": "RBH01"})
    assert totals.problems == ()
    (claim,) = totals.remitted
    assert [(a.group, a.reason, a.amount) for a in claim.adjustments] == [
        ("CO", "45", Decimal("450.00")), ("PR", "1", Decimal("100.00")),
        ("PR", "2", Decimal("50.00")),
    ]  # fmt: skip
    assert (claim.entity, claim.trace, claim.day) == ("RBH01", "TR1", dt.date(2026, 3, 10))
    (plb,) = totals.provider_adjustments
    assert (plb.reason, plb.reference, plb.amount) == ("L6", "CLM-A", Decimal("-5.00"))


def test_an_unbalanced_835_an_unknown_payee_and_a_bad_amount_are_named() -> None:
    body = [line.format(payment="900.00") for line in BODY]
    body[7] = "CAS*CO*45*45O.00"
    totals = read_totals([], [("b.835", interchange(body))], {})
    problems = "\n".join(totals.problems)
    assert "b.835: trace TR1 payee NPI 1234567893 is no entity's" in problems
    assert "b.835: CAS CO-45 amount '45O.00' is not a number" in problems
    assert "claim CLM-A (trace TR1) CLP03 1500.00 - CLP04 900.00 != its CAS amounts 150.00" in (
        problems
    )
    assert "b.835: trace TR1 BPR02 900.00 != claims paid 900.00 - PLB -5.00" in problems


def test_a_file_that_is_not_x12_is_named_and_counts_nothing() -> None:
    totals = read_totals([("junk.837", b"hello")], [], {})
    assert totals.billed == ()
    assert totals.problems == ("junk.837: not an X12 interchange: no ISA segment at the start",)
    with pytest.raises(ValueError, match="no ISA"):
        split_segments("GS*HP~")
