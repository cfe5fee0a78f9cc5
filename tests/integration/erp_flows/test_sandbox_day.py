"""Acceptance 1: a sandbox day through the engine into the ERP simulator over HTTP.

Every supply used is exactly one inventory movement (and, when consigned, one bill-only PO line);
on hand per location is opening stock minus consumption; every journal balances per entity and
currency; intercompany nets to zero per period; the reconciliation lists no unexplained break.
Closing the period then accrues unbilled revenue and moves a late charge to the next period, which
the reconciliation explains.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from careweave.erp.charge_facts import revenue_cycle_lines
from careweave.erp.close import close_report
from careweave.erp.periods import Period
from careweave.erp.reconciliation import reconcile
from careweave.erp.stored import stored_journals, stored_positions
from careweave.flows.supply_to_replenish import encounter_key
from careweave.masterdata import ChartOfAccounts
from careweave.model.records import EffectState
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario
from careweave.sandbox.erp_books import OPENING_STOCK, build_books
from tests.integration.erp_flows.expectations import (
    day_of,
    events_of,
    intercompany_by_period,
    ledger_from_erp,
    unbalanced,
)
from tests.integration.erp_flows.harness import erp_day

CHART = ChartOfAccounts()


async def test_a_sandbox_day_reaches_the_erp_once_and_reconciles(tmp_path: Path) -> None:
    scenario = generate_scenario(
        EhrScenarioConfig(seed=11, days=1, encounters_per_day=40, item_mismatch_rate=0.0)
    )
    messages = list(scenario.well_formed())
    supplies, charges = events_of(messages)
    assert len(supplies) >= 20 and len(charges) >= 100  # a day worth testing
    books = build_books(scenario)
    async with erp_day(tmp_path, books) as day:
        for message in messages:
            await day.engine.receive_hl7("ehr", message.raw)
        await day.settle()
        state = day.simulator.state
        assert await day.store.list_effects(destination="erp", state=EffectState.DEAD) == []
        assert await day.store.list_cases() == []

        # Every supply line: exactly one inventory movement, referenced by encounter and line.
        moves = [t for t in state.transactions() if t.reference != "opening"]
        by_reference = Counter(t.reference for t in moves)
        expected_refs = {f"{encounter_key(s)}/{s.line_id}" for s in supplies}
        assert set(by_reference) == expected_refs
        assert all(n == 1 for n in by_reference.values())
        implants = [t for t in moves if t.serial]
        assert implants and all(t.lot or t.serial for t in implants)

        # Consigned implants: one bill-only PO line each, naming patient, procedure, lot/serial.
        consigned = [
            s for s in supplies if scenario.catalog.get(s.item.code).consigned and s.quantity > 0
        ]
        bill_only = [po for po in state.purchase_orders() if po.bill_only]
        assert len(consigned) > 0 and len(bill_only) == len(consigned)
        po_serials = Counter(line.serial for po in bill_only for line in po.lines)
        assert po_serials == Counter(s.serial_number for s in consigned)
        for po in bill_only:
            (line,) = po.lines
            assert line.patient_id and line.procedure_code and line.procedure_date

        # On hand per location and item = opening - issues + returns, in the ERP and in careweave.
        expected: Counter[tuple[str, str]] = Counter()
        for s in supplies:
            location = books.locations.for_supply(s)
            match = books.crosswalk.resolve(s, day_of(s))
            assert location is not None and match is not None
            expected[(location.location_id, match.item.item_number)] += int(s.quantity)
        # careweave's own position is the store's business state, and agrees with the ERP.
        positions = await stored_positions(day.store, books.opening)
        for (location_id, item_number), used in expected.items():
            assert state.on_hand(item_number, location_id) == OPENING_STOCK - used
            assert positions[(location_id, item_number)].on_hand == OPENING_STOCK - used
        requisitions = state.requisitions()
        assert requisitions and all(r.reason == "par" for r in requisitions)
        ordered: Counter[tuple[str, str]] = Counter()
        for r in requisitions:
            for wanted in r.lines:
                ordered[(r.location_id, wanted.item_number)] += wanted.quantity
        assert {k: p.on_order for k, p in positions.items() if p.on_order} == dict(ordered)

        # The GL: every journal balances; intercompany nets to zero and is not vacuous.
        journals = state.journals()
        assert len(journals) == len(charges) + len(supplies)
        posted = await stored_journals(day.store)
        assert {p.journal.business_key for p in posted} == {j.external_id for j in journals}
        assert unbalanced(journals) == []
        accounts = (CHART.due_to_affiliate, CHART.due_from_affiliate)
        intercompany = intercompany_by_period(journals, accounts)
        assert intercompany and all(total == 0 for total in intercompany.values())
        assert any(
            line.segments.account == CHART.due_from_affiliate for j in journals for line in j.lines
        )
        assert len({j.external_id for j in journals}) == len(journals)

        revenue_cycle = revenue_cycle_lines(charges, books.cost_centers)
        result = reconcile(
            revenue_cycle, ledger_from_erp(journals), revenue_account=CHART.patient_revenue
        )
        assert result.revenue_cycle_total == result.general_ledger_total > 0
        assert result.unexplained == []

        # Month-end close: accrue unbilled revenue, lock March, post a late charge into April.
        close = json.dumps({"period": "2025-03", "requested_by": "controller"}).encode()
        _, processing = await day.engine.receive(
            "close", close, content_type="application/json", dedup_key="close:2025-03"
        )
        assert processing.error is None
        await day.settle()
        accruals = [j for j in state.journals() if "unbilled-accrual" in j.external_id]
        assert {j.entity for j in accruals} == {r.entity for r in revenue_cycle}
        assert all(str(j.posting_date) == "2025-03-31" for j in accruals)

        late_scenario = generate_scenario(
            EhrScenarioConfig(seed=12, days=1, encounters_per_day=6, item_mismatch_rate=0.0)
        )
        late = [m for m in late_scenario.well_formed() if m.message_type.startswith("DFT")][:1]
        assert late
        _, late_charges = events_of(late)
        await day.engine.receive_hl7("ehr", late[0].raw)
        await day.settle()
        posted = await stored_journals(day.store)
        moved = [p.late for p in posted if p.late is not None]
        assert moved and all(str(p.posting_date) == "2025-04-01" for p in moved)
        everything = state.journals()
        assert unbalanced(everything) == []
        after = reconcile(
            revenue_cycle + revenue_cycle_lines(late_charges, books.cost_centers),
            ledger_from_erp(everything),
            revenue_account=CHART.patient_revenue,
            late_postings=moved,
        )
        assert after.breaks, "the late charge must show as a break"
        assert after.unexplained == []
        report = close_report(posted, Period(2025, 3), CHART, reconciliation=after)
        assert "UNEXPLAINED" not in report.to_csv()
        assert "late posting" in report.to_csv()
        assert report.to_text().startswith("Close cycle 2025-03")
