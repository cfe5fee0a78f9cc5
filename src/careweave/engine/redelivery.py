"""Re-delivering a destination's dead letters: queue them again, then audit it.

What ``careweave replay deadletters`` and the API's ``POST /v1/deadletters/{destination}/replay``
both do; each replay is recorded in the effects' lineage (``reason``) and once in the audit log.
"""

from __future__ import annotations

import datetime as dt

from careweave.engine.store.base import BaseStore
from careweave.model.audit import AuditAction, AuditEntry
from careweave.model.records import EffectState


async def redeliver_dead_letters(
    store: BaseStore, destination: str, *, reason: str, actor: str, now: dt.datetime
) -> int:
    """Queue every dead letter of ``destination`` again; returns how many."""
    dead = await store.list_effects(
        destination=destination, state=EffectState.DEAD, limit=1_000_000
    )
    queued = await store.requeue_effects([e.id for e in dead], reason=reason, now=now)
    # Right after the effects were queued again: the audit log says who did it.
    await store.append_audit(
        AuditEntry(
            actor=actor,
            action=AuditAction.MESSAGE_REPLAY,
            subject=f"destination:{destination}",
            detail={"queued": str(queued), "stage": "delivery"},
        )
    )
    return queued
