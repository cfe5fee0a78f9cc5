"""``queue_depths``: open effects per destination, the queue-depth metric's source, on both backends."""

from __future__ import annotations

from careweave.engine.store.base import BaseStore
from careweave.model.records import AttemptOutcome
from tests.integration.store.builders import NOW, WORKER, effect, message, outcome, processed


async def test_pending_and_leased_effects_count_delivered_and_dead_do_not(store: BaseStore):
    await store.ingest(
        message(dedup_key="A"),
        processed(effect("a1"), effect("a2"), effect("a3"), effect("e1", destination="erp")),
    )
    await store.ingest(message(dedup_key="B"), processed(effect("b1", destination="archive")))
    assert await store.queue_depths() == {"rcm": 3, "erp": 1, "archive": 1}

    claimed = await store.claim_effects("rcm", worker=WORKER, limit=3, lease=86_400.0, now=NOW)
    assert len(claimed) == 3
    assert (await store.queue_depths())["rcm"] == 3  # leased (in flight) is still waiting
    await store.complete_effects(
        [
            outcome(claimed[0], AttemptOutcome.DELIVERED),
            outcome(claimed[1], AttemptOutcome.DEAD, error="refused"),
        ]
    )
    depths = await store.queue_depths()
    assert depths == {"rcm": 1, "erp": 1, "archive": 1}
    counts = await store.counts()
    assert sum(depths.values()) == counts.get("effects.pending", 0) + counts.get(
        "effects.in_flight", 0
    )
