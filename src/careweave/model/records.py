"""The engine's durable records: inbound messages, canonical events, effects, attempts, replays.

Records are frozen; the store builds them from its rows. Raw payloads are opaque bytes that pass
through the store's payload codec (the seam where encryption at rest is switched on).
"""

from __future__ import annotations

import datetime as dt
import enum

import msgspec

from careweave.model.casework import CaseNotification, CaseSeverity


class MessageState(enum.StrEnum):
    """Where an inbound message stands."""

    RECEIVED = "received"
    """Durably stored, not processed yet."""
    PROCESSED = "processed"
    """Decoded; its events and effects are stored."""
    FILTERED = "filtered"
    """Decoded and deliberately not routed (a filter step said so)."""
    ERROR = "error"
    """Stored, but it could not be decoded or mapped: it waits for a fix and a replay."""
    PARKED = "parked"
    """Decoded, but part of its work waits on an exception case; the rest went on."""
    SUPERSEDED = "superseded"
    """Replaced by a corrected copy (``careweave cases edit-payload``); never replayed again."""


class EffectState(enum.StrEnum):
    """Where an outbound effect stands."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    DEAD = "dead"
    """Exhausted or refused: a dead letter, waiting for a person and a replay."""


class AttemptOutcome(enum.StrEnum):
    """What one delivery attempt came to."""

    DELIVERED = "delivered"
    RETRY = "retry"
    DEAD = "dead"


class ReplayStage(enum.StrEnum):
    """Where a replay restarts a message's path."""

    DECODE = "decode"
    """Re-decode from the raw bytes: new events and effects (same idempotency keys)."""
    DELIVER = "deliver"
    """Re-deliver an existing effect."""


class NewMessage(msgspec.Struct, frozen=True, kw_only=True):
    """An inbound message as a source connector hands it to the store."""

    channel: str
    raw: bytes
    content_type: str
    sender: str = ""
    received_at: dt.datetime
    trace_id: str
    dedup_key: str | None = None


class NewEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A canonical event derived from a message, as JSON."""

    event_type: str
    idempotency_key: str
    payload: bytes


class NewEffect(msgspec.Struct, frozen=True, kw_only=True):
    """A durable task for one destination."""

    destination: str
    idempotency_key: str
    payload: bytes
    content_type: str = "application/octet-stream"
    ordering_key: str | None = None


class NewCase(msgspec.Struct, frozen=True, kw_only=True):
    """An exception case a message's processing opened (or joined, when the key is already open)."""

    case_key: str
    """Identity of the problem (``item-miss:EHR-4471``): every message parked on it joins one case."""
    reason_code: str
    owning_team: str
    summary: str
    suggested_fix: str
    payload_reference: str = ""
    """What in the message is parked (``SupplyUsed:case-17:line-2``)."""
    details: tuple[str, ...] = ()
    sla_hours: float = 24.0
    """Hours before the case is overdue."""
    severity: CaseSeverity = CaseSeverity.NORMAL
    """How much the case matters (kept from the message that opened it)."""


class Processing(msgspec.Struct, frozen=True, kw_only=True):
    """What the channel's steps made of a message."""

    state: MessageState
    error: str | None = None
    error_code: str = ""
    """HL7 table 0357 code for the negative ACK (not stored: the error text is)."""
    ordering_key: str | None = None
    events: tuple[NewEvent, ...] = ()
    effects: tuple[NewEffect, ...] = ()
    cases: tuple[NewCase, ...] = ()


class IngestResult(msgspec.Struct, frozen=True):
    """The store's answer to an ingest: the message id, and whether it had been seen before."""

    message_id: int
    duplicate: bool
    state: MessageState


class InboundMessage(msgspec.Struct, frozen=True, kw_only=True):
    """A stored inbound message."""

    id: int
    channel: str
    content_type: str
    sender: str
    received_at: dt.datetime
    trace_id: str
    dedup_key: str | None
    state: MessageState
    error: str | None
    ordering_key: str | None
    raw: bytes | None
    """None once retention has pruned the content (metadata is kept)."""
    duplicates: int = 0
    """How many times the same message was received again (and acknowledged, not reprocessed)."""

    def resubmitted(self, raw: bytes | None = None) -> NewMessage:
        """The message as it came in, to run through its channel again (replay, diff).

        ``raw`` replaces the stored content (a corrected payload); without it, the content must
        not have been pruned.
        """
        content = raw if raw is not None else self.raw
        if content is None:
            raise ValueError(f"message {self.id}: content was pruned by retention")
        return NewMessage(
            channel=self.channel,
            raw=content,
            content_type=self.content_type,
            sender=self.sender,
            received_at=self.received_at,
            trace_id=self.trace_id,
            dedup_key=self.dedup_key,
        )


