"""Stock and ledger are business state in the store: they survive a restart, a replay and a failure.

A sandbox day's HL7 messages (supplies, charges, procedures) go through the engine's
supply-to-replenish and cost-allocation flows. The figures are read back with
``store.state_rows`` (``careweave.erp.stored``), never from a flow instance:

- stopping and reopening store and engine leaves the same rows, and the next messages continue
  from them (their par requisitions are those of an uninterrupted run);
- a replayed message moves no stock, posts no journal and moves no balance a second time;
- a message that ends in ERROR leaves every row as it was;
- on PostgreSQL, two engines sharing one schema, each taking half of the day, end with the on hand
  and the balances of one engine taking all of it.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from careweave.app import build_engine
from careweave.codecs.hl7v2 import parse_message
from careweave.config import parse_settings
from careweave.engine.runtime import Engine
from careweave.engine.store.base import BaseStore
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.erp.inventory import Movement
from careweave.erp.ledger import account_balances
from careweave.erp.stored import balance_totals, stored_balances, stored_positions
from careweave.flows.supply_to_replenish import encounter_key
from careweave.mappings.hl7v2_clinical import map_message
from careweave.model.clinical import ClinicalEvent
from careweave.model.erp import REQUISITION, RequisitionRequest
from careweave.model.records import MessageQuery, MessageState
from careweave.model.state import StateTable
from careweave.sandbox.ehr import EhrScenarioConfig, GeneratedMessage, generate_scenario
from careweave.sandbox.erp_books import OPENING_STOCK, REORDER_POINT, ScenarioBooks, build_books
from tests.integration.erp_flows.expectations import events_of
from tests.integration.store.conftest import StoreFactory

SETTINGS = """
[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
flows = ["supply-to-replenish", "cost-allocation"]
source = { type = "mllp", port = 0 }
[[channels.destinations]]
name = "erp"
payload = "events"
event_types = ["NoSuchEvent"]
connector = { type = "null" }
"""

ERP_TABLES = (
    StateTable.INVENTORY_POSITIONS,
    StateTable.INVENTORY_MOVEMENTS,
    StateTable.ENCOUNTER_SUPPLIES,
    StateTable.ENCOUNTER_COSTS,
    StateTable.LEDGER_JOURNALS,
    StateTable.LEDGER_BALANCES,
    StateTable.LEDGER_ENTITIES,
    StateTable.PERIODS,
)
Rows = dict[StateTable, list[tuple[str, bytes]]]


def day(seed: int = 11, encounters: int = 40) -> tuple[list[GeneratedMessage], ScenarioBooks]:
    scenario = generate_scenario(
        EhrScenarioConfig(seed=seed, days=1, encounters_per_day=encounters, item_mismatch_rate=0.0)
    )
    return list(scenario.well_formed()), build_books(scenario)


@asynccontextmanager
async def engine_on(store: BaseStore, books: ScenarioBooks) -> AsyncIterator[Engine]:
    engine = build_engine(parse_settings(SETTINGS), store, middleware=[], services=books.services())
    await engine.start(listen=False, deliver=False)
    try:
        yield engine
    finally:
        await engine.stop()


async def feed(engine: Engine, messages: Sequence[GeneratedMessage]) -> None:
    for message in messages:
        result, _ack = await engine.receive_hl7("ehr", message.raw)
        assert result.state is MessageState.PROCESSED, result


async def rows(store: BaseStore, tables: Sequence[StateTable] = ERP_TABLES) -> Rows:
    return {table: await store.state_rows(table) for table in tables}


async def on_hand(store: BaseStore) -> dict[tuple[str, str], int]:
    return {slot: p.on_hand for slot, p in (await stored_positions(store)).items()}


async def balances(store: BaseStore) -> dict[tuple[str, str, str], Decimal]:
    return balance_totals(await stored_balances(store))


async def requisitions(store: BaseStore) -> dict[str, RequisitionRequest]:
    effects = await store.list_effects(destination="erp", limit=100_000)
    return {
        e.idempotency_key: msgspec.json.decode(e.payload or b"", type=RequisitionRequest)
        for e in effects
        if e.content_type == REQUISITION
    }


def sqlite_store(path: Path) -> SqliteStore:
    return SqliteStore(SqliteConfig(path=path))


async def test_a_restart_reads_stock_and_ledger_back_and_the_next_messages_continue_from_them(
    tmp_path: Path,
) -> None:
    messages, books = day()
    half = len(messages) // 2
    # The reference: one engine, one run, the whole day.
    reference = sqlite_store(tmp_path / "reference.db")
    await reference.open()
    try:
        async with engine_on(reference, books) as engine:
            await feed(engine, messages)
        expected_rows = await rows(reference)
        expected_requisitions = await requisitions(reference)
    finally:
        await reference.close()

    path = tmp_path / "restarted.db"
    first = sqlite_store(path)
    await first.open()
    async with engine_on(first, books) as engine:
        await feed(engine, messages[:half])
    before = await rows(first)
    raised_before = await requisitions(first)
    await first.close()
    assert before[StateTable.LEDGER_BALANCES] and before[StateTable.INVENTORY_POSITIONS]

    second = sqlite_store(path)
    await second.open()
    try:
        assert await rows(second) == before  # what the first process committed, read back
        async with engine_on(second, books) as engine:
            await feed(engine, messages[half:])
        after = await rows(second)
        assert after == expected_rows
        assert await requisitions(second) == expected_requisitions
        # Some requisition of the second run was decided from stock the first run moved: the
        # second run's own issues at that slot would not have reached the reorder point.
        used_later = issued(after) - issued(before)
        decided_from_stored = [
            r
            for key, r in expected_requisitions.items()
            if key not in raised_before
            and used_later[(r.location_id, r.lines[0].item_number)] < OPENING_STOCK - REORDER_POINT
        ]
        assert decided_from_stored
    finally:
        await second.close()


def issued(state: Rows) -> Counter[tuple[str, str]]:
    """Units issued per (location, item), from the movement rows."""
    used: Counter[tuple[str, str]] = Counter()
    for key, value in state[StateTable.INVENTORY_MOVEMENTS]:
        if key.startswith("inventory:"):
            moved = msgspec.json.decode(value, type=Movement)
            used[(moved.location_id, moved.item_number)] -= moved.quantity
    return used


async def test_a_replay_moves_no_stock_and_posts_no_journal_a_second_time(tmp_path: Path) -> None:
    messages, books = day()
    store = sqlite_store(tmp_path / "cw.db")
    await store.open()
    try:
        async with engine_on(store, books) as engine:
            await feed(engine, messages)
            settled = await rows(store)
            stored = await store.list_messages(MessageQuery(limit=10_000))
            assert len(stored) == len(messages)
            busiest = max(stored, key=lambda m: len(m.raw or b""))
            assert await engine.replay_message(busiest.id, reason="test") == 0
            assert await rows(store) == settled
            for message in sorted(stored, key=lambda m: m.id):
                assert await engine.replay_message(message.id, reason="test") == 0
            assert await rows(store) == settled
            assert await balances(store) == balance_totals(
                account_balances(settled[StateTable.LEDGER_BALANCES])
            )
    finally:
        await store.close()


def with_bad_last_supply(raw: bytes) -> bytes:
    """The message under a new control id, its last supply line's quantity made fractional."""
    parts = re.split(rb"(\r\n|\r|\n)", raw)  # segments at even indexes, separators between
    last = max(i for i in range(0, len(parts), 2) if parts[i].startswith(b"ZSU|"))
    fields = parts[last].split(b"|")
    fields[3] = b"1.5"
    parts[last] = b"|".join(fields)
    msh = parts[0].split(b"|")
    msh[9] += b"X"
    parts[0] = b"|".join(msh)
    return b"".join(parts)


async def test_a_message_in_error_leaves_stock_and_ledger_untouched(tmp_path: Path) -> None:
    messages, books = day()
    target = next(i for i, m in enumerate(messages) if m.raw.count(b"\rZSU|") >= 2 and i > 0)
    store = sqlite_store(tmp_path / "cw.db")
    await store.open()
    try:
        async with engine_on(store, books) as engine:
            await feed(engine, messages[:target])
            before = await rows(store)
            effects_before = await store.list_effects(limit=100_000)
            result, _ack = await engine.receive_hl7(
                "ehr", with_bad_last_supply(messages[target].raw)
            )
            assert result.state is MessageState.ERROR
            assert await rows(store) == before
            assert await store.list_effects(limit=100_000) == effects_before
            # The same message without the bad line does move stock and post journals.
            await feed(engine, messages[target : target + 1])
            after = await rows(store)
            for table in (StateTable.INVENTORY_POSITIONS, StateTable.LEDGER_BALANCES):
                assert after[table] != before[table]
    finally:
        await store.close()


def encounter_of(message: GeneratedMessage) -> str:
    """The encounter a message is about (its control id when it names none)."""
    for event in map_message(parse_message(message.raw)):
        if isinstance(event, ClinicalEvent):
            return encounter_key(event)
    return message.raw.split(b"|")[9].decode()


@pytest.mark.postgres
async def test_two_engines_on_one_postgres_schema_end_where_one_engine_ends(
    tmp_path: Path, postgres_url: str
) -> None:
    messages, books = day(seed=21)
    reference = sqlite_store(tmp_path / "reference.db")
    await reference.open()
    try:
        async with engine_on(reference, books) as engine:
            await feed(engine, messages)
        expected = (await on_hand(reference), await balances(reference))
        expected_rows = await rows(reference)
    finally:
        await reference.close()

    # An encounter's messages stay in order on one engine; the two engines run side by side.
    encounters = sorted({encounter_of(m) for m in messages})
    first_half = set(encounters[::2])
    shares = (
        [m for m in messages if encounter_of(m) in first_half],
        [m for m in messages if encounter_of(m) not in first_half],
    )
    assert all(shares)
    factory = StoreFactory("postgres", tmp_path, postgres_url)
    try:
        one, two = await factory.open(), await factory.open()
        async with engine_on(one, books) as a, engine_on(two, books) as b:
            await asyncio.gather(feed(a, shares[0]), feed(b, shares[1]))
        assert (await on_hand(one), await balances(one)) == expected
        assert (await on_hand(two), await balances(two)) == expected
        got = await rows(two)
        for table in (StateTable.LEDGER_JOURNALS, StateTable.ENCOUNTER_COSTS):
            assert got[table] == expected_rows[table]
        movements = {k for k, _v in got[StateTable.INVENTORY_MOVEMENTS] if k.startswith("inv")}
        assert movements == {
            k for k, _v in expected_rows[StateTable.INVENTORY_MOVEMENTS] if k.startswith("inv")
        }
        issues = [k for k in movements if k.startswith("inventory:")]
        assert len(issues) == len(events_of(messages)[0])
    finally:
        await factory.cleanup()
