"""Supply to replenish, one event at a time (no engine): movements, bill-only POs, par, reversals.

The business state is an :class:`InMemoryState` shared by the events of a test, as the store's
committed state is shared by the messages of a day.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec
import pytest

from careweave.erp.inventory import InventoryBook
from careweave.exceptions import ValidationError
from careweave.flows import FlowOutput
from careweave.flows.supply_to_replenish import SupplyToReplenishFlow
from careweave.model.base import BusinessEvent
from careweave.model.care import Code, Encounter, Location
from careweave.model.clinical import CancelledAction, ProcedureDocumented, VisitCancelled
from careweave.model.erp import (
    INVENTORY_TRANSACTION,
    PURCHASE_ORDER,
    REQUISITION,
    InventoryTransactionRequest,
    PurchaseOrderRequest,
    RequisitionRequest,
)
from careweave.model.state import InMemoryState
from tests.unit.masterdata.factories import (
    CATH_LAB,
    PACER,
    STENT,
    crosswalk,
    directory,
    ehr_entry,
    supply,
)

LOC = CATH_LAB.location_id


class Flow:
    """The flow over one business state, with the stock position it keeps there."""

    def __init__(self, on_hand: int) -> None:
        xw = crosswalk(
            ehr_entry("CV10421", STENT.item_number), ehr_entry("CV10491", PACER.item_number)
        )
        self.stock = {(LOC, STENT.item_number): on_hand, (LOC, PACER.item_number): on_hand}
        self.flow = SupplyToReplenishFlow(xw, directory(par=10, reorder_point=8), self.stock)
        self.state = InMemoryState()
        self.position = InventoryBook(self.state, self.stock)

    def run(self, event: BusinessEvent, out: FlowOutput | None = None) -> FlowOutput:
        out = FlowOutput() if out is None else out
        out.state = self.state
        self.flow.run(event, out)
        return out


def flow(on_hand: int = 10) -> Flow:
    return Flow(on_hand)


def decoded(out: FlowOutput, content_type: str, kind: type) -> list:  # type: ignore[type-arg]
    return [
        msgspec.json.decode(e.payload, type=kind)
        for e in out.effects
        if e.content_type == content_type
    ]


def test_an_issue_names_lot_and_serial_and_reaching_the_reorder_point_requisitions() -> None:
    f = flow(on_hand=10)
    out = FlowOutput()
    f.run(supply(lot_number="L1", serial_number="S1"), out)
    (issue,) = decoded(out, INVENTORY_TRANSACTION, InventoryTransactionRequest)
    assert (issue.transaction_type, issue.item_number, issue.location_id) == (
        "issue", STENT.item_number, LOC,
    )  # fmt: skip
    assert (issue.quantity, issue.lot, issue.serial) == (1, "L1", "S1")
    assert decoded(out, REQUISITION, RequisitionRequest) == []  # 9 on hand > reorder point 8
    out2 = FlowOutput()
    f.run(supply(idempotency_key="supply:2", line_id="ft1=2"), out2)
    (req,) = decoded(out2, REQUISITION, RequisitionRequest)
    assert req.lines[0].quantity == 2 and req.location_id == LOC  # back up to par 10
    # The requisition is on order: the next issue leaves 7 + 2 on order above the reorder point.
    out3 = FlowOutput()
    f.run(supply(idempotency_key="supply:3", line_id="ft1=3"), out3)
    assert decoded(out3, REQUISITION, RequisitionRequest) == []
    out4 = FlowOutput()
    f.run(supply(idempotency_key="supply:4", line_id="ft1=4"), out4)
    (req4,) = decoded(out4, REQUISITION, RequisitionRequest)
    assert req4.lines[0].quantity == 2  # 6 on hand + 2 on order, up to par 10


def test_a_replay_sends_the_same_keys_and_does_not_move_stock_twice() -> None:
    f = flow(on_hand=9)
    first, again = FlowOutput(), FlowOutput()
    f.run(supply(), first)
    f.run(supply(), again)
    assert [e.idempotency_key for e in first.effects] == [e.idempotency_key for e in again.effects]
    assert first.effects == again.effects
    assert REQUISITION in {e.content_type for e in first.effects}  # 8: the reorder point
    assert f.position.on_hand(LOC, STENT.item_number) == 8
    assert f.position.on_order(LOC, STENT.item_number) == 2  # ordered once, not twice


def test_a_consigned_implant_raises_a_bill_only_line_for_its_case() -> None:
    f = flow()
    out = FlowOutput()
    procedure = ProcedureDocumented(
        idempotency_key="procedure:1",
        patient=supply().patient,
        encounter=supply().encounter,
        procedure_id="1",
        code=Code(code="33208", system="C4"),
        performed_at=dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC),
    )
    f.run(procedure, out)
    f.run(supply("CV10491", lot_number="L9", serial_number="PM123"), out)
    (po,) = decoded(out, PURCHASE_ORDER, PurchaseOrderRequest)
    assert po.bill_only and po.vendor == PACER.vendor and po.entity == CATH_LAB.entity
    (line,) = po.lines
    assert (line.patient_id, line.procedure_code, line.serial, line.lot) == (
        "MRN1", "33208", "PM123", "L9",
    )  # fmt: skip
    assert line.procedure_date == dt.date(2025, 3, 3) and line.unit_cost == PACER.standard_cost
    assert decoded(out, REQUISITION, RequisitionRequest) == []  # consigned stock is the vendor's


def test_a_credited_line_returns_stock_and_a_cancelled_visit_returns_its_issues() -> None:
    f = flow(on_hand=10)
    out = FlowOutput()
    f.run(supply(idempotency_key="credit:1", quantity=Decimal(-1)), out)
    (ret,) = decoded(out, INVENTORY_TRANSACTION, InventoryTransactionRequest)
    assert (ret.transaction_type, ret.quantity) == ("return", 1)
    assert f.position.on_hand(LOC, STENT.item_number) == 11

    f.run(supply(idempotency_key="s:2", quantity=Decimal(2)), FlowOutput())
    cancelled = FlowOutput()
    event = VisitCancelled(
        idempotency_key="cancel:1",
        patient=supply().patient,
        encounter=supply().encounter,
        cancelled=CancelledAction.ADMISSION,
    )
    f.run(event, cancelled)
    (reversal,) = decoded(cancelled, INVENTORY_TRANSACTION, InventoryTransactionRequest)
    assert (reversal.transaction_type, reversal.quantity) == ("return", 2)
    assert reversal.business_key == "inventory-reversal:s:2"
    assert f.position.on_hand(LOC, STENT.item_number) == 11
    # A replayed cancellation sends the same return again and does not return the stock twice.
    again = f.run(event)
    assert again.effects == cancelled.effects
    assert f.position.on_hand(LOC, STENT.item_number) == 11


def test_misses_park_on_cases_and_bad_quantities_are_named() -> None:
    f = flow()
    out = FlowOutput()
    f.run(supply("CV77777", gtin=STENT.gtin), out)
    assert out.effects == []
    (case,) = out.cases
    assert case.case_key == "item-miss:CV77777" and case.owning_team == "supply-chain"
    assert STENT.item_number in case.suggested_fix
    assert any("same GTIN" in d for d in case.details)

    elsewhere = FlowOutput()
    f.run(
        supply(encounter=Encounter(location=Location(facility="X", point_of_care="OR9"))), elsewhere
    )
    assert [c.case_key for c in elsewhere.cases] == ["location-miss:X/OR9"]

    with pytest.raises(ValidationError, match=r"ft1=1: quantity 1\.5"):
        f.run(supply(quantity=Decimal("1.5")), FlowOutput())
    with pytest.raises(ValidationError, match="no use time"):
        f.run(supply(occurred_at=None), FlowOutput())
