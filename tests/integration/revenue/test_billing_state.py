"""patient-to-billing's ledger is business state: duplicates found across restarts and processes.

A day's DFT^P03 from the EHR simulator goes through the real engine. Sent again with new
transaction ids after the engine restarted (SQLite) or to another engine on the same PostgreSQL
schema, each charge is a duplicate of one already billed and is parked, not billed; a replay or a
re-delivery changes no charge position.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from careweave.app import build_engine
from careweave.config import parse_settings
from careweave.engine.clock import ManualClock
from careweave.engine.runtime import Engine
from careweave.engine.store.base import BaseStore
from careweave.engine.store.postgres import PostgresConfig, PostgresStore
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.flows.services import FlowServices
from careweave.model.rcm import CHARGE_CONTENT_TYPE, ENCOUNTER_CONTENT_TYPE
from careweave.model.records import IngestResult, MessageState
from careweave.model.state import StateTable
from careweave.revenue import ChargeValidationConfig, ChargeValidator, Icd10CmCodeSet
from careweave.revenue.charge_book import encounter_positions
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario
from careweave.sandbox.revenue_masters import billing_references, coverage_table

SETTINGS = parse_settings(
    """
[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
flows = ["patient-to-billing"]
source = { type = "mllp", port = 0 }

[[channels.destinations]]
name = "revenue-cycle"
payload = "none"
connector = { type = "null" }
"""
)
CLOCK = ManualClock(dt.datetime(2025, 3, 4, 12, tzinfo=dt.UTC))


@functools.cache
def services() -> FlowServices:
    scenario = generate_scenario(EhrScenarioConfig(seed=11, encounters_per_day=12))
    validator = ChargeValidator(ChargeValidationConfig(), Icd10CmCodeSet(), CLOCK)
    return FlowServices(
        billing=billing_references(scenario),
        coverage=coverage_table(scenario),
        charge_validator=validator,
        clock=CLOCK,
    )


@functools.cache
def charge_messages() -> tuple[bytes, ...]:
    """The day's DFT^P03 messages, in the order the EHR sent them."""
    scenario = generate_scenario(EhrScenarioConfig(seed=11, encounters_per_day=12))
    return tuple(m.raw for m in scenario.messages if b"|DFT^P03|" in m.raw[:80])


def resent(raw: bytes, suffix: str, *, new_lines: bool = True) -> bytes:
    """The message with a new MSH-10 and (``new_lines``) new FT1-2 transaction ids: the EHR
    posting the same services again, as new charges."""
    segments = []
    for segment in raw.split(b"\r"):
        fields = segment.split(b"|")
        if fields[0] == b"MSH":
            fields[9] += suffix.encode()
        elif fields[0] == b"FT1" and new_lines:
            fields[2] += suffix.encode()
        segments.append(b"|".join(fields))
    return b"\r".join(segments)


def engine_over(store: BaseStore) -> Engine:
    return build_engine(SETTINGS, store, services=services(), middleware=[])


async def charge_keys(store: BaseStore, result: IngestResult) -> list[str]:
    lineage = await store.lineage(result.message_id)
    return [e.idempotency_key for e in lineage.effects if e.content_type == CHARGE_CONTENT_TYPE]


async def cases_of(store: BaseStore, result: IngestResult) -> list[str]:
    lineage = await store.lineage(result.message_id)
    return [(await store.get_case(case_id)).reason_code for case_id in lineage.case_ids]


async def positions(store: BaseStore) -> dict[str, list[tuple[str, str]]]:
    found = encounter_positions(await store.state_rows(StateTable.CHARGE_POSITIONS))
    return {e: sorted((p.line_id, str(p.net_units)) for p in ps) for e, ps in found.items()}


async def test_a_duplicate_sent_after_a_restart_is_parked_and_a_replay_changes_nothing(
    tmp_path: Path,
) -> None:
    raw = charge_messages()[0]
    path = tmp_path / "careweave.db"
    first_store = SqliteStore(SqliteConfig(path=path))
    await first_store.open()
    first = engine_over(first_store)
    original, _ack = await first.receive_hl7("ehr", raw)
    assert original.state is MessageState.PROCESSED
    billed = await charge_keys(first_store, original)
    assert len(billed) > 3
    await first.stop()
    await first_store.close()

    store = SqliteStore(SqliteConfig(path=path))
    await store.open()
    engine = engine_over(store)
    try:
        before = await positions(store)
        duplicate, _ack = await engine.receive_hl7("ehr", resent(raw, "D"))
        assert duplicate.state is MessageState.PARKED
        assert await charge_keys(store, duplicate) == []
        assert await cases_of(store, duplicate) == ["DUPLICATE_CHARGE"] * len(billed)
        # The same charges re-delivered (new MSH-10 only): their own keys again, no case, no
        # second registration of the encounter; the positions do not move.
        redelivered, _ack = await engine.receive_hl7("ehr", resent(raw, "R", new_lines=False))
        assert redelivered.state is MessageState.PROCESSED
        assert await charge_keys(store, redelivered) == billed
        lineage = await store.lineage(redelivered.message_id)
        assert not [e for e in lineage.effects if e.content_type == ENCOUNTER_CONTENT_TYPE]
        # A replay of the original re-runs the flow: nothing new is queued or recorded.
        assert await engine.replay_message(original.message_id, reason="test") == 0
        assert await positions(store) == before
    finally:
        await engine.stop()
        await store.close()


@pytest.fixture
async def two_processes(postgres_url: str) -> AsyncIterator[Callable[[], BaseStore]]:
    """Opened PostgreSQL stores on one fresh schema, as two engine processes would have."""
    schema = f"cw_billing_{uuid.uuid4().hex[:10]}"
    opened: list[BaseStore] = []

    def open_store() -> BaseStore:
        store = PostgresStore(PostgresConfig(url=postgres_url, schema=schema))
        opened.append(store)
        return store

    try:
        yield open_store
    finally:
        for store in opened:
            await store.close()
        with psycopg.connect(postgres_url, autocommit=True) as pg:
            pg.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


@pytest.mark.postgres
async def test_two_engines_on_one_postgresql_schema_see_one_charge_ledger(
    two_processes: Callable[[], BaseStore],
) -> None:
    store_a, store_b = two_processes(), two_processes()
    await store_a.open()
    await store_b.open()
    a, b = engine_over(store_a), engine_over(store_b)
    first, second = charge_messages()[:2]
    original, _ack = await a.receive_hl7("ehr", first)
    billed = await charge_keys(store_a, original)
    assert billed
    duplicate, _ack = await b.receive_hl7("ehr", resent(first, "D"))
    assert duplicate.state is MessageState.PARKED
    assert await charge_keys(store_b, duplicate) == []
    assert await cases_of(store_b, duplicate) == ["DUPLICATE_CHARGE"] * len(billed)
    # The same new charges posted to both processes at once: one bills them, the other parks.
    results = await asyncio.gather(
        a.receive_hl7("ehr", second), b.receive_hl7("ehr", resent(second, "D"))
    )
    states = sorted(result.state for result, _ack in results)
    assert states == [MessageState.PARKED, MessageState.PROCESSED]
    keys = [await charge_keys(store_a, result) for result, _ack in results]
    assert sorted(len(k) for k in keys)[0] == 0
    assert await positions(store_a) == await positions(store_b)
