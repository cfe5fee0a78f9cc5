"""The store interface every backend implements (SQLite embedded, PostgreSQL for scale-out).

One contract test suite runs against every backend (tests/integration/store/). The caller builds a
backend and passes it in; nothing here is global.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import Callable, Sequence

from careweave.exceptions import ValidationError
from careweave.model.audit import AuditEntry, StoredAuditEntry
from careweave.model.casework import (
    DueNotification,
    NotificationChannel,
    NotificationOutcome,
    PayloadCorrection,
)
from careweave.model.records import (
    CaseState,
    Effect,
    EffectOutcome,
    EffectState,
    ExceptionCase,
    InboundMessage,
    IngestResult,
    Lineage,
    MessageQuery,
    NewCase,
    NewMessage,
    Processing,
    ReplayStage,
    StoredEvent,
)
from careweave.model.state import BusinessState, StateTable

Processor = Callable[[BusinessState], Processing]
"""Processing that must run inside the transaction storing its message (a channel with flows)."""


class BaseStore(abc.ABC):
    """Durable storage for messages, their lineage and the outbound effect queues."""

    #: Registry name of the backend (``sqlite``, ``postgres``).
    name: str = ""

    @abc.abstractmethod
    async def open(self) -> None:
        """Connect and apply pending migrations."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Flush pending writes and disconnect."""

    async def __aenter__(self) -> BaseStore:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @abc.abstractmethod
    async def migrate(self) -> list[str]:
        """Apply pending numbered migrations; return the names applied now."""

    # -- ingest -------------------------------------------------------------------------------

    @abc.abstractmethod
    async def ingest(self, message: NewMessage, processing: Processing) -> IngestResult:
        """Store a message with everything derived from it, durably, in one group commit.

        Returns once the batch holding it is committed: only then may the sender be acknowledged.
        A message whose ``(channel, dedup_key)`` was stored before is not stored again: the result
        says ``duplicate`` and carries the first message's id and state.
        """

    @abc.abstractmethod
    async def ingest_with_state(
        self, message: NewMessage, process: Processor
    ) -> tuple[IngestResult, Processing]:
        """Store a message, running ``process`` inside the transaction that commits it.

        ``process`` gets the business state of that transaction: it reads what earlier commits
        left and its changes are written in the same commit as the message, its events and its
        effects, unless its processing ends in error (then nothing it changed is kept). Business
        state transactions are serialised (the single writer on SQLite, a lock on PostgreSQL), so
        processes sharing a store see one state. A repeated ``(channel, dedup_key)`` is not
        processed again: the result says ``duplicate``, with the first message's state.
        """

    # -- delivery queue -------------------------------------------------------------------------

    @abc.abstractmethod
    async def claim_effects(
        self,
        destination: str,
        *,
        worker: str,
        limit: int,
        lease: float,
        now: dt.datetime,
        chain: int = 1,
    ) -> list[Effect]:
        """Lease up to ``limit`` due heads of ``destination``'s ordering keys to ``worker``, in id
        order, each with up to ``chain - 1`` followers.

        Only the oldest undelivered effect of each ordering key is ever eligible as a head, so
        per-key order holds across retries, workers and processes. A leased head's followers are
        the next open effects of its key, contiguous: the first one that is not claimable (not due,
        or in flight under a live lease) ends the chain. Followers count an attempt like the head;
        the worker delivers a chain in id order. Leases that expired (a worker died) are reclaimed.
        """

    @abc.abstractmethod
    async def release_effects(self, effect_ids: Sequence[int], worker: str) -> int:
        """Give back leases ``worker`` holds without an attempt: the effects are pending again,
        their attempt count as before the claim (the rest of a chain after a failure).

        Leases held by another worker are left alone; returns how many were released.
        """

    @abc.abstractmethod
    async def complete_effects(self, outcomes: Sequence[EffectOutcome]) -> int:
        """Record attempts and move effects on (delivered, back to pending, or dead).

        An outcome whose worker no longer holds the lease is ignored; returns how many applied.
        """

    @abc.abstractmethod
    async def requeue_effects(
        self, effect_ids: Sequence[int], *, reason: str, now: dt.datetime
    ) -> int:
        """Replay: put effects back to pending with a fresh attempt budget; recorded in lineage."""

    @abc.abstractmethod
    async def reprocess_message(
        self, message_id: int, processing: Processing, *, reason: str, now: dt.datetime
    ) -> int:
        """Replay from raw: store a new decoding of a message and the effects it yields.

        Effects whose idempotency key and destination are already queued or delivered are not
        duplicated (a dead one gets a new effect). Cases the new decoding raises are opened or
        joined. Returns how many new effects were queued.
        """

    @abc.abstractmethod
    async def reprocess_with_state(
        self, message_id: int, process: Processor, *, reason: str, now: dt.datetime
    ) -> tuple[int, Processing]:
        """Replay from raw for a channel with flows: ``process`` runs inside the transaction that
        stores the new decoding (as :meth:`ingest_with_state`). Returns the effects queued and the
        processing."""

    # -- business state -------------------------------------------------------------------------

    @abc.abstractmethod
    async def get_state(self, table: StateTable, key: str) -> bytes | None:
        """One committed business-state value, or None."""

    @abc.abstractmethod
    async def state_rows(self, table: StateTable) -> list[tuple[str, bytes]]:
        """Every committed row of a business-state table, ordered by key."""

    # -- queries --------------------------------------------------------------------------------

    @abc.abstractmethod
    async def get_message(self, message_id: int) -> InboundMessage:
        """One message with its raw content; NotFoundError if absent."""

    @abc.abstractmethod
    async def list_messages(self, query: MessageQuery) -> list[InboundMessage]:
        """Messages matching ``query``, newest first, without raw content."""

    @abc.abstractmethod
    async def lineage(self, message_id: int) -> Lineage:
        """A message and everything derived from it."""

    @abc.abstractmethod
    async def list_effects(
        self,
        *,
        destination: str | None = None,
        state: EffectState | None = None,
        limit: int = 100,
    ) -> list[Effect]:
        """Effects, oldest first (a destination's dead letters: ``state=EffectState.DEAD``)."""

    @abc.abstractmethod
    async def list_events(
        self, event_type: str, *, after_id: int = 0, limit: int = 10_000
    ) -> list[StoredEvent]:
        """Stored events of one type (``ChargeRouted``...) with ids above ``after_id``, oldest first.

        Reports page through them with ``after_id``; payloads pass through the payload codec.
        """

    @abc.abstractmethod
    async def counts(self) -> dict[str, int]:
        """Message and effect counts by state: ``{"messages.processed": 10, "effects.dead": 1}``."""

    async def queue_depths(self) -> dict[str, int]:
        """Open effects (pending or in flight) per destination, for the queue-depth metric.

        A backend without its own query derives nothing: the metric then shows only the total
        from :meth:`counts`."""
        return {}

    @abc.abstractmethod
    async def record_replay(
        self, message_id: int, *, stage: ReplayStage, reason: str, now: dt.datetime
    ) -> None:
        """Record a replay of a message in its lineage."""

    # -- exception cases ------------------------------------------------------------------------

    @abc.abstractmethod
    async def list_cases(
        self,
        *,
        state: CaseState | None = CaseState.OPEN,
        team: str | None = None,
        case_key: str | None = None,
        limit: int = 100,
        overdue_at: dt.datetime | None = None,
    ) -> list[ExceptionCase]:
        """Exception cases, oldest first, with their parked message ids (audit not loaded).

        ``overdue_at``: only the cases still open past their SLA at that time."""

    @abc.abstractmethod
    async def get_case(self, case_id: int) -> ExceptionCase:
        """One case with its parked messages and audit trail; NotFoundError if absent."""

    @abc.abstractmethod
    async def open_case(self, case: NewCase, *, now: dt.datetime) -> tuple[int, bool]:
        """Open a case no message is parked on (an SLA breach), or find the open one of its key.

        Returns ``(case id, opened now)``: a second call while the case is open opens nothing, so
        its team is told once.
        """

    @abc.abstractmethod
    async def resolve_case(
        self, case_id: int, *, actor: str, resolution: str, now: dt.datetime
    ) -> list[int]:
        """Close a case (audited); return the ids of the messages parked on it, to replay."""

    @abc.abstractmethod
    async def add_case_event(
        self, case_id: int, *, action: str, actor: str, detail: str, now: dt.datetime
    ) -> None:
        """Append to a case's audit trail (notifications, replays, notes)."""

    # -- the exception workflow (careweave.model.casework) --------------------------------------

    async def comment_case(self, case_id: int, *, actor: str, text: str, now: dt.datetime) -> None:
        """Add a comment (a ``comment`` event of the audit trail), whatever the case's state."""
        if not text.strip():
            raise ValidationError("a comment needs some text")
        await self.add_case_event(case_id, action="comment", actor=actor, detail=text, now=now)

    @abc.abstractmethod
    async def assign_case(
        self, case_id: int, *, assignee: str | None, actor: str, now: dt.datetime
    ) -> None:
        """Give an open case to ``assignee`` (None: to nobody), audited; ValidationError when the
        case is closed."""

    @abc.abstractmethod
    async def discard_case(
        self, case_id: int, *, actor: str, reason: str, now: dt.datetime
    ) -> None:
        """Close an open case as ``discarded`` with ``reason``, replaying nothing (its messages stay
        parked); ValidationError when the case is closed already."""

    @abc.abstractmethod
    async def correct_message(
        self,
        case_id: int,
        original_id: int,
        message: NewMessage,
        process: Processor,
        *,
        actor: str,
        now: dt.datetime,
    ) -> tuple[PayloadCorrection, Processing]:
        """Store ``message``, a corrected copy of a message parked on an open case, processing it
        as :meth:`ingest_with_state` does, in one transaction with the rest: the original becomes
        ``superseded`` (both lineages record the replacement as a replay), the case's audit trail
        records the edit, and the case is resolved when nothing is left parked on it.

        ValidationError, and nothing stored, when the case is not open, the message is not parked
        on it, or the corrected copy's processing ends in error.
        """

    @abc.abstractmethod
    async def due_notifications(
        self, *, channels: Sequence[NotificationChannel], now: dt.datetime, limit: int = 100
    ) -> list[DueNotification]:
        """Notifications to send now on ``channels``: an opening notice for each open case not yet
        announced, an escalation for each open case past its SLA, a closing notice for each closed
        case whose opening was announced, and failed ones whose retry is due (or whose claim
        expired)."""

    @abc.abstractmethod
    async def claim_notification(
        self, due: DueNotification, *, worker: str, now: dt.datetime, lease: float
    ) -> int | None:
        """Claim a notification for ``lease`` seconds before sending it: the attempt number, or
        None when another notifier holds it or it needs nothing more (each is sent once)."""

    @abc.abstractmethod
    async def finish_notification(
        self, due: DueNotification, outcome: NotificationOutcome, *, worker: str, now: dt.datetime
    ) -> bool:
        """Record the outcome of a claimed notification (a ``notified`` or ``notify-failed``
        event in the case's audit trail); False when ``worker`` no longer held the claim."""

    # -- the audit log (careweave.model.audit) ------------------------------------------------

    @abc.abstractmethod
    async def append_audit(self, entry: AuditEntry) -> int:
        """Append ``entry`` to the hash-chained audit log, durably; return its ``seq``.

        Appends are serialised across every process sharing the store (the single writer on
        SQLite, an advisory lock on PostgreSQL), each reading the head inside its transaction,
        so the chain never forks."""

    @abc.abstractmethod
    async def audit_entries(
        self, *, after_seq: int = 0, limit: int = 1000
    ) -> list[StoredAuditEntry]:
        """Up to ``limit`` audit entries with ``seq > after_seq``, in chain order."""

    # -- retention ------------------------------------------------------------------------------

    @abc.abstractmethod
    async def prune_content(self, channel: str, *, older_than: dt.datetime) -> int:
        """Drop raw and payload content of the channel's finished messages received before
        ``older_than``; keep the metadata. Returns how many messages were pruned."""
