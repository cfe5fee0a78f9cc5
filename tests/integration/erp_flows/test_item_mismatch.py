"""Acceptance 2: an item code missing from the crosswalk, end to end.

N transactions with the code park on one supply-chain case with a ranked suggestion (the ERP item
with the same GTIN); everything else reaches the ERP. Adding the crosswalk entry once resolves the
case and replays all N: inventory and GL are then right, nothing is doubled, and the case's audit
trail shows opened, linked, resolved, replayed.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from careweave.erp.item_miss import fix_item_miss
from careweave.flows.supply_to_replenish import encounter_key
from careweave.masterdata import ChartOfAccounts, CrosswalkFile
from careweave.model.records import CaseState, MessageState
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario
from careweave.sandbox.erp_books import OPENING_STOCK, SINCE, build_books, erp_item_number
from tests.integration.erp_flows.expectations import events_of, unbalanced
from tests.integration.erp_flows.harness import erp_day

CHART = ChartOfAccounts()


async def test_a_crosswalk_miss_parks_n_transactions_and_one_fix_replays_them(
    tmp_path: Path,
) -> None:
    scenario = generate_scenario(
        EhrScenarioConfig(seed=4, days=2, encounters_per_day=40, item_mismatch_rate=0.15)
    )
    messages = list(scenario.well_formed())
    supplies, _charges = events_of(messages)
    missing = scenario.catalog.missing_from_erp
    uses = Counter(s.item.code for s in supplies if s.item.code in missing)
    code, n_supplies = uses.most_common(1)[0]
    assert n_supplies >= 2, "the scenario must use a missing code more than once"
    books = build_books(scenario, crosswalk_missing=missing)
    parked_supplies = [s for s in supplies if s.item.code == code]
    parked_refs = {f"{encounter_key(s)}/{s.line_id}" for s in parked_supplies}

    async with erp_day(tmp_path, books) as day:
        for message in messages:
            await day.engine.receive_hl7("ehr", message.raw)
        await day.settle()
        state = day.simulator.state

        cases = await day.store.list_cases(case_key=f"item-miss:{code}")
        assert len(cases) == 1
        case = cases[0]
        assert case.owning_team == "supply-chain"
        assert case.reason_code == "ITEM_NOT_IN_CROSSWALK"
        wanted = erp_item_number(code)
        assert wanted in case.suggested_fix
        assert case.details[1].startswith(f"suggestion: {wanted}")
        assert "same GTIN" in case.details[1]
        parked_messages = case.message_ids
        assert 1 <= len(parked_messages) <= n_supplies
        for message_id in parked_messages:
            assert (await day.store.get_message(message_id)).state is MessageState.PARKED
        # Other missing codes have their own cases; one case per code, never one per message.
        all_cases = await day.store.list_cases()
        assert len(all_cases) == len(uses)

        moved = Counter(t.reference for t in state.transactions() if t.reference != "opening")
        assert not parked_refs & set(moved)
        resolved_refs = {
            f"{encounter_key(s)}/{s.line_id}" for s in supplies if s.item.code not in missing
        }
        assert resolved_refs <= set(moved)  # unaffected work went on
        journals_before = len(state.journals())

        crosswalk_file = CrosswalkFile(tmp_path / "crosswalk.csv")
        fix = await fix_item_miss(
            day.engine,
            books.crosswalk,
            code,
            wanted,
            actor="jdoe",
            effective_from=SINCE,
            crosswalk_file=crosswalk_file,
            source="cli",
        )
        assert fix.case_ids == [case.id]
        assert fix.replayed == len(parked_messages)
        await day.settle()

        moved = Counter(t.reference for t in state.transactions() if t.reference != "opening")
        assert parked_refs <= set(moved)
        assert all(count == 1 for count in moved.values()), "a replay doubled a movement"
        used: Counter[str] = Counter()
        for s in parked_supplies:
            location = books.locations.for_supply(s)
            assert location is not None
            used[location.location_id] += int(s.quantity)
        for location_id, quantity in used.items():
            assert state.on_hand(wanted, location_id) == OPENING_STOCK - quantity
        journals = state.journals()
        assert len(journals) == journals_before + n_supplies
        assert len({j.external_id for j in journals}) == len(journals)
        assert unbalanced(journals) == []
        expense = sum(
            line.debit
            for j in journals
            for line in j.lines
            if line.memo.startswith(f"{wanted} x") and line.segments.account == CHART.supply_expense
        )
        item = books.crosswalk.item(wanted)
        assert item is not None
        assert expense == item.standard_cost * sum(int(s.quantity) for s in parked_supplies)

        closed = await day.store.get_case(case.id)
        assert closed.state is CaseState.RESOLVED
        actions = [e.action for e in closed.audit]
        assert actions[0] == "opened"
        assert actions.count("linked") >= len(parked_messages)
        assert actions[-2:] == ["resolved", "replayed"]
        assert closed.audit[-2].actor == "jdoe" and code in (closed.resolution or "")
        still_open = {m for c in await day.store.list_cases() for m in c.message_ids}
        for message_id in parked_messages:
            # Processed now, unless the message also carries another code that is still missing.
            expected = MessageState.PARKED if message_id in still_open else MessageState.PROCESSED
            assert (await day.store.get_message(message_id)).state is expected
        assert [e.code for e in crosswalk_file.load() if e.source == "cli"] == [code]
