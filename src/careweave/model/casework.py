"""The exception workflow around a case: severity, notifications, payload corrections.

A case (:class:`~careweave.model.records.ExceptionCase`) is worked by people: assigned, commented
on, resolved (its parked messages replayed), discarded with a reason, or settled message by message
by correcting a payload. Its owning team is told by webhook and e-mail once when it opens, once
when its SLA passes while open, and once when it closes; each of those is a row of the store's
``case_notifications`` table, claimed before it is sent so that it goes out once.
"""

from __future__ import annotations

import datetime as dt
import enum

import msgspec


class CaseSeverity(enum.StrEnum):
    """How much a case matters; a flow sets it on the case it opens."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    CRITICAL = "critical"


class NotificationChannel(enum.StrEnum):
    """How a team is told."""

    WEBHOOK = "webhook"
    EMAIL = "email"


class NotificationKind(enum.StrEnum):
    """What a team is told: each is sent at most once per case and channel."""

    OPENED = "opened"
    ESCALATED = "escalated"
    """The SLA passed while the case was open."""
    RESOLVED = "resolved"
    """The case was closed (resolved, settled by a correction, or discarded)."""


class NotificationState(enum.StrEnum):
    """Where one notification stands."""

    SENDING = "sending"
    """Claimed by a notifier; an expired claim (a process died) is taken again."""
    SENT = "sent"
    FAILED = "failed"
    """The last attempt failed; the next one is due at ``next_attempt_at``."""
    SKIPPED = "skipped"
    """Nothing to send it to (the team has no address), or no longer true (closed before it
    was escalated)."""
    ABANDONED = "abandoned"
    """Attempts exhausted or refused for good; logged and written in the case's audit trail."""


SETTLED_NOTIFICATIONS = (
    NotificationState.SENT,
    NotificationState.SKIPPED,
    NotificationState.ABANDONED,
)
"""States after which a notification is never attempted again."""


class CaseNotification(msgspec.Struct, frozen=True, kw_only=True):
    """One notification about a case, as the store keeps it."""

    channel: NotificationChannel
    kind: NotificationKind
    state: NotificationState
    attempts: int
    target: str
    """Where it went: the webhook URL or the e-mail addresses."""
    created_at: dt.datetime
    sent_at: dt.datetime | None = None
    next_attempt_at: dt.datetime | None = None
    last_error: str | None = None


class DueNotification(msgspec.Struct, frozen=True, kw_only=True):
    """A notification to send now: never claimed, or failed and due again, or its claim expired."""

    case_id: int
    channel: NotificationChannel
    kind: NotificationKind


class NotificationOutcome(msgspec.Struct, frozen=True, kw_only=True):
    """What a notifier made of a notification it claimed."""

    state: NotificationState
    target: str = ""
    error: str | None = None
    next_attempt_at: dt.datetime | None = None
    """For ``failed``: when to try again."""


class PayloadCorrection(msgspec.Struct, frozen=True, kw_only=True):
    """What correcting a parked message's payload came to."""

    case_id: int
    original_id: int
    """The parked message, now ``superseded``."""
    message_id: int
    """The corrected message, stored and processed."""
    state: str
    """The corrected message's state (``processed``, ``parked``...)."""
    case_closed: bool
    """True when no message is left parked on the case, which the correction resolved."""
