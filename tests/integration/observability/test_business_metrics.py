"""The business gauges: charges routed, denials, and the money held on open exception cases."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from careweave.app.business_metrics import BusinessMetrics
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.model.records import MessageState, NewCase, NewEvent, NewMessage, Processing
from careweave.observability.metrics import Metrics

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def message(key: str) -> NewMessage:
    return NewMessage(
        channel="ehr",
        raw=f"MSH|^~\\&|EHR|A|CW|B|20260301||DFT^P03|{key}|P|2.5\r".encode(),
        content_type="application/hl7-v2",
        sender="test",
        received_at=NOW,
        trace_id="0" * 31 + "1",
        dedup_key=key,
    )


def event(kind: str, key: str, **fields: object) -> NewEvent:
    return NewEvent(event_type=kind, idempotency_key=key, payload=json.dumps(fields).encode())


def charge(key: str, amount: str) -> NewEvent:
    return event("ChargeCaptured", key, extended_amount={"amount": amount, "currency": "USD"})


def item_miss(code: str) -> NewCase:
    return NewCase(
        case_key=f"item-miss:{code}",
        reason_code="ITEM_NOT_IN_MASTER",
        owning_team="supply-chain",
        summary=f"EHR item {code} is not in the ERP item master",
        suggested_fix="map it in the item crosswalk",
    )


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SqliteStore]:
    opened = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
    await opened.open()
    try:
        yield opened
    finally:
        await opened.close()


async def scrape(metrics: Metrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    body, _ = await metrics.scrape()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(body.decode())
        for s in family.samples
    }


async def test_gauges_follow_the_store_scrape_after_scrape(store: SqliteStore) -> None:
    metrics = Metrics()
    metrics.on_scrape(BusinessMetrics(store, metrics))
    routed = [
        event("ChargeRouted", "L1", entity="RBH01", amount="100.00", late=False),
        event("ChargeRouted", "L2", entity="RBH01", amount="-40.00", late=True),
        event("ChargeRouted", "L3", entity="RBPG", amount="25.50", late=False),
    ]
    processed = Processing(state=MessageState.PROCESSED, events=tuple(routed))
    await store.ingest(message("M1"), processed)
    parked = Processing(
        state=MessageState.PARKED,
        events=(charge("C1", "1200.00"), charge("C2", "300.00")),
        cases=(item_miss("EHR-1"),),
    )
    await store.ingest(message("M2"), parked)
    denial = event("ClaimDenied", "D1", category="eligibility", amount="80.00")
    await store.ingest(message("M3"), Processing(state=MessageState.PROCESSED, events=(denial,)))

    found = await scrape(metrics)
    rbh = frozenset({("entity", "RBH01")})
    assert found[("careweave_charges_captured", rbh)] == 2
    assert found[("careweave_charges_captured_amount", rbh)] == 60.0
    assert found[("careweave_charges_late", rbh)] == 1
    assert found[("careweave_charges_captured", frozenset({("entity", "RBPG")}))] == 1
    eligibility = frozenset({("category", "eligibility")})
    assert found[("careweave_denials", eligibility)] == 1
    assert found[("careweave_denials_amount", eligibility)] == 80.0
    held = frozenset({("team", "supply-chain"), ("reason", "ITEM_NOT_IN_MASTER")})
    assert found[("careweave_cases_held_charges", held)] == 2
    assert found[("careweave_cases_held_value", held)] == 1500.0

    # What is stored next is added at the next scrape; a line routed again counts once.
    again = event("ChargeRouted", "L3", entity="RBPG", amount="30.00", late=False)
    await store.ingest(message("M4"), Processing(state=MessageState.PROCESSED, events=(again,)))
    [case] = await store.list_cases()
    await store.resolve_case(case.id, actor="test", resolution="mapped", now=NOW)
    found = await scrape(metrics)
    rbpg = frozenset({("entity", "RBPG")})
    assert found[("careweave_charges_captured", rbpg)] == 1
    assert found[("careweave_charges_captured_amount", rbpg)] == 30.0  # the latest
    assert not any(name == "careweave_cases_held_value" for name, _ in found)  # no open case
