"""The store contract for business state: changed only in the commit of the message that caused it.

Every test runs against SQLite and PostgreSQL (the ``stores`` fixture). A "flow" here is a plain
processing function that reads and writes a counter, which is the shape of every stateful flow
(stock decremented, ledger balance moved, control number taken).
"""

from __future__ import annotations

import asyncio

import msgspec

from careweave.engine.store.base import BaseStore, Processor
from careweave.model.records import MessageState, NewCase, Processing
from careweave.model.state import BusinessState, StateTable
from tests.integration.store.builders import NOW, effect, message
from tests.integration.store.conftest import StoreFactory

TABLE = StateTable.INVENTORY_POSITIONS
SLOT = "OR-1|ITEM-9"


PARKED_CASE = NewCase(
    case_key="item-miss:X",
    reason_code="item-miss",
    owning_team="supply-chain",
    summary="item X is not in the crosswalk",
    suggested_fix="add X to the crosswalk",
)


def _count(state: BusinessState, key: str = SLOT) -> int:
    raw = state.get(TABLE, key)
    return 0 if raw is None else int(msgspec.json.decode(raw))


def take_one(key: str = SLOT, *, fail: bool = False, park: bool = False) -> Processor:
    """Issue one unit: read the position, write it back one lower, emit an effect naming it."""

    def process(state: BusinessState) -> Processing:
        after = _count(state, key) - 1
        state.put(TABLE, key, msgspec.json.encode(after))
        if fail:
            return Processing(state=MessageState.ERROR, error="mapping failed after the read")
        cases = (PARKED_CASE,) if park else ()
        return Processing(
            state=MessageState.PARKED if park else MessageState.PROCESSED,
            effects=(effect(f"issue:{after}", destination="erp"),),
            cases=cases,
        )

    return process


async def committed(store: BaseStore, key: str = SLOT) -> int:
    raw = await store.get_state(TABLE, key)
    return 0 if raw is None else int(msgspec.json.decode(raw))


async def test_concurrent_messages_see_each_others_commits(store: BaseStore) -> None:
    results = await asyncio.gather(
        *(
            store.ingest_with_state(message(dedup_key=f"M{i}", trace_id=f"t{i}"), take_one())
            for i in range(60)
        )
    )
    assert await committed(store) == -60
    # Each message read what the previous one left: sixty distinct positions, none lost.
    keys = sorted(p.effects[0].idempotency_key for _r, p in results)
    assert keys == sorted(f"issue:{-n}" for n in range(1, 61))


async def test_a_message_in_error_changes_nothing(store: BaseStore) -> None:
    await store.ingest_with_state(message(dedup_key="A"), take_one())
    result, processing = await store.ingest_with_state(message(dedup_key="B"), take_one(fail=True))
    assert processing.state is MessageState.ERROR
    assert result.state is MessageState.ERROR
    assert await committed(store) == -1
    # ...and the next message reads the state as the failed one found it.
    _result, processing = await store.ingest_with_state(message(dedup_key="C"), take_one())
    assert processing.effects[0].idempotency_key == "issue:-2"


async def test_a_parked_message_keeps_what_its_flows_did(store: BaseStore) -> None:
    await store.ingest_with_state(message(dedup_key="P"), take_one(park=True))
    assert await committed(store) == -1


async def test_a_resent_message_is_not_processed_again(store: BaseStore) -> None:
    first, _ = await store.ingest_with_state(message(dedup_key="SAME"), take_one())
    again, processing = await store.ingest_with_state(message(dedup_key="SAME"), take_one())
    assert again.duplicate and again.message_id == first.message_id
    assert processing.effects == ()
    assert await committed(store) == -1


async def test_repeats_inside_one_batch_are_processed_once(store: BaseStore) -> None:
    results = await asyncio.gather(
        *(store.ingest_with_state(message(dedup_key="ONCE"), take_one()) for _ in range(5))
    )
    assert sum(1 for r, _p in results if not r.duplicate) == 1
    assert await committed(store) == -1


async def test_state_survives_a_restart_and_is_shared(stores: StoreFactory) -> None:
    first = await stores.open()
    await first.ingest_with_state(message(dedup_key="R1"), take_one())
    if stores.backend == "sqlite":
        await first.close()
        stores.opened.remove(first)
        reopened = await stores.open()
        # A new file per open on SQLite: reopen the first one's path explicitly.
        await reopened.close()
        stores.opened.remove(reopened)
        from careweave.engine.store.sqlite import SqliteConfig, SqliteStore

        again = SqliteStore(SqliteConfig(path=stores.tmp_path / "careweave-0.db"))
        await again.open()
        stores.opened.append(again)
        assert await committed(again) == -1
        await again.ingest_with_state(message(dedup_key="R2"), take_one())
        assert await committed(again) == -2
        return
    # PostgreSQL: a second store on the same schema stands for a second process.
    other = await stores.open()
    assert await committed(other) == -1
    await asyncio.gather(
        *(
            (first if i % 2 else other).ingest_with_state(
                message(dedup_key=f"S{i}", trace_id=f"s{i}"), take_one()
            )
            for i in range(40)
        )
    )
    assert await committed(first) == -41
    assert await committed(other) == -41


async def test_replay_runs_the_flows_in_the_commit_of_the_new_decoding(store: BaseStore) -> None:
    result, _ = await store.ingest_with_state(message(dedup_key="X"), take_one(fail=True))
    assert await committed(store) == 0
    queued, processing = await store.reprocess_with_state(
        result.message_id, take_one(), reason="mapping fixed", now=NOW
    )
    assert processing.state is MessageState.PROCESSED
    assert queued == 1
    assert await committed(store) == -1
    lineage = await store.lineage(result.message_id)
    assert lineage.message.state is MessageState.PROCESSED
    assert [e.idempotency_key for e in lineage.effects] == ["issue:-1"]


async def test_state_rows_lists_a_table(store: BaseStore) -> None:
    for key in ("B|2", "A|1"):
        await store.ingest_with_state(message(dedup_key=key), take_one(key))
    rows = await store.state_rows(TABLE)
    assert [(k, int(msgspec.json.decode(v))) for k, v in rows] == [("A|1", -1), ("B|2", -1)]
    assert await store.state_rows(StateTable.LEDGER_BALANCES) == []
