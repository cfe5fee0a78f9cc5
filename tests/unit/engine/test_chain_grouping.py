"""How a claim's effects become chains: one per ordering key, in id order; unkeyed ones alone."""

from __future__ import annotations

import datetime as dt

from careweave.engine.worker import by_key
from careweave.model.records import Effect, EffectState

AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def leased(effect_id: int, key: str | None) -> Effect:
    return Effect(
        id=effect_id,
        message_id=1,
        destination="erp",
        idempotency_key=f"e{effect_id}",
        ordering_key=key,
        content_type="application/json",
        payload=b"{}",
        state=EffectState.IN_FLIGHT,
        attempts=1,
        created_at=AT,
        next_attempt_at=AT,
        last_error=None,
    )


def test_effects_group_by_key_in_id_order_and_unkeyed_ones_go_alone() -> None:
    claimed = [leased(7, "gl:A"), leased(3, None), leased(2, "gl:A"), leased(5, "gl:B")]
    claimed += [leased(4, None), leased(9, "gl:B"), leased(8, "gl:A")]
    chains = [[e.id for e in chain] for chain in by_key(claimed)]
    assert chains == [[2, 7, 8], [3], [4], [5, 9]]


def test_nothing_claimed_is_no_chain() -> None:
    assert by_key([]) == []
