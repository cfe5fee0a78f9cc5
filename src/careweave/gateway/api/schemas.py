"""The API's response and request models (the OpenAPI document is generated from them).

Each model that carries PHI names those fields in ``__phi__`` (every such field is ``str | None``,
so a masked value still fits the schema); :mod:`careweave.gateway.api.masking` masks them for a
token without ``phi:read``.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar

import msgspec

from careweave.model.records import (
    CaseEvent,
    DeliveryAttempt,
    Effect,
    ExceptionCase,
    InboundMessage,
    Lineage,
    Replay,
    StoredEvent,
)


def _text(raw: bytes | None) -> str | None:
    return raw.decode("utf-8", "replace") if raw is not None else None


class MessageOut(msgspec.Struct, frozen=True, kw_only=True):
    """A stored inbound message, without its content."""

    __phi__: ClassVar[frozenset[str]] = frozenset({"error", "ordering_key"})

    id: int
    channel: str
    content_type: str
    sender: str
    received_at: dt.datetime
    trace_id: str
    dedup_key: str | None
    state: str
    error: str | None
    """Why it is in error (may quote the message: PHI)."""
    ordering_key: str | None
    """The patient the message is about (an MRN by default: PHI)."""
    duplicates: int

    @classmethod
    def of(cls, m: InboundMessage) -> MessageOut:
        """The model of a stored message."""
        return cls(
            id=m.id, channel=m.channel, content_type=m.content_type, sender=m.sender,
            received_at=m.received_at, trace_id=m.trace_id, dedup_key=m.dedup_key,
            state=m.state.value, error=m.error, ordering_key=m.ordering_key,
            duplicates=m.duplicates,
        )  # fmt: skip


class EventOut(msgspec.Struct, frozen=True, kw_only=True):
    """A canonical event derived from a message."""

    # An event's idempotency key is built from its business identity: the MRN among it.
    __phi__: ClassVar[frozenset[str]] = frozenset({"payload", "idempotency_key"})

    id: int
    event_type: str
    idempotency_key: str | None
    payload: str | None
    """The event as JSON (patient data: PHI)."""
    created_at: dt.datetime

    @classmethod
    def of(cls, e: StoredEvent) -> EventOut:
        """The model of a stored event."""
        return cls(
            id=e.id, event_type=e.event_type, idempotency_key=e.idempotency_key,
            payload=_text(e.payload), created_at=e.created_at,
        )  # fmt: skip


class EffectOut(msgspec.Struct, frozen=True, kw_only=True):
    """An outbound effect (a dead letter among them)."""

    __phi__: ClassVar[frozenset[str]] = frozenset(
        {"payload", "last_error", "ordering_key", "idempotency_key"}
    )

    id: int
    message_id: int
    destination: str
    idempotency_key: str | None
    ordering_key: str | None
    content_type: str
    payload: str | None
    state: str
    attempts: int
    created_at: dt.datetime
    next_attempt_at: dt.datetime
    last_error: str | None

    @classmethod
    def of(cls, e: Effect, *, payload: bool = True) -> EffectOut:
        """The model of a stored effect (``payload=False``: without its content)."""
        return cls(
            id=e.id, message_id=e.message_id, destination=e.destination,
            idempotency_key=e.idempotency_key, ordering_key=e.ordering_key,
            content_type=e.content_type, payload=_text(e.payload) if payload else None,
            state=e.state.value, attempts=e.attempts, created_at=e.created_at,
            next_attempt_at=e.next_attempt_at, last_error=e.last_error,
        )  # fmt: skip


class AttemptOut(msgspec.Struct, frozen=True, kw_only=True):
    """One delivery attempt with the destination's answer."""

    __phi__: ClassVar[frozenset[str]] = frozenset({"response", "error"})

    effect_id: int
    attempt: int
    started_at: dt.datetime
    finished_at: dt.datetime
    outcome: str
    status: int | None
    response: str | None
    error: str | None

    @classmethod
    def of(cls, a: DeliveryAttempt) -> AttemptOut:
        """The model of an attempt."""
        return cls(
            effect_id=a.effect_id, attempt=a.attempt, started_at=a.started_at,
            finished_at=a.finished_at, outcome=a.outcome.value, status=a.status,
            response=a.response, error=a.error,
        )  # fmt: skip


