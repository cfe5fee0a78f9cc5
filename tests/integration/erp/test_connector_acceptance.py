"""Acceptance: the ERP connector against the simulated ERP over real HTTP.

3. 300 journals through a 20 req/s limit, 503 bursts, slow answers and expiring tokens: none lost,
   none doubled. 4. Moving from API v1 to v2 is one configuration change.
"""

import datetime as dt
import logging
from collections import Counter
from decimal import Decimal
from typing import Any

import msgspec
import pytest

from careweave.connectors.erp import (
    ErpConfig,
    ErpConnector,
    ErpItem,
    GlSegments,
    InventoryTransactionRequest,
    JournalLine,
    JournalRequest,
    PurchaseOrderLine,
    PurchaseOrderRequest,
    RequisitionLine,
    RequisitionRequest,
)
from careweave.connectors.erp.config import ApiVersion
from careweave.connectors.erp.destination import ErpDestination
from careweave.exceptions import PermanentDeliveryError
from careweave.model.erp import JOURNAL
from careweave.model.records import Effect, EffectState
from careweave.sandbox.erp import (
    ErpSimulatorConfig,
    ErpSimulatorServer,
    FaultConfig,
    seed_demo_books,
)
from careweave.sandbox.erp.driver import drive_journals


def make_journals(count: int) -> list[JournalRequest]:
    journals = []
    for n in range(count):
        amount = Decimal(f"{100 + n}.{n % 100:02d}")
        journals.append(
            JournalRequest(
                business_key=f"case-{n:04d}/supply-cost/v1",
                entity="10" if n % 3 else "20",
                posting_date=dt.date(2026, 11, 27),
                description=f"Implant cost, case {n}",
                lines=[
                    JournalLine(GlSegments("10", "4010", "61000", "CARD", "PG1"), debit=amount),
                    JournalLine(GlSegments("10", "8400", "14000"), credit=amount, memo="stent"),
                ],
            )
        )
    return journals


def connector_for(
    server: ErpSimulatorServer, version: ApiVersion = "v2", **overrides
) -> ErpConnector:
    settings: dict[str, Any] = {
        "base_url": server.base_url,
        "client_id": "careweave",
        "api_version": version,
        "rate_limit": 20.0,
    } | overrides
    secret = settings.pop("secret", "careweave-secret")
    return ErpConnector(ErpConfig(**settings), secret=secret)


def assert_each_posted_once(
    server: ErpSimulatorServer, journals: list[JournalRequest], report
) -> None:
    posted = server.simulator.state.journals()
    by_external = Counter(j.external_id for j in posted)
    expected = {j.business_key for j in journals}
    assert set(by_external) == expected, "a journal was lost or invented"
    assert max(by_external.values()) == 1, "a journal was posted twice"
    assert report.failures == {}
    ids = {j.external_id: j.journal_id for j in posted}
    assert {k: o.document_id for k, o in report.outcomes.items()} == ids
    amounts = {j.external_id: j.lines[0].debit for j in posted}
    assert amounts == {j.business_key: j.lines[0].debit for j in journals}


CHAOS = ErpSimulatorConfig(
    token_ttl=2.0,
    rate_limit=20.0,
    rate_burst=20,
    faults=FaultConfig(
        seed=11, burst_probability=0.06, burst_length=3, slow_probability=0.05, slow_seconds=0.5
    ),
)


async def test_300_journals_in_bulk_through_chaos_none_lost_none_doubled(serve_erp):
    server = serve_erp(CHAOS)
    journals = make_journals(300)
    async with connector_for(
        server, batch_size=5, read_timeout=0.3, token_refresh_leeway=0.5
    ) as erp:
        report = await drive_journals(erp, journals, bulk=True, concurrency=4)
        tokens_fetched = erp.tokens.fetched
    assert_each_posted_once(server, journals, report)
    view = server.simulator.admin_view()
    assert view["gateway"]["unavailable"] > 0, "the run met no 503 burst"
    assert tokens_fetched >= 2 and view["tokens_issued"] == tokens_fetched
    assert report.transient_errors > 0


async def test_single_posts_retried_after_timeouts_are_replayed_not_doubled(serve_erp):
    server = serve_erp(CHAOS)
    journals = make_journals(60)
    async with connector_for(server, read_timeout=0.3, token_refresh_leeway=0.5) as erp:
        report = await drive_journals(erp, journals, bulk=False, concurrency=4)
    assert_each_posted_once(server, journals, report)
    gateway = server.simulator.gateway
    assert gateway.faults.slow_answers > 0, "the run met no slow answer"
    assert gateway.counters.replayed > 0, "no retry reached the ERP after a timeout"
    assert any(o.status == "replayed" for o in report.outcomes.values())


async def test_429_retry_after_is_honoured_when_the_client_outruns_the_erp(serve_erp):
    server = serve_erp(ErpSimulatorConfig(rate_limit=20.0, rate_burst=5))
    journals = make_journals(40)
    async with connector_for(server, rate_limit=60.0, rate_burst=5) as erp:
        report = await drive_journals(erp, journals, bulk=False, concurrency=4)
    assert_each_posted_once(server, journals, report)
    assert server.simulator.gateway.counters.rate_limited > 0


