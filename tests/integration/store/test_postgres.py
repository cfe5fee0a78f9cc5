"""PostgreSQL-only behaviour: several processes sharing one database."""

from __future__ import annotations

import asyncio
import itertools
import random
import time
from collections import defaultdict

import psycopg
import pytest
from psycopg import sql

from careweave.engine.store.migrations import load_migrations
from careweave.engine.store.postgres import PostgresConfig, PostgresStore
from careweave.exceptions import StoreError
from careweave.model.records import AttemptOutcome, Effect, EffectState
from tests.integration.store.builders import NOW, effect, message, outcome, processed
from tests.integration.store.conftest import StoreFactory

pytestmark = pytest.mark.postgres

EFFECTS = 2_000
KEYS = 50


@pytest.fixture
def pg(tmp_path, postgres_url) -> StoreFactory:
    return StoreFactory("postgres", tmp_path, postgres_url)


@pytest.fixture
async def postgres_stores(pg: StoreFactory):
    try:
        yield pg
    finally:
        await pg.cleanup()


async def test_two_processes_claiming_deliver_each_effect_once_in_key_order(postgres_stores):
    first, second = await postgres_stores.open(), await postgres_stores.open()
    for start in range(0, EFFECTS, 500):
        await asyncio.gather(
            *(
                first.ingest(
                    message(trace_id=f"t{i}"),
                    processed(effect(f"e{i}", ordering_key=f"k{i % KEYS}")),
                )
                for i in range(start, start + 500)
            )
        )
    delivered: list[Effect] = []
    claimed_at: dict[int, float] = {}
    completing_at: dict[int, float] = {}
    rng = random.Random(7)

    async def work(store: PostgresStore, name: str) -> None:
        idle = 0
        while idle < 3:
            batch = await store.claim_effects("rcm", worker=name, limit=25, lease=600, now=NOW)
            now = time.monotonic()
            if not batch:
                idle += 1
                await asyncio.sleep(0.005)
                continue
            idle = 0
            for e in batch:
                claimed_at[e.id] = now
            await asyncio.sleep(rng.random() * 0.003)  # the no-op destination takes a moment
            delivered.extend(batch)
            now = time.monotonic()
            for e in batch:
                completing_at[e.id] = now
            verdicts = [outcome(e, AttemptOutcome.DELIVERED, worker=name) for e in batch]
            assert await store.complete_effects(verdicts) == len(batch)

    await asyncio.gather(
        work(first, "p1-a"), work(first, "p1-b"), work(second, "p2-a"), work(second, "p2-b")
    )

    ids = [e.id for e in delivered]
    assert len(ids) == EFFECTS
    assert len(set(ids)) == EFFECTS
    by_key: dict[str | None, list[int]] = defaultdict(list)
    for e in delivered:
        by_key[e.ordering_key].append(e.id)
    assert len(by_key) == KEYS
    for key, key_ids in by_key.items():
        assert key_ids == sorted(key_ids), f"key {key} delivered out of order"
        # A successor must never have been claimed before its predecessor's completion began.
        for before, after in itertools.pairwise(key_ids):
            assert claimed_at[after] >= completing_at[before], f"{key}: {after} overlapped {before}"
    counts = await second.counts()
    assert counts["effects.delivered"] == EFFECTS
    assert "effects.in_flight" not in counts


async def test_two_processes_starting_at_once_migrate_once(postgres_stores):
    a, b = await asyncio.gather(postgres_stores.open(), postgres_stores.open())
    assert await a.migrate() == []
    with psycopg.connect(postgres_stores.postgres_url) as conn:
        conn.execute(
            sql.SQL("SET search_path TO {}").format(sql.Identifier(postgres_stores.schema))
        )
        names = [r[0] for r in conn.execute("SELECT name FROM schema_migrations").fetchall()]
    assert names == [m.name for m in load_migrations("postgres")]
    stored = await a.ingest(message(), processed(effect("x")))
    assert (await b.get_message(stored.message_id)).trace_id == "trace-1"


async def test_concurrent_ingests_share_transactions(postgres_stores):
    store = await postgres_stores.open()
    await asyncio.gather(
        *(store.ingest(message(trace_id=f"t{i}"), processed(effect(f"e{i}"))) for i in range(300))
    )
    # Group commit: 300 callers waiting together are written in a few transactions, not 300.
    assert 1 <= store.ingest_batches <= 10
    assert (await store.counts())["effects.pending"] == 300


async def test_one_bad_message_does_not_fail_its_batch(postgres_stores):
    store = await postgres_stores.open()
    good = [store.ingest(message(trace_id=f"ok{i}"), processed(effect(f"e{i}"))) for i in range(20)]
    # PostgreSQL text cannot hold NUL: this one message is refused, its neighbours are not.
    bad = store.ingest(message(trace_id="bad\x00id", dedup_key="MSG-NUL"), processed(effect("b")))
    results = await asyncio.gather(*good[:10], bad, *good[10:], return_exceptions=True)

    error = results[10]
    assert isinstance(error, StoreError)
    assert "adt-in" in str(error) and "MSG-NUL" in str(error)
    stored = [r for r in results if not isinstance(r, BaseException)]
    assert len(stored) == 20
    assert (await store.counts())["effects.pending"] == 20


async def test_unreachable_database_is_a_store_error():
    store = PostgresStore(PostgresConfig(url="postgresql://nobody@127.0.0.1:1/none"))
    with pytest.raises(StoreError, match="cannot connect"):
        await store.open()


async def test_closed_store_refuses_work(postgres_stores):
    store = await postgres_stores.open()
    await store.close()
    postgres_stores.opened.remove(store)
    with pytest.raises(StoreError, match="not open"):
        await store.ingest(message(), processed())
    with pytest.raises(StoreError, match="not open"):
        await store.list_effects(state=EffectState.DEAD)