class ReplayOut(msgspec.Struct, frozen=True, kw_only=True):
    """A recorded replay."""

    id: int
    effect_id: int | None
    stage: str
    reason: str
    requested_at: dt.datetime

    @classmethod
    def of(cls, r: Replay) -> ReplayOut:
        """The model of a replay."""
        return cls(
            id=r.id, effect_id=r.effect_id, stage=r.stage.value, reason=r.reason,
            requested_at=r.requested_at,
        )  # fmt: skip


class LineageOut(msgspec.Struct, frozen=True, kw_only=True):
    """One message and everything derived from it: raw -> events -> effects -> attempts."""

    __phi__: ClassVar[frozenset[str]] = frozenset({"raw"})

    message: MessageOut
    raw: str | None
    """The message as received (PHI); None once retention pruned it."""
    events: list[EventOut]
    effects: list[EffectOut]
    attempts: list[AttemptOut]
    replays: list[ReplayOut]
    case_ids: list[int]

    @classmethod
    def of(cls, lineage: Lineage) -> LineageOut:
        """The model of a lineage."""
        return cls(
            message=MessageOut.of(lineage.message),
            raw=_text(lineage.message.raw),
            events=[EventOut.of(e) for e in lineage.events],
            effects=[EffectOut.of(e) for e in lineage.effects],
            attempts=[AttemptOut.of(a) for a in lineage.attempts],
            replays=[ReplayOut.of(r) for r in lineage.replays],
            case_ids=list(lineage.case_ids),
        )


class CaseEventOut(msgspec.Struct, frozen=True, kw_only=True):
    """One line of a case's audit trail."""

    at: dt.datetime
    action: str
    actor: str
    detail: str


class CaseOut(msgspec.Struct, frozen=True, kw_only=True):
    """An exception case, with its audit trail when shown alone."""

    id: int
    case_key: str
    reason_code: str
    owning_team: str
    summary: str
    suggested_fix: str
    details: list[str]
    state: str
    severity: str
    assignee: str | None
    opened_at: dt.datetime
    sla_due_at: dt.datetime
    overdue: bool
    resolved_at: dt.datetime | None
    resolution: str | None
    message_ids: list[int]
    audit: list[CaseEventOut] = msgspec.field(default_factory=list)

    @classmethod
    def of(cls, c: ExceptionCase, now: dt.datetime, *, audit: bool = False) -> CaseOut:
        """The model of a case (``audit``: with its trail)."""
        trail = [_event(e) for e in c.audit] if audit else []
        return cls(
            id=c.id, case_key=c.case_key, reason_code=c.reason_code, owning_team=c.owning_team,
            summary=c.summary, suggested_fix=c.suggested_fix, details=list(c.details),
            state=c.state.value, severity=c.severity.value, assignee=c.assignee,
            opened_at=c.opened_at, sla_due_at=c.sla_due_at, overdue=c.overdue(now),
            resolved_at=c.resolved_at, resolution=c.resolution,
            message_ids=list(c.message_ids), audit=trail,
        )  # fmt: skip


def _event(e: CaseEvent) -> CaseEventOut:
    return CaseEventOut(at=e.at, action=e.action, actor=e.actor, detail=e.detail)


class PayloadOut(msgspec.Struct, frozen=True, kw_only=True):
    """A message parked on a case, as it was received."""

    __phi__: ClassVar[frozenset[str]] = frozenset({"raw"})

    case_id: int
    message_id: int
    content_type: str
    raw: str | None
    """The content (PHI); None once retention pruned it."""


NonEmpty = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class AssignIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Who works a case (an empty string: nobody)."""

    assignee: Annotated[str, msgspec.Meta(max_length=200)]


class CommentIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A comment for a case's audit trail."""

    text: NonEmpty


class ResolveIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What was fixed: the case closes and its parked messages are replayed."""

    resolution: NonEmpty


class DiscardIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Why the parked work is not wanted: the case closes, nothing is replayed."""

    reason: NonEmpty


class ReplayIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Why a replay is asked for (recorded in the lineage)."""

    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)] = "replayed through the API"


class ReplayedOut(msgspec.Struct, frozen=True, kw_only=True):
    """How much a replay queued."""

    queued: int


class ResolvedOut(msgspec.Struct, frozen=True, kw_only=True):
    """A case closed, and the parked messages it replayed."""

    case: CaseOut
    replayed: int


class CrosswalkIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Map a code to an ERP item (resolving the code's item-miss case, replaying its work)."""

    code: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    item_number: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    kind: str = "ehr"
    """Which identifier the code is: ehr, gtin, udi, hibcc, catalog."""
    effective_from: dt.date | None = None
    """First day it applies (default: today for a code with an entry, always for a new one)."""


class CrosswalkFixOut(msgspec.Struct, frozen=True, kw_only=True):
    """What a crosswalk fix did."""

    kind: str
    code: str
    item_number: str
    effective_from: dt.date
    version: int
    case_ids: list[int]
    replayed: int


class PhysicianOut(msgspec.Struct, frozen=True, kw_only=True):
    """A physician (by NPI) and the group, entity and cost center it belongs to."""

    npi: str
    group: str
    entity: str
    cost_center: str


class PatientIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One patient registration to match."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    given: Annotated[str, msgspec.Meta(max_length=200)] = ""
    family: Annotated[str, msgspec.Meta(max_length=200)] = ""
    birth_date: Annotated[str, msgspec.Meta(max_length=20)] = ""
    sex: Annotated[str, msgspec.Meta(max_length=10)] = ""
    address: Annotated[str, msgspec.Meta(max_length=300)] = ""
    city: Annotated[str, msgspec.Meta(max_length=100)] = ""
    postcode: Annotated[str, msgspec.Meta(max_length=20)] = ""
    phone: Annotated[str, msgspec.Meta(max_length=40)] = ""
    ssn: Annotated[str, msgspec.Meta(max_length=20)] = ""


class MatchIn(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Registrations to match against each other."""

    records: Annotated[list[PatientIn], msgspec.Meta(max_length=5000)]


class PairOut(msgspec.Struct, frozen=True, kw_only=True):
    """Two registrations linked, or sent to review."""

    a: str
    b: str
    score: float
    decision: str
    reason: str


class MatchOut(msgspec.Struct, frozen=True, kw_only=True):
    """The pairs linked or to review, and the patients (clusters of record ids)."""

    pairs: list[PairOut]
    patients: list[list[str]]


class DestinationOut(msgspec.Struct, frozen=True, kw_only=True):
    """A configured destination and its health."""

    name: str
    channel: str
    connector: str
    breaker: str
    """closed, open or half_open."""
    queue_depth: int
    """Effects not yet delivered or dead."""
    delivered: int
    """Delivered by this process since it started."""
    dead: int


class ChannelOut(msgspec.Struct, frozen=True, kw_only=True):
    """A configured channel (a source connector)."""

    name: str
    source: str
    format: str
    destinations: list[str]


class SystemOut(msgspec.Struct, frozen=True, kw_only=True):
    """The configured connectors with their health."""

    channels: list[ChannelOut]
    destinations: list[DestinationOut]
    counts: dict[str, int]


class AuditEntryOut(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of the audit chain."""

    seq: int
    at: dt.datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, str]
    hash: str


class TokenOut(msgspec.Struct, frozen=True, kw_only=True):
    """An OAuth2 access token (RFC 6749 section 5.1)."""

    access_token: str
    token_type: str
    expires_in: int
    scope: str


class OAuthErrorOut(msgspec.Struct, frozen=True, kw_only=True):
    """An OAuth2 error (RFC 6749 section 5.2)."""

    error: str
    error_description: str
