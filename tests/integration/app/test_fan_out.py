"""Flows as one orchestration: a procedure event fans out, and a failing branch blocks no other.

One ``ehr`` channel runs patient-to-billing, supply-to-replenish and cost-allocation on the same
DFT^P03s (built by the composition root from settings, as ``careweave run`` builds it). A DFT whose
implant code is missing from the crosswalk parks on a supply-chain case, yet its charges are queued
for the revenue-cycle platform and delivered in the same commit; fixing the crosswalk replays the
message, and then only the supply branch's work is added: no charge is sent twice.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from pathlib import Path

from careweave.app import build_application
from careweave.config import parse_settings
from careweave.engine.store.base import BaseStore
from careweave.erp.item_miss import fix_item_miss
from careweave.model.erp import INVENTORY_TRANSACTION, JOURNAL
from careweave.model.rcm import CHARGE_CONTENT_TYPE
from careweave.model.records import CaseState, Effect, EffectState, MessageState
from careweave.sandbox.erp_books import SINCE, erp_item_number
from tests.integration.app.fan_out import FAN_OUT_CHANNEL, unknown_implant_case

SETTINGS = (
    """
[engine]
data_dir = "{data_dir}"
log_level = "error"
"""
    + FAN_OUT_CHANNEL
)


async def _settle(store: BaseStore) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        counts = await store.counts()
        if not counts.get("effects.pending", 0) and not counts.get("effects.in_flight", 0):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"effects still open: {await store.counts()}")


async def test_an_unknown_implant_parks_its_supply_branch_while_its_charges_go_to_billing(
    tmp_path: Path,
) -> None:
    fanout = unknown_implant_case()
    charges, unknown, books = fanout.charges, fanout.unknown, fanout.books
    services = fanout.services
    settings = parse_settings(SETTINGS.format(data_dir=tmp_path))
    application = build_application(
        settings, settings_dir=tmp_path, env={}, services=services, middleware=[]
    )
    async with application:
        await application.start(listen=False)
        engine, store = application.engine, application.store
        result, _ack = await engine.receive_hl7("ehr", fanout.raw)
        await _settle(store)

        parked = await store.get_message(result.message_id)
        assert parked.state is MessageState.PARKED, parked.error
        [case] = await store.list_cases(case_key=f"item-miss:{unknown.item.code}")
        assert case.owning_team == "supply-chain" and case.message_ids == [result.message_id]

        def by_kind(effects: list[Effect]) -> Counter[str]:
            return Counter(e.content_type for e in effects)

        lineage = await store.lineage(result.message_id)
        before = {(e.destination, e.idempotency_key) for e in lineage.effects}
        charged = [e for e in lineage.effects if e.content_type == CHARGE_CONTENT_TYPE]
        # The billing branch went on: every charge of the message was delivered to the platform.
        assert len(charged) == len(charges) > 0
        assert all(e.state is EffectState.DELIVERED for e in charged)
        # The supply branch stopped at the unknown implant: no movement or journal of it.
        assert not any(unknown.line_id in e.idempotency_key for e in lineage.effects)

        code = unknown.item.code
        fix = await fix_item_miss(
            engine,
            books.crosswalk,
            code,
            erp_item_number(code),
            actor="test",
            effective_from=SINCE,
            source="test",
        )
        assert fix.replayed == 1
        await _settle(store)

        after = await store.lineage(result.message_id)
        still_open = [c.case_key for c in await store.list_cases(state=CaseState.OPEN)]
        assert (await store.get_message(result.message_id)).state is MessageState.PROCESSED, (
            still_open
        )
        assert (await store.get_case(case.id)).state is CaseState.RESOLVED
        added = [e for e in after.effects if (e.destination, e.idempotency_key) not in before]
        # Only the supply branch's work was added; the charges were not queued again.
        assert added and CHARGE_CONTENT_TYPE not in by_kind(added)
        assert {INVENTORY_TRANSACTION, JOURNAL} <= set(by_kind(added))
        assert any(unknown.line_id in e.idempotency_key for e in added)
        keys = Counter((e.destination, e.idempotency_key) for e in after.effects)
        assert all(n == 1 for n in keys.values()), "an effect was queued twice"
