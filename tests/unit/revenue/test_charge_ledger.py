"""Duplicate charges, credits netted against their charges, cancelled encounters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec

from careweave.model.revenue import ChargeLine, ChargeReason, ChargeTransactionType
from careweave.revenue.charge_cases import ledger_case
from careweave.revenue.charge_ledger import (
    ChargeLedger,
    LedgerOutcomeKind,
    PositionStatus,
    net_charges,
)

K = LedgerOutcomeKind
DAY = dt.date(2026, 3, 9)

CHARGE = ChargeLine(
    line_id="L1",
    encounter_id="E1",
    service_date=DAY,
    procedure_code="96365",
    modifiers=("59", "XU"),
    units=Decimal(2),
    amount=Decimal("300.00"),
)


def line(line_id: str, **changes: Any) -> ChargeLine:
    return msgspec.structs.replace(CHARGE, line_id=line_id, **changes)


def credit(line_id: str, **changes: Any) -> ChargeLine:
    return line(line_id, transaction_type=ChargeTransactionType.CREDIT, **changes)


def test_same_service_twice_is_a_duplicate_even_with_modifiers_reordered():
    ledger = ChargeLedger()
    assert ledger.record(CHARGE).kind is K.ACCEPTED
    outcome = ledger.record(line("L2", modifiers=("XU", "59")))
    assert outcome.kind is K.DUPLICATE
    assert outcome.reason is ChargeReason.DUPLICATE_CHARGE
    assert outcome.original_line_id == "L1"
    assert [p.line_id for p in ledger.positions()] == ["L1"]
    assert ledger.held() == (outcome,)


def test_redelivery_of_the_same_line_is_not_a_duplicate():
    ledger = ChargeLedger()
    ledger.record(CHARGE)
    assert ledger.record(CHARGE).kind is K.REDELIVERED
    assert ledger.held() == ()
    assert len(ledger.positions()) == 1


def test_redelivered_duplicate_keeps_its_outcome():
    ledger = ChargeLedger()
    ledger.record(CHARGE)
    first = ledger.record(line("L2"))
    assert ledger.record(line("L2")) == first
    assert len(ledger.held()) == 1


def test_any_difference_in_the_key_is_a_new_charge():
    ledger = ChargeLedger()
    ledger.record(CHARGE)
    variants = [
        line("L2", encounter_id="E2"),
        line("L3", procedure_code="96366"),
        line("L4", modifiers=("59", "XU", "76")),  # repeat procedure
        line("L5", service_date=DAY + dt.timedelta(days=1)),
        line("L6", units=Decimal(3)),
    ]
    assert [ledger.record(v).kind for v in variants] == [K.ACCEPTED] * 5


def test_rebilling_after_a_full_credit_is_not_a_duplicate():
    ledger = net_charges([CHARGE, credit("C1", units=Decimal(-2), amount=Decimal("-300.00"))])
    assert ledger.record(line("L2")).kind is K.ACCEPTED


def test_credit_naming_its_charge_nets_against_it():
    ledger = net_charges(
        [CHARGE, line("L2", procedure_code="96366"), credit("C1", reverses_line_id="L2")]
    )
    positions = {p.line_id: p for p in ledger.positions()}
    assert positions["L1"].status is PositionStatus.OPEN
    assert positions["L2"].status is PositionStatus.REVERSED
    assert positions["L2"].net_units == 0
    assert positions["L2"].net_amount == Decimal(0)
    assert positions["L2"].credited_by == ("C1",)


def test_partial_credit_without_reference_matches_on_the_service_and_prorates():
    ledger = net_charges([CHARGE, credit("C1", units=Decimal(1), amount=None)])
    (position,) = ledger.positions()
    assert position.status is PositionStatus.PARTIALLY_CREDITED
    assert position.net_units == 1
    assert position.net_amount == Decimal("150.00")


def test_credits_net_oldest_charge_first_and_full_reversal_leaves_no_cent():
    odd = line("L1", units=Decimal(3), amount=Decimal("100.00"))
    ledger = net_charges(
        [
            odd,
            credit("C1", units=Decimal(1), amount=None),
            credit("C2", units=Decimal(2), amount=None),
        ]
    )
    (position,) = ledger.positions()
    assert position.credited_amount == Decimal("100.00")
    assert position.net_amount == Decimal(0)
    assert position.status is PositionStatus.REVERSED


def test_orphan_credit_is_refused_with_an_exception_case():
    ledger = ChargeLedger()
    ledger.record(CHARGE)
    outcome = ledger.record(credit("C9", procedure_code="93458"))
    assert outcome.kind is K.REFUSED
    assert outcome.reason is ChargeReason.ORPHAN_CREDIT
    case = ledger_case(outcome)
    assert case is not None
    assert case.reason_code == "ORPHAN_CREDIT"
    assert case.owning_team == "revenue-integrity"
    assert case.payload_reference == "charge:C9"
    assert ledger.positions()[0].net_units == 2


def test_credit_naming_an_unknown_charge_is_an_orphan():
    outcome = net_charges([CHARGE, credit("C1", reverses_line_id="nope")]).held()[0]
    assert outcome.reason is ChargeReason.ORPHAN_CREDIT


def test_credit_larger_than_what_is_left_is_refused():
    ledger = net_charges([CHARGE, credit("C1", units=Decimal(1))])
    outcome = ledger.record(credit("C2", units=Decimal(2)))
    assert outcome.reason is ChargeReason.CREDIT_EXCEEDS_CHARGE
    assert "L1 has 1" in outcome.message
    assert ledger.positions()[0].net_units == 1


def test_cancelled_encounter_credits_every_open_charge_once():
    ledger = net_charges(
        [
            CHARGE,
            line("L2", procedure_code=None, revenue_code="0120", modifiers=()),
            credit("C1", units=Decimal(1)),
            line("X1", encounter_id="E2"),
        ]
    )
    at = dt.datetime(2026, 3, 10, tzinfo=dt.UTC)
    credits = ledger.cancel_encounter("E1", at)
    assert [(c.line_id, c.units, c.reverses_line_id) for c in credits] == [
        ("L1:cancel", Decimal(1), "L1"),
        ("L2:cancel", Decimal(2), "L2"),
    ]
    assert credits[1].revenue_code == "0120"
    assert credits[1].procedure_code is None
    assert all(p.status is PositionStatus.REVERSED for p in ledger.positions("E1"))
    assert ledger.positions("E2")[0].status is PositionStatus.OPEN
    assert ledger.cancel_encounter("E1", at) == ()
    assert sum(p.net_amount or 0 for p in ledger.positions("E1")) == 0


def test_duplicate_case_names_the_original():
    ledger = ChargeLedger()
    ledger.record(CHARGE)
    case = ledger_case(ledger.record(line("L2")))
    assert case is not None
    assert case.reason_code == "DUPLICATE_CHARGE"
    assert "original L1" in case.summary
    assert "76, 77, 91" in case.suggested_fix
    assert ledger_case(ledger.record(line("L3", units=Decimal(5)))) is None


def test_credit_amount_larger_than_what_is_left_is_refused():
    ledger = net_charges([CHARGE])
    outcome = ledger.record(credit("C1", units=Decimal(1), amount=Decimal("-400.00")))
    assert outcome.reason is ChargeReason.CREDIT_EXCEEDS_CHARGE
    assert ledger.positions()[0].credited_units == 0


def test_credit_of_the_last_units_takes_what_is_left_whatever_its_amount():
    ledger = net_charges([CHARGE, credit("C1", units=Decimal(2), amount=Decimal("-250.00"))])
    (position,) = ledger.positions()
    assert position.status is PositionStatus.REVERSED
    assert position.net_amount == 0
