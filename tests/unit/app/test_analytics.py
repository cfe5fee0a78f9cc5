"""Analytics by service line, charge lag and denial rate, on hand-made books with known answers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from careweave.app.analytics import (
    UNBILLED,
    ChargeRoutedFact,
    charge_lag_figures,
    denial_figures,
    revenue_category,
    service_line_figures,
)
from careweave.erp.ledger import PostedJournal
from careweave.flows.claim_register import BilledLine, RegisteredClaim
from careweave.masterdata.cost_centers import ChartOfAccounts
from careweave.model.erp import GlSegments, JournalLine, JournalRequest
from careweave.model.finance import ClaimDenied
from careweave.model.revenue import DenialCategory

CHART = ChartOfAccounts()
DAY = dt.date(2026, 11, 3)


def _line(account: str, service_line: str, debit: str = "0", credit: str = "0") -> JournalLine:
    return JournalLine(
        segments=GlSegments("RBH01", "6100", account, service_line),
        debit=Decimal(debit),
        credit=Decimal(credit),
    )


def _journal(key: str, *lines: JournalLine) -> PostedJournal:
    return PostedJournal(
        journal=JournalRequest(business_key=key, entity="RBH01", posting_date=DAY, lines=[*lines])
    )


def _books() -> list[PostedJournal]:
    cardiology, ortho = "310", "420"
    return [
        # Two procedures in cardiology, one credited back; their standard and professional cost.
        _journal(
            "charge-1",
            _line(CHART.unbilled_ar, cardiology, debit="1000"),
            _line(CHART.patient_revenue, cardiology, credit="1000"),
            _line(CHART.procedure_cost, cardiology, debit="200"),
            _line(CHART.cost_absorbed, cardiology, credit="200"),
            _line(CHART.professional_cost, cardiology, debit="100"),
            _line(CHART.cost_absorbed, cardiology, credit="100"),
        ),
        _journal(
            "charge-2",
            _line(CHART.unbilled_ar, cardiology, debit="500"),
            _line(CHART.patient_revenue, cardiology, credit="500"),
        ),
        _journal(
            "credit-2",
            _line(CHART.patient_revenue, cardiology, debit="500"),
            _line(CHART.unbilled_ar, cardiology, credit="500"),
        ),
        # A supply issue split with a grant, and one in orthopaedics reversed.
        _journal(
            "supply-1",
            _line("63000", cardiology, debit="50"),
            _line(CHART.supply_expense, cardiology, debit="250"),
            _line(CHART.inventory, cardiology, credit="300"),
        ),
        _journal(
            "supply-2",
            _line(CHART.supply_expense, ortho, debit="80"),
            _line(CHART.inventory, ortho, credit="80"),
        ),
        _journal(
            "reversal-supply-2",
            _line(CHART.supply_expense, ortho, credit="80"),
            _line(CHART.inventory, ortho, debit="80"),
        ),
    ]


def test_service_line_margin_utilization_and_supply_variance() -> None:
    rows = {row.service_line: row for row in service_line_figures(_books(), CHART)}

    cardiology = rows["310"]
    assert cardiology.revenue == Decimal("1000")
    assert cardiology.supply_cost == Decimal("250")  # the grant's share is not the line's cost
    assert cardiology.standard_cost == Decimal("200")
    assert cardiology.professional_cost == Decimal("100")
    assert cardiology.margin == Decimal("450")
    assert cardiology.margin_pct == Decimal("45.0")
    assert cardiology.procedures == 1  # two charged, one credited back
    assert cardiology.supply_issues == 1
    assert cardiology.supply_variance == Decimal("50")  # supplies ran 50 over standard
    # A service line whose only activity was reversed nets to nothing and is not listed.
    assert "420" not in rows


def test_a_reversed_supply_leaves_volume_and_cost_at_zero() -> None:
    books = _books()[4:5]
    rows = service_line_figures(books, CHART)
    assert [(r.service_line, r.supply_issues, r.supply_cost) for r in rows] == [
        ("420", 1, Decimal("80"))
    ]


def test_revenue_category_is_the_code_family() -> None:
    assert revenue_category("0360") == "036x"
    assert revenue_category("278") == "027x"
    assert revenue_category("") == "none"


def _claim(claim_id: str, payer: str) -> RegisteredClaim:
    return RegisteredClaim(
        claim_id=claim_id,
        account_id=f"A{claim_id}",
        encounter_id=f"E{claim_id}",
        entity="RBH01",
        kind="837I",
        payer_id=payer,
        total=Decimal("100"),
        file_name="f.837",
        link_key="1:1",
    )


def test_charge_lag_by_category_and_payer_leaves_credits_out() -> None:
    routed = [
        ChargeRoutedFact(line_key="L1", transaction="charge", service_date=DAY, lag_days=1),
        ChargeRoutedFact(line_key="L2", transaction="charge", service_date=DAY, lag_days=6),
        ChargeRoutedFact(
            line_key="L3", transaction="charge", service_date=DAY, lag_days=12, late=True
        ),
        ChargeRoutedFact(line_key="L4", transaction="credit", service_date=DAY, lag_days=40),
    ]
    codes = {"L1": "0360", "L2": "0361", "L3": "0278", "L4": "0360"}
    billed = {"L1": BilledLine(claim_id="C1", line_number=1)}
    by_category, by_payer = charge_lag_figures(routed, codes, billed, {"C1": _claim("C1", "BCBS")})

    assert [(r.group, r.lines, r.average_days, r.max_days, r.late) for r in by_category] == [
        ("027x", 1, Decimal("12.00"), 12, 1),
        ("036x", 2, Decimal("3.50"), 6, 0),
    ]
    assert [(r.group, r.lines) for r in by_payer] == [("BCBS", 1), (UNBILLED, 2)]


def _denial(claim_id: str, category: DenialCategory, amount: str, index: int) -> ClaimDenied:
    return ClaimDenied(
        idempotency_key=f"denial:{claim_id}:{index}",
        entity="RBH01",
        payer_id="IGNORED",  # the register's payer wins
        trace_number="T1",
        claim_id=claim_id,
        line_number=None,
        group_code="CO",
        carc="197",
        rarcs=(),
        adjustment_index=index,
        amount=Decimal(amount),
        category=category,
        owner_team="utilization-review",
        suggested_action="appeal",
    )


def test_denial_rate_by_category_and_payer_counts_claims_not_adjustments() -> None:
    claims = [_claim("C1", "BCBS"), _claim("C2", "BCBS"), _claim("C3", "AETNA"), _claim("C4", "X")]
    denials = [
        _denial("C1", DenialCategory.AUTHORIZATION, "40", 0),
        _denial("C1", DenialCategory.AUTHORIZATION, "10", 1),  # same claim: counted once
        _denial("C3", DenialCategory.CODING, "25", 0),
        _denial("C2", DenialCategory.CODING, "30", 0),
        _denial("C2", DenialCategory.CODING, "-30", 1),  # reversed on a later 835
    ]
    by_category, by_payer = denial_figures(denials, claims)

    assert [(r.group, r.claims, r.denied_claims, r.rate, r.denied_amount) for r in by_category] == [
        ("authorization", 4, 1, Decimal("0.2500"), Decimal("50")),
        ("coding", 4, 1, Decimal("0.2500"), Decimal("25")),
    ]
    assert [(r.group, r.claims, r.denied_claims, r.rate) for r in by_payer] == [
        ("AETNA", 1, 1, Decimal("1.0000")),
        ("BCBS", 2, 1, Decimal("0.5000")),
        ("X", 1, 0, Decimal("0.0000")),
    ]