async def test_a_revoked_token_is_refreshed_once_on_401(serve_erp):
    server = serve_erp()
    first, second = make_journals(2)
    async with connector_for(server) as erp:
        await erp.post_journal(first)
        server.simulator.issuer.revoke_all()
        outcome = await erp.post_journal(second)
    assert outcome.status == "posted"
    assert server.simulator.gateway.counters.unauthorized == 1
    assert server.simulator.issuer.issued == 2


async def post_everything(server: ErpSimulatorServer, version: ApiVersion) -> ErpConnector:
    journals = make_journals(12)
    items = [
        ErpItem("STENT-A", "Stent A", "EA", Decimal("1450.00"), "4006381333931", "CV", "A", True),
        ErpItem("SUT-B", "Suture B", "BX", Decimal("42.00")),
    ]
    erp = connector_for(server, version, batch_size=5)
    async with erp:
        assert {o.status for o in await erp.upsert_items(items)} == {"posted"}
        assert await erp.get_item("STENT-A") == items[0]
        assert await erp.get_item("NOPE") is None
        await erp.post_journal(journals[0])
        outcomes = await erp.post_journals(journals)
    assert [o.status for o in outcomes] == ["replayed"] + ["posted"] * 11
    return erp


async def test_moving_from_v1_to_v2_is_one_setting_and_gives_the_same_books(serve_erp, caplog):
    v1_server, v2_server = serve_erp(), serve_erp()
    with caplog.at_level(logging.WARNING, logger="careweave.connectors.erp"):
        v1 = await post_everything(v1_server, "v1")
        v1_warnings = [r.getMessage() for r in caplog.records if "deprecated" in r.getMessage()]
        caplog.clear()
        v2 = await post_everything(v2_server, "v2")
        v2_warnings = [r.getMessage() for r in caplog.records if "deprecated" in r.getMessage()]
    assert v1_server.simulator.state.journals() == v2_server.simulator.state.journals()
    assert v1_server.simulator.state.items() == v2_server.simulator.state.items()
    assert len(v1_server.simulator.state.journals()) == 12
    assert len(v1_warnings) == 1 and "ERP API v1 is deprecated" in v1_warnings[0]
    assert v1.deprecation is not None and v1.deprecation.successor == "/api/v2"
    assert v2_warnings == [] and v2.deprecation is None


async def test_inventory_requisition_and_bill_only_po(serve_erp):
    server = serve_erp()
    seed_demo_books(server.simulator.state)
    issue = InventoryTransactionRequest(
        "case-7/stent/issue",
        "issue",
        "STENT-DES-3015",
        "MAIN-CATHLAB",
        1,
        "LOT9",
        "SN123",
        "case-7",
    )
    requisition = RequisitionRequest(
        "case-7/replenish", "MAIN-CATHLAB", [RequisitionLine("STENT-DES-3015", 1)]
    )
    po_line = PurchaseOrderLine(
        "STENT-DES-3015",
        1,
        Decimal("1450.00"),
        "P-1",
        "92928",
        dt.date(2026, 11, 27),
        "LOT9",
        "SN123",
    )
    order = PurchaseOrderRequest("case-7/bill-only", "CardioVasc", "10", [po_line], bill_only=True)
    async with connector_for(server) as erp:
        first = await erp.record_inventory_transaction(issue)
        again = await erp.record_inventory_transaction(issue)
        on_hand = await erp.on_hand("STENT-DES-3015", "MAIN-CATHLAB")
        req = await erp.create_requisition(requisition)
        po = await erp.create_purchase_order(order)
        po_again = await erp.create_purchase_order(order)
    assert (first.status, again.status) == ("posted", "replayed")
    assert first.document_id == again.document_id
    assert on_hand == 9
    assert req.document_id == "RQ-0000001"
    assert (po.document_id, po_again.status) == ("PO-0000001", "replayed")
    state = server.simulator.state
    assert (
        len(state.purchase_orders()) == 1 and state.purchase_orders()[0].lines[0].serial == "SN123"
    )
    assert state.counts()["inventory_transactions"] == 13


def effect_for(journal: JournalRequest, content_type: str, key: str) -> Effect:
    now = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    return Effect(
        id=7,
        message_id=3,
        destination="erp",
        idempotency_key=key,
        ordering_key=None,
        content_type=content_type,
        payload=msgspec.json.encode(journal),
        state=EffectState.PENDING,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
        last_error=None,
    )


async def test_engine_effects_are_delivered_once_under_their_idempotency_key(serve_erp):
    server = serve_erp()
    journal = make_journals(1)[0]
    destination = ErpDestination(connector_for(server))
    effect = effect_for(journal, JOURNAL, "enc-9/charge-2/v1")
    try:
        first = await destination.deliver(effect)
        again = await destination.deliver(effect)
        with pytest.raises(PermanentDeliveryError, match="cannot deliver 'text/plain'"):
            await destination.deliver(effect_for(journal, "text/plain", "x"))
    finally:
        await destination.close()
    (posted,) = server.simulator.state.journals()
    assert posted.external_id == "enc-9/charge-2/v1"
    assert (first.status, first.response) == (201, posted.journal_id)
    assert (again.status, again.response) == (200, posted.journal_id)
