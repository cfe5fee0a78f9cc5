"""Cost allocation and finance posting, one event at a time: segments, balance, intercompany, periods.

Each test keeps its business state in an :class:`InMemoryState` that the events share.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from careweave.erp.ledger import LedgerBook, account_balances, entity_balances
from careweave.erp.periods import Period, PeriodCalendar
from careweave.erp.stored import balance_totals
from careweave.exceptions import ValidationError
from careweave.flows import FlowOutput
from careweave.flows.cost_allocation import CostAllocationFlow
from careweave.flows.finance_posting import FinancePostingFlow
from careweave.masterdata import (
    ChartOfAccounts,
    CostCenterAssignment,
    CostCenterMap,
    PhysicianDirectory,
    PhysicianGroup,
    ProjectAllocation,
    ProjectAllocations,
    StandardCost,
    StandardCostTable,
)
from careweave.model.care import Code, Provider
from careweave.model.charges import ChargeCaptured, Money, TransactionType
from careweave.model.clinical import CancelledAction, VisitCancelled
from careweave.model.erp import JournalRequest
from careweave.model.finance import (
    ClaimDenied,
    ClaimPaid,
    ContractualAdjustmentPosted,
    ProviderLevelAdjustment,
    WriteOffOrigin,
    WriteOffPosted,
)
from careweave.model.revenue import DenialCategory
from careweave.model.state import InMemoryState, StateTable
from tests.unit.masterdata.factories import PACER, STENT, crosswalk, directory, ehr_entry, supply

C = ChartOfAccounts()
CARDIOLOGIST = "1234567893"
PROCEDURE_COST = StandardCost(
    procedure_code="92928", facility_cost=Decimal("8000"), professional_cost=Decimal("1200.50")
)


def cost_flow(grant: bool = False) -> CostAllocationFlow:
    centers = CostCenterMap(
        [
            CostCenterAssignment(
                entity="RBH01", department="RBH01-7481", cost_center="7481",
                service_line="CARD", physician_group="RBPG", effective_from=dt.date(2020, 1, 1),
            )
        ]
    )  # fmt: skip
    projects = [
        ProjectAllocation(
            entity="RBH01", cost_center="7481", project="GR-2291", kind="grant",
            share=Decimal("0.25"),
        )
    ]  # fmt: skip
    return CostAllocationFlow(
        cost_centers=centers,
        standard_costs=StandardCostTable([PROCEDURE_COST]),
        physicians=PhysicianDirectory(
            {CARDIOLOGIST: PhysicianGroup(code="RBPG", entity="RBPG04", cost_center="5100")}
        ),
        crosswalk=crosswalk(
            ehr_entry("CV10421", STENT.item_number), ehr_entry("CV10491", PACER.item_number)
        ),
        locations=directory(),
        projects=ProjectAllocations(projects if grant else []),
    )


def charge(
    amount: str = "28450.00",
    kind: TransactionType = TransactionType.CHARGE,
    department: str = "RBH01-7481",
) -> ChargeCaptured:
    base = supply()
    return ChargeCaptured(
        idempotency_key=f"{kind.value}:RBMC|V1:1:48100020",
        patient=base.patient,
        encounter=base.encounter,
        transaction_id="1",
        transaction_type=kind,
        transaction_code=Code(code="48100020", system="CDM"),
        procedure_code=Code(code="92928", system="C4"),
        extended_amount=Money(amount=Decimal(amount)),
        performing_provider=Provider(npi=CARDIOLOGIST),
        department=Code(code=department),
        service_date=dt.date(2025, 3, 3),
    )


def run(
    flow: CostAllocationFlow | FinancePostingFlow, event: Any, state: InMemoryState
) -> FlowOutput:
    out = FlowOutput(state=state)
    flow.run(event, out)
    return out


def balances(state: InMemoryState) -> dict[tuple[str, str, str], Decimal]:
    return balance_totals(account_balances(state.items(StateTable.LEDGER_BALANCES)))


def journal_of(out: FlowOutput) -> JournalRequest:
    (effect,) = out.effects
    return msgspec.json.decode(effect.payload, type=JournalRequest)


def total(journal: JournalRequest, entity: str, account: str) -> Decimal:
    return sum(
        (
            ln.debit - ln.credit
            for ln in journal.lines
            if ln.segments.entity == entity and ln.segments.account == account
        ),
        Decimal(0),
    )


def test_a_charge_accrues_revenue_carries_standard_cost_and_pairs_intercompany() -> None:
    f, state = cost_flow(), InMemoryState()
    journal = journal_of(run(f, charge(), state))
    assert journal.business_key == "journal:charge:RBMC|V1:1:48100020"
    assert all(balance == 0 for balance in entity_balances(journal).values())
    assert set(entity_balances(journal)) == {"RBH01", "RBPG04"}
    assert total(journal, "RBH01", C.patient_revenue) == Decimal("-28450.00")
    assert total(journal, "RBH01", C.unbilled_ar) == Decimal("28450.00")
    assert total(journal, "RBH01", C.procedure_cost) == Decimal("8000.00")
    assert total(journal, "RBH01", C.professional_cost) == Decimal("1200.50")
    due_to = total(journal, "RBH01", C.due_to_affiliate)
    due_from = total(journal, "RBPG04", C.due_from_affiliate)
    assert due_to == Decimal("-1200.50") and due_from + due_to == 0
    revenue = next(ln for ln in journal.lines if ln.segments.account == C.patient_revenue)
    assert revenue.segments.to_account_string() == "RBH01-7481-40000-CARD-RBPG"
    assert LedgerBook(state).journal(journal.business_key) == journal
    after_charge = balances(state)
    assert after_charge[("RBH01", C.unbilled_ar, "USD")] == Decimal("28450.00")
    assert after_charge[("RBPG04", C.due_from_affiliate, "USD")] == Decimal("1200.50")
    assert LedgerBook(state).entities() == ["RBH01", "RBPG04"]
    # A replay sends the journal recorded first and moves no balance.
    assert journal_of(run(f, charge(), state)) == journal
    assert balances(state) == after_charge

    reversal = journal_of(run(f, charge("-28450.00", TransactionType.CREDIT), state))
    assert total(reversal, "RBH01", C.patient_revenue) == Decimal("28450.00")
    assert total(reversal, "RBPG04", C.due_from_affiliate) == Decimal("-1200.50")
    assert set(balances(state).values()) == {Decimal("0.00")}


def test_an_unmapped_department_parks_on_a_finance_case() -> None:
    state = InMemoryState()
    out = run(cost_flow(), charge(department="RBH01-9999"), state)
    assert out.effects == [] and state.rows == {}
    assert [(c.case_key, c.owning_team) for c in out.cases] == [
        ("cost-center-miss:RBH01-9999", "finance")
    ]


def test_a_posting_into_a_closed_period_moves_to_the_next_open_one_with_its_reason() -> None:
    state = InMemoryState()
    calendar = PeriodCalendar(state)
    calendar.close(Period(2025, 3))
    calendar.close(Period(2025, 4))
    f = cost_flow()
    journal = journal_of(run(f, charge(), state))
    assert journal.posting_date == dt.date(2025, 5, 1)
    assert "late" in journal.description
    late = LedgerBook(state).posted(journal.business_key)
    assert late is not None and late.late is not None
    assert (
        late.late.original_date == dt.date(2025, 3, 3) and "2025-03 is closed" in late.late.reason
    )
    assert LedgerBook(state).balance("RBH01", C.unbilled_ar, through=Period(2025, 4)) == 0
    assert LedgerBook(state).balance("RBH01", C.unbilled_ar, through=Period(2025, 5)) > 0
    # A replay keeps the first decision even if the calendar changed since.
    calendar.close(Period(2025, 5))
    assert journal_of(run(f, charge(), state)).posting_date == dt.date(2025, 5, 1)


def test_supply_cost_splits_to_a_grant_and_credits_inventory_or_consignment() -> None:
    f, state = cost_flow(grant=True), InMemoryState()
    journal = journal_of(run(f, supply(quantity=Decimal(2)), state))
    assert total(journal, "RBH01", C.grant_expense) == Decimal("645.00")
    assert total(journal, "RBH01", C.supply_expense) == Decimal("1935.00")
    assert total(journal, "RBH01", C.inventory) == Decimal("-2580.00")
    assert any("GR-2291" in ln.memo for ln in journal.lines)
    consigned = run(f, supply("CV10491", idempotency_key="supply:pacer"), state)
    assert total(journal_of(consigned), "RBH01", C.consignment_payable) == Decimal("-6100.00")


def test_remittance_events_post_cash_adjustments_denials_and_write_offs() -> None:
    f, state = FinancePostingFlow(), InMemoryState()
    common: dict[str, Any] = {
        "entity": "RBH01", "payer_id": "87726", "trace_number": "EFT1",
        "remitted_on": dt.date(2025, 3, 20), "claim_id": "CLM1",
    }  # fmt: skip
    cases = [
        (ClaimPaid(idempotency_key="835:paid:1", amount=Decimal("900"), claim_status="1",
                   charge_amount=Decimal("1500"), **common), C.cash, C.insurance_ar),
        (ContractualAdjustmentPosted(idempotency_key="835:co:1", amount=Decimal("400"),
                                     group_code="CO", carc="45", adjustment_index=1, **common),
         C.contractual_allowance, C.insurance_ar),
        (ClaimDenied(idempotency_key="835:den:1", amount=Decimal("200"), group_code="CO",
                     carc="50", adjustment_index=2, category=next(iter(DenialCategory)),
                     owner_team="denials", suggested_action="appeal", **common),
         C.denials_pending, C.insurance_ar),
        (WriteOffPosted(idempotency_key="835:wo:1", amount=Decimal("200"), group_code="CO",
                        carc="50", adjustment_index=2, origin=WriteOffOrigin.DENIAL_RESOLUTION,
                        **common), C.denial_write_off, C.denials_pending),
        (ClaimPaid(idempotency_key="835:paid:2", amount=Decimal("-900"), claim_status="22",
                   charge_amount=Decimal("-1500"), **common), C.insurance_ar, C.cash),
    ]  # fmt: skip
    for event, debit, credit in cases:
        journal = journal_of(run(f, event, state))
        assert journal.business_key == f"journal:{event.idempotency_key}"
        assert [ln.segments.account for ln in journal.lines if ln.debit] == [debit]
        assert [ln.segments.account for ln in journal.lines if ln.credit] == [credit]
        assert sum(ln.debit for ln in journal.lines) == abs(event.amount)
    plb = ProviderLevelAdjustment(
        idempotency_key="835:plb:1", entity="RBH01", payer_id="87726", trace_number="EFT1",
        remitted_on=dt.date(2025, 3, 20), provider_id="P", reason_code="WO", reference="R",
        amount=Decimal("50"), adjustment_index=1,
    )  # fmt: skip
    out = run(f, plb, state)
    assert [ln.segments.account for ln in journal_of(out).lines] == [
        C.provider_level_adjustment,
        C.cash,
    ]
    # Paid 900, reversed; 400 allowed; 200 denied then written off; 50 provider-level.
    assert balances(state)[("RBH01", C.insurance_ar, "USD")] == Decimal("-600.00")
    assert balances(state)[("RBH01", C.cash, "USD")] == Decimal("-50.00")
    assert balances(state)[("RBH01", C.denials_pending, "USD")] == Decimal("0.00")
    assert run(f, plb, state).effects == out.effects  # a replay: same journal, posted once
    assert balances(state)[("RBH01", C.cash, "USD")] == Decimal("-50.00")
    nothing = run(
        f, msgspec.structs.replace(plb, idempotency_key="835:plb:0", amount=Decimal(0)), state
    )
    assert nothing.effects == []
    with pytest.raises(ValidationError, match="no payment date"):
        f.run(msgspec.structs.replace(plb, remitted_on=None), FlowOutput(state=InMemoryState()))


def test_a_cancelled_admission_reverses_its_supply_cost_on_the_cancel_day() -> None:
    f, state = cost_flow(), InMemoryState()
    original = journal_of(run(f, supply(quantity=Decimal(2)), state))
    event = VisitCancelled(
        idempotency_key="cancel:1",
        occurred_at=dt.datetime(2025, 3, 4, 8, 0, tzinfo=dt.UTC),
        patient=supply().patient,
        encounter=supply().encounter,
        cancelled=CancelledAction.ADMISSION,
    )
    cancelled = run(f, event, state)
    reversal = journal_of(cancelled)
    assert reversal.business_key == f"journal:reversal:{original.business_key}"
    assert reversal.posting_date == dt.date(2025, 3, 4)
    for account in (C.supply_expense, C.inventory):
        assert total(reversal, "RBH01", account) == -total(original, "RBH01", account) != 0
    # Reversed once: a replay sends the same reversal, and the books stay at zero.
    assert run(f, event, state).effects == cancelled.effects
    assert set(balances(state).values()) == {Decimal("0.00")}


class Payees:
    def entity(self, payee: str) -> str:
        return {"1234567893": "RBH01"}.get(payee, payee)


def test_the_payee_maps_to_its_entity_and_claims_post_in_parallel() -> None:
    f = FinancePostingFlow(payees=Payees())
    paid = ClaimPaid(
        idempotency_key="835:paid:9", entity="1234567893", payer_id="P", trace_number="T",
        remitted_on=dt.date(2025, 3, 20), claim_id="C9", amount=Decimal("10"),
        claim_status="1", charge_amount=Decimal("10"),
    )  # fmt: skip
    out = run(f, paid, InMemoryState())
    journal = journal_of(out)
    assert journal.entity == "RBH01"
    assert {ln.segments.entity for ln in journal.lines} == {"RBH01"}
    assert out.effects[0].ordering_key == "remittance:P:T:C9"
