"""The whole day's checks: each names what breaks it, and lets the scenario's own faults through."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from careweave.erp.inventory import StockPosition
from careweave.model.records import CaseState, ExceptionCase
from careweave.sandbox.day_checks import journal_breaks, supply_breaks, unexpected_exceptions
from careweave.sandbox.ehr.messages import GeneratedMessage, MalformedKind
from careweave.sandbox.ehr.sender import SendResult
from careweave.sandbox.erp.records import (
    ItemRecord,
    JournalLineRecord,
    JournalRecord,
    LocationRecord,
    Segments,
)
from careweave.sandbox.erp.state import ErpState
from careweave.sandbox.erp.wire import InventoryTransactionIn

NOW = dt.datetime(2025, 3, 6, tzinfo=dt.UTC)


def _erp(on_hand: int) -> ErpState:
    state = ErpState()
    state.put_item(ItemRecord("IT-1", "stent", "EA", Decimal("10.00"), "", "", "", False))
    state.add_location(LocationRecord("LAB", "LAB", "cath_lab", "RBMC", "RBH"))
    state.record_transaction(InventoryTransactionIn("receipt", "IT-1", "LAB", on_hand))
    return state


def test_supply_breaks_name_the_item_and_location_whose_stock_differs() -> None:
    opening = {("LAB", "IT-1"): 30}
    assert supply_breaks({("LAB", "IT-1"): StockPosition(on_hand=28)}, opening, _erp(28)) == []
    # A movement the ERP recorded twice: careweave 28, the ERP 26.
    assert supply_breaks({("LAB", "IT-1"): StockPosition(on_hand=28)}, opening, _erp(26)) == [
        "IT-1 at LAB: careweave 28 on hand, the ERP 26"
    ]
    # careweave never moved it: its opening figure must still be the ERP's.
    assert supply_breaks({}, opening, _erp(29)) == ["IT-1 at LAB: careweave 30 on hand, the ERP 29"]


def _line(n: int, entity: str, debit: str, credit: str) -> JournalLineRecord:
    return JournalLineRecord(n, Segments(entity, "7481", "61000"), Decimal(debit), Decimal(credit))


def _journal(*lines: JournalLineRecord) -> JournalRecord:
    return JournalRecord(
        "JE-1", "x", "RBH", NOW.date(), "supplies", "careweave", "USD", list(lines)
    )


def test_journals_balance_within_each_entity() -> None:
    intercompany = _journal(
        _line(1, "RBH", "5.00", "0"),
        _line(2, "RBH", "0", "5.00"),
        _line(3, "RBPG", "7.00", "0"),
        _line(4, "RBPG", "0", "7.00"),
    )
    assert journal_breaks([intercompany]) == []
    # Balanced as a whole, not per entity: each side's difference is named.
    crossed = _journal(_line(1, "RBH", "5.00", "0"), _line(2, "RBPG", "0", "5.00"))
    assert journal_breaks([crossed]) == [
        "journal JE-1 (supplies) entity RBH: debits - credits = 5.00",
        "journal JE-1 (supplies) entity RBPG: debits - credits = -5.00",
    ]


def _case(n: int, key: str, team: str = "supply-chain") -> ExceptionCase:
    return ExceptionCase(
        id=n, case_key=key, reason_code="R", owning_team=team, summary="s", suggested_fix="",
        details=[], state=CaseState.OPEN, opened_at=NOW, sla_due_at=NOW, resolved_at=None,
        resolution=None,
    )  # fmt: skip


def _message(n: int, damaged: bool = False) -> GeneratedMessage:
    return GeneratedMessage(
        sequence=n, raw=b"MSH", message_type="ADT^A01", control_id=f"C{n}", sending_facility="F",
        patient_key="P", malformed=MalformedKind.BAD_MSH if damaged else None,
    )  # fmt: skip


def test_only_injected_faults_may_raise_exceptions() -> None:
    messages = [_message(0), _message(1, damaged=True), _message(2)]
    answered = [SendResult(sequence=0, control_id="C0", ack_code="AA"),
                SendResult(sequence=1, control_id="C1", ack_code="AR"),
                SendResult(sequence=2, control_id="C2", ack_code="AA")]  # fmt: skip
    injected = [_case(1, "item-miss:CV1"), _case(2, "denial:P1:T1:C1", "billing")]
    assert unexpected_exceptions(injected, 1, frozenset({"CV1"}), messages, answered) == []

    refused = [*answered[:2], SendResult(sequence=2, control_id="C2", ack_code="AE")]
    found = unexpected_exceptions(
        [
            *injected,
            _case(3, "item-miss:CV2"),
            _case(4, "charge-validation:9", "revenue-integrity"),
        ],
        3,
        frozenset({"CV1"}),
        messages,
        refused,
    )
    assert found == [
        "case 3 item-miss:CV2 (supply-chain): s",
        "case 4 charge-validation:9 (revenue-integrity): s",
        "message C2 (ADT^A01) answered AE",
        "3 messages stored in error, 2 refused",
    ]
