"""The exception workflow's SQL, shared by both backends (``{m}`` is the dialect's placeholder).

Notifications are claimed before they are sent: ``CLAIM_NEW`` inserts the ``(case, channel, kind)``
row with ``ON CONFLICT DO NOTHING``, so of two processes only one gets it back; ``CLAIM_AGAIN``
takes a failed row whose retry is due, or a claim whose holder died, in one conditional UPDATE that
PostgreSQL re-checks under the row lock.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from careweave.engine.store.rows import as_time
from careweave.model.casework import (
    CaseNotification,
    NotificationChannel,
    NotificationKind,
    NotificationState,
)

NOTIFICATION_SELECT = (
    "SELECT channel, kind, state, attempts, target, created_at, sent_at, next_attempt_at, "
    "last_error FROM case_notifications WHERE case_id = {m} ORDER BY created_at, "
    "CASE kind WHEN 'opened' THEN 0 WHEN 'escalated' THEN 1 ELSE 2 END, channel"
)

_SETTLED = "('sent', 'skipped', 'abandoned')"

DUE = f"""
SELECT c.id, 'opened' FROM exception_cases c
WHERE c.state = 'open' AND NOT EXISTS (
    SELECT 1 FROM case_notifications n
    WHERE n.case_id = c.id AND n.channel = {{m}} AND n.kind = 'opened')
UNION ALL
SELECT c.id, 'escalated' FROM exception_cases c
JOIN case_notifications o ON o.case_id = c.id AND o.channel = {{m}} AND o.kind = 'opened'
    AND o.state IN {_SETTLED}
WHERE c.state = 'open' AND c.sla_due_at < {{m}} AND NOT EXISTS (
    SELECT 1 FROM case_notifications n
    WHERE n.case_id = c.id AND n.channel = o.channel AND n.kind = 'escalated')
UNION ALL
SELECT c.id, 'resolved' FROM exception_cases c
JOIN case_notifications o ON o.case_id = c.id AND o.channel = {{m}} AND o.kind = 'opened'
    AND o.state IN {_SETTLED}
WHERE c.state <> 'open' AND NOT EXISTS (
    SELECT 1 FROM case_notifications n
    WHERE n.case_id = c.id AND n.channel = o.channel AND n.kind = 'resolved')
UNION ALL
SELECT n.case_id, n.kind FROM case_notifications n
WHERE n.channel = {{m}} AND ((n.state = 'failed' AND n.next_attempt_at <= {{m}})
    OR (n.state = 'sending' AND n.claimed_until <= {{m}}))
ORDER BY 1 LIMIT {{m}}
"""
"""Notifications due on one channel. Params: channel, channel, now, channel, channel, now, now,
limit. Escalation and resolution wait for the opening notice to settle, so a team hears of a
case in order; a case closed before its opening was announced is never announced."""


def due_params(channel: str, now: Any, limit: int) -> list[Any]:
    """The parameters of ``DUE``."""
    return [channel, channel, now, channel, channel, now, now, limit]


CLAIM_NEW = (
    "INSERT INTO case_notifications (case_id, channel, kind, state, attempts, claimed_by, "
    "claimed_until, created_at) VALUES ({m}, {m}, {m}, 'sending', 1, {m}, {m}, {m}) "
    "ON CONFLICT (case_id, channel, kind) DO NOTHING RETURNING attempts"
)
"""Params: case, channel, kind, worker, claimed until, now."""

CLAIM_AGAIN = (
    "UPDATE case_notifications SET state = 'sending', attempts = attempts + 1, "
    "claimed_by = {m}, claimed_until = {m} "
    "WHERE case_id = {m} AND channel = {m} AND kind = {m} "
    "AND ((state = 'failed' AND next_attempt_at <= {m}) "
    "OR (state = 'sending' AND claimed_until <= {m})) RETURNING attempts"
)
"""Params: worker, claimed until, case, channel, kind, now, now."""

FINISH = (
    "UPDATE case_notifications SET state = {m}, target = {m}, last_error = {m}, "
    "next_attempt_at = {m}, sent_at = {m}, claimed_by = NULL, claimed_until = NULL "
    "WHERE case_id = {m} AND channel = {m} AND kind = {m} AND claimed_by = {m} "
    "AND state = 'sending'"
)
"""Params: state, target, error, next attempt, sent at, case, channel, kind, worker."""


def notification_from_row(row: Sequence[Any]) -> CaseNotification:
    """Build a :class:`CaseNotification` from a ``NOTIFICATION_SELECT`` row."""
    return CaseNotification(
        channel=NotificationChannel(row[0]),
        kind=NotificationKind(row[1]),
        state=NotificationState(row[2]),
        attempts=int(row[3]),
        target=row[4],
        created_at=as_time(row[5]),
        sent_at=as_time(row[6]) if row[6] is not None else None,
        next_attempt_at=as_time(row[7]) if row[7] is not None else None,
        last_error=row[8],
    )


def notified_detail(kind: NotificationKind, channel: NotificationChannel, target: str) -> str:
    """The audit line of a notification sent."""
    return f"{kind.value} notice sent by {channel.value} to {target}"
