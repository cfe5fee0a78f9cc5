"""What a claim run did, read back from its message's lineage (for the CLI and sandbox days).

The claim-submission flow records each file it queued as a ``ClaimFileQueued`` event and the
claims it found already registered as ``ClaimsAlreadySubmitted``; the files' texts and delivery
states are their effects; the accounts it could not bill are its message's cases.
"""

from __future__ import annotations

from decimal import Decimal

import msgspec

from careweave.engine.store.base import BaseStore
from careweave.flows.claim_submission import ClaimFileQueued, ClaimsAlreadySubmitted
from careweave.mappings.x12_decode import X12_CONTENT_TYPE


class SubmittedFile(msgspec.Struct, frozen=True, kw_only=True):
    """One 837 file a claim run queued, and how far its delivery went."""

    name: str
    entity: str
    kind: str
    claims: int
    lines: int
    total: Decimal
    text: str
    delivery: str
    """The state of the file's effect: pending, in_flight, delivered or dead."""


class ClaimRunResult(msgspec.Struct, frozen=True, kw_only=True):
    """What a claim run did, read back from its message's lineage."""

    files: tuple[SubmittedFile, ...]
    problems: tuple[str, ...]
    """Accounts that could not be billed, each with its reason (their open cases)."""
    already_submitted: tuple[str, ...] = ()
    """Claims of the run the register already held (nothing sent again)."""


async def claim_run_report(store: BaseStore, message_id: int) -> ClaimRunResult:
    """The files, problems and skipped claims of the claim-run message ``message_id``."""
    lineage = await store.lineage(message_id)
    effects = {(e.destination, e.idempotency_key): e for e in lineage.effects}
    texts = {key: e for (_dest, key), e in effects.items() if e.content_type == X12_CONTENT_TYPE}
    files: list[SubmittedFile] = []
    already: list[str] = []
    for stored in lineage.events:
        if stored.payload is None:
            continue
        if stored.event_type == ClaimFileQueued.__name__:
            queued = msgspec.json.decode(stored.payload, type=ClaimFileQueued)
            effect = texts.get(queued.effect_key)
            files.append(
                SubmittedFile(
                    name=queued.name,
                    entity=queued.entity,
                    kind=queued.kind,
                    claims=len(queued.claim_ids),
                    lines=queued.lines,
                    total=queued.total,
                    text=(effect.payload or b"").decode() if effect is not None else "",
                    delivery=effect.state.value if effect is not None else "unknown",
                )
            )
        elif stored.event_type == ClaimsAlreadySubmitted.__name__:
            already += msgspec.json.decode(stored.payload, type=ClaimsAlreadySubmitted).claim_ids
    problems = [(await store.get_case(case_id)).summary for case_id in lineage.case_ids]
    return ClaimRunResult(
        files=tuple(files), problems=tuple(problems), already_submitted=tuple(already)
    )
