"""Correcting the payload of a parked message: the fix for a problem that lives in one message.

A crosswalk fix serves every message parked on a code; a wrong field in one message (a mistyped
NPI, a unit of measure) is fixed in that message. The corrected copy is stored as a new message of
the original's channel and trace, run through the channel as if just received, and, in the same
transaction, the original is marked ``superseded`` (never replayed again), each lineage records
the replacement as a replay ("payload edited by ..."), and the case is resolved once nothing is
left parked on it. A copy that fails as well is refused whole: nothing is stored.
"""

from __future__ import annotations

from careweave.codecs.hl7v2.header import MessageHeader, parse_header
from careweave.engine.runtime import HL7_CONTENT_TYPE, Engine
from careweave.exceptions import ConfigError, Hl7Error, ValidationError
from careweave.model.casework import PayloadCorrection
from careweave.model.records import NewMessage


async def correct_payload(
    engine: Engine, case_id: int, message_id: int, raw: bytes, *, actor: str
) -> PayloadCorrection:
    """Replace parked message ``message_id`` of case ``case_id`` by ``raw`` and process it.

    ValidationError (nothing stored) when the case is not open, the message is not parked on it,
    or the corrected message cannot be read or processed either.
    """
    original = await engine.store.get_message(message_id)
    channel = engine.channels.get(original.channel)
    if channel is None:
        raise ConfigError(f"message {message_id}: channel {original.channel!r} is not configured")
    if not raw.strip():
        raise ValidationError("the corrected message is empty")
    header: MessageHeader | None = None
    if original.content_type == HL7_CONTENT_TYPE:
        try:
            header = parse_header(raw)
        except Hl7Error as exc:
            raise ValidationError(f"the corrected message has no readable MSH: {exc}") from exc
    message = NewMessage(
        channel=original.channel,
        raw=raw,
        content_type=original.content_type,
        sender=f"edited by {actor}",
        received_at=engine.clock.now(),
        trace_id=original.trace_id,
        dedup_key=None,  # the copy keeps its MSH-10: as a dedup key it would be the original's
    )
    correction, processing = await engine.store.correct_message(
        case_id,
        message_id,
        message,
        lambda state: channel.process(message, header, state),
        actor=actor,
        now=engine.clock.now(),
    )
    for effect in processing.effects:  # deliver now rather than at the workers' next poll
        if (worker := engine.workers.get(effect.destination)) is not None:
            worker.wake()
    return correction
