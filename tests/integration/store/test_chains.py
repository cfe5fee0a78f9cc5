"""The store contract for chains: a head leased with the due effects right behind it on its key.

Every backend (SQLite, PostgreSQL): a chain is contiguous from the key's head, in id order, never
leased to a second worker (PostgreSQL: a second store, as another process would), and what a
worker releases is claimable again with its attempt count as before the claim.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from careweave.engine.store.base import BaseStore
from careweave.model.records import AttemptOutcome, Effect, EffectState
from tests.integration.store.builders import NOW, WORKER, effect, message, outcome, processed
from tests.integration.store.conftest import StoreFactory

LEASE = 86_400.0
SHORT_LEASE = 30.0


async def claim(
    store: BaseStore, *, chain: int, worker: str = WORKER, limit: int = 10, now: dt.datetime = NOW
) -> list[Effect]:
    return await store.claim_effects(
        "rcm", worker=worker, limit=limit, lease=LEASE, now=now, chain=chain
    )


def keys(effects: list[Effect]) -> list[str]:
    return [e.idempotency_key for e in effects]


async def test_a_head_is_leased_with_its_followers_in_id_order(store: BaseStore):
    await store.ingest(
        message(),
        processed(
            *(effect(f"k:{n}", ordering_key="k") for n in range(5)),
            effect("j:0", ordering_key="j"),
            effect("free"),
            effect("j:1", ordering_key="j"),
        ),
    )
    first = await claim(store, chain=3)
    assert keys(first) == ["k:0", "k:1", "k:2", "j:0", "free", "j:1"]
    assert [e.id for e in first] == sorted(e.id for e in first)
    assert all(e.state is EffectState.IN_FLIGHT and e.attempts == 1 for e in first)
    # k:3 waits behind the chain's open effects, and so does everyone else.
    assert await claim(store, chain=3) == []
    assert await claim(store, chain=3, worker="other") == []
    await store.complete_effects([outcome(e, AttemptOutcome.DELIVERED) for e in first[:3]])
    assert keys(await claim(store, chain=3, worker="other")) == ["k:3", "k:4"]


async def test_limit_counts_chains_and_a_long_queue_yields_one_chain(store: BaseStore):
    await store.ingest(
        message(), processed(*(effect(f"gl:{n}", ordering_key="gl") for n in range(700)))
    )
    await store.ingest(
        message(trace_id="t2"), processed(effect("s:0", ordering_key="s"), effect("other"))
    )
    first = await claim(store, chain=16, limit=1)
    assert keys(first) == [f"gl:{n}" for n in range(16)]
    rest = await claim(store, chain=16)
    assert keys(rest) == ["s:0", "other"]
    await store.complete_effects([outcome(e, AttemptOutcome.DELIVERED) for e in first])
    assert keys(await claim(store, chain=16)) == [f"gl:{n}" for n in range(16, 32)]


async def test_a_chain_stops_at_the_first_effect_not_yet_due(store: BaseStore):
    await store.ingest(message(), processed(effect("k:0", ordering_key="k")))
    later = NOW + dt.timedelta(hours=1)
    await store.ingest(
        message(received_at=later, trace_id="t2"), processed(effect("k:1", ordering_key="k"))
    )
    await store.ingest(message(trace_id="t3"), processed(effect("k:2", ordering_key="k")))
    assert keys(await claim(store, chain=16)) == ["k:0"]  # k:2 is due, but not contiguous


async def test_a_chain_stops_at_an_effect_another_worker_holds(store: BaseStore):
    # A requeued dead letter re-opens ahead of followers already in flight elsewhere: its chain
    # must not take them, nor jump over them to the due effect behind.
    await store.ingest(
        message(), processed(*(effect(f"k:{n}", ordering_key="k") for n in range(4)))
    )
    (dead,) = await claim(store, chain=1)
    await store.complete_effects([outcome(dead, AttemptOutcome.DEAD, error="400")])
    held = await claim(store, chain=2)
    assert keys(held) == ["k:1", "k:2"]
    assert await store.requeue_effects([dead.id], reason="fixed", now=NOW) == 1
    assert keys(await claim(store, chain=16, worker="other")) == ["k:0"]


async def test_released_effects_wait_behind_their_head_with_attempts_unchanged(store: BaseStore):
    await store.ingest(
        message(), processed(*(effect(f"k:{n}", ordering_key="k") for n in range(4)))
    )
    head, *rest = await claim(store, chain=3)
    assert keys([head, *rest]) == ["k:0", "k:1", "k:2"]
    assert await store.release_effects([e.id for e in rest], "someone-else") == 0
    assert await store.release_effects([e.id for e in rest], WORKER) == 2
    assert await store.release_effects([e.id for e in rest], WORKER) == 0
    # The head is still in flight: what was released waits behind it, for everyone.
    assert await claim(store, chain=3, worker="other") == []
    retry_at = NOW + dt.timedelta(minutes=5)
    await store.complete_effects(
        [outcome(head, AttemptOutcome.RETRY, next_attempt_at=retry_at, error="503")]
    )
    assert await claim(store, chain=3, worker="other", now=retry_at - dt.timedelta(seconds=1)) == []
    again = await claim(store, chain=3, worker="other", now=retry_at)
    assert keys(again) == ["k:0", "k:1", "k:2"]
    assert [e.attempts for e in again] == [2, 1, 1]
    pending = {e.idempotency_key: e for e in await store.list_effects()}
    assert pending["k:3"].attempts == 0


async def test_an_expired_chain_is_reclaimed_whole_and_the_stale_worker_ignored(
    store: BaseStore,
):
    await store.ingest(
        message(), processed(*(effect(f"k:{n}", ordering_key="k") for n in range(3)))
    )
    lost = await store.claim_effects(
        "rcm", worker="crashed", limit=10, lease=SHORT_LEASE, now=NOW, chain=16
    )
    assert keys(lost) == ["k:0", "k:1", "k:2"]
    assert await claim(store, chain=16, worker="other", now=NOW + dt.timedelta(seconds=29)) == []
    after = NOW + dt.timedelta(seconds=SHORT_LEASE + 1)
    reclaimed = await claim(store, chain=16, worker="other", now=after)
    assert keys(reclaimed) == ["k:0", "k:1", "k:2"]
    assert [e.attempts for e in reclaimed] == [2, 2, 2]
    stale = [outcome(e, AttemptOutcome.DELIVERED, worker="crashed") for e in lost]
    assert await store.complete_effects(stale) == 0
    assert await store.release_effects([e.id for e in lost], "crashed") == 0


async def test_concurrent_claimers_never_share_or_split_a_chain(stores: StoreFactory):
    # Two stores on one database (PostgreSQL: as two processes would) claim at once, over and
    # over, delivering what they get: each effect is leased once, every chain is a run of
    # consecutive effects of its key, and each key's effects are leased in id order.
    first = await stores.open()
    second = first if stores.backend == "sqlite" else await stores.open()
    total = 240
    await first.ingest(
        message(),
        processed(*(effect(f"k{n % 6}:{n}", ordering_key=f"k{n % 6}") for n in range(total))),
    )
    stored = await first.list_effects(limit=total)
    position: dict[int, tuple[str | None, int]] = {}  # effect id -> (key, place in its queue)
    for key in {e.ordering_key for e in stored}:
        of_key = sorted(e.id for e in stored if e.ordering_key == key)
        position |= {effect_id: (key, n) for n, effect_id in enumerate(of_key)}
    leased: dict[str | None, list[int]] = {}

    async def worker(store: BaseStore, name: str) -> None:
        for _round in range(10 * total):
            got = await store.claim_effects(
                "rcm", worker=name, limit=3, lease=LEASE, now=NOW, chain=5
            )
            chains: dict[str | None, list[int]] = {}
            for e in got:
                chains.setdefault(e.ordering_key, []).append(position[e.id][1])
            for key, places in chains.items():
                assert 1 <= len(places) <= 5
                assert places == list(range(places[0], places[0] + len(places))), places
                leased.setdefault(key, []).extend(places)
            await store.complete_effects(
                [outcome(e, AttemptOutcome.DELIVERED, worker=name) for e in got]
            )
            if sum(map(len, leased.values())) == total:
                return
            await asyncio.sleep(0)
        raise AssertionError("the claimers stopped making progress")

    await asyncio.gather(worker(first, "a"), worker(second, "b"))
    for places in leased.values():
        assert places == list(range(total // 6))  # each once, in the key's order