class StoredEvent(msgspec.Struct, frozen=True, kw_only=True):
    """A canonical event as stored."""

    id: int
    message_id: int
    event_type: str
    idempotency_key: str
    payload: bytes | None
    created_at: dt.datetime


class Effect(msgspec.Struct, frozen=True, kw_only=True):
    """A stored outbound effect."""

    id: int
    message_id: int
    destination: str
    idempotency_key: str
    ordering_key: str | None
    content_type: str
    payload: bytes | None
    state: EffectState
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    last_error: str | None
    trace_id: str = ""


class DeliveryAttempt(msgspec.Struct, frozen=True, kw_only=True):
    """One delivery attempt of an effect, with the destination's response."""

    effect_id: int
    attempt: int
    started_at: dt.datetime
    finished_at: dt.datetime
    outcome: AttemptOutcome
    status: int | None = None
    response: str | None = None
    error: str | None = None


class EffectOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """A worker's verdict on an effect it claimed: the attempt and the effect's next state."""

    attempt: DeliveryAttempt
    worker: str
    next_attempt_at: dt.datetime | None = None
    """For a retry: when the effect becomes eligible again."""


class Replay(msgspec.Struct, frozen=True, kw_only=True):
    """A recorded replay, part of a message's lineage."""

    id: int
    message_id: int
    effect_id: int | None
    stage: ReplayStage
    reason: str
    requested_at: dt.datetime


class CaseState(enum.StrEnum):
    """Where an exception case stands."""

    OPEN = "open"
    RESOLVED = "resolved"
    DISCARDED = "discarded"
    """Closed without a replay, with a reason (the parked work is not wanted)."""


class CaseEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a case's audit trail."""

    at: dt.datetime
    action: str
    """``opened``, ``linked``, ``resolved``, ``replayed``, ``notified``, ``note``, ``assigned``,
    ``comment``, ``discarded``, ``edited``, ``notify-failed``."""
    actor: str
    detail: str = ""


class ExceptionCase(msgspec.Struct, frozen=True, kw_only=True):
    """A stored exception case with the messages parked on it."""

    id: int
    case_key: str
    reason_code: str
    owning_team: str
    summary: str
    suggested_fix: str
    details: list[str]
    state: CaseState
    opened_at: dt.datetime
    sla_due_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution: str | None
    severity: CaseSeverity = CaseSeverity.NORMAL
    assignee: str | None = None
    message_ids: list[int] = msgspec.field(default_factory=list)
    """The messages parked on the case (a superseded one is no longer listed)."""
    audit: list[CaseEvent] = msgspec.field(default_factory=list)
    notifications: list[CaseNotification] = msgspec.field(default_factory=list)
    """What the owning team was told (loaded with the audit trail)."""

    @property
    def comments(self) -> list[CaseEvent]:
        """The audit trail's comments, oldest first."""
        return [e for e in self.audit if e.action == "comment"]

    def overdue(self, now: dt.datetime) -> bool:
        """True when the case is open past its SLA."""
        return self.state is CaseState.OPEN and now > self.sla_due_at


class Lineage(msgspec.Struct, frozen=True, kw_only=True):
    """Everything derived from one inbound message: raw in -> events -> effects -> attempts."""

    message: InboundMessage
    events: list[StoredEvent]
    effects: list[Effect]
    attempts: list[DeliveryAttempt]
    replays: list[Replay]
    case_ids: list[int] = msgspec.field(default_factory=list)


class MessageQuery(msgspec.Struct, frozen=True, kw_only=True):
    """Which messages to list or replay."""

    channel: str | None = None
    state: MessageState | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    text: str | None = None
    """A substring of the dedup key (e.g. an MSH-10)."""
    ordering_key: str | None = None
    """The message's ordering key, whole (PID-3.1, the MRN, by default): equality, not a
    substring, so that a sealed key is found by sealing the term."""
    limit: int = 100
