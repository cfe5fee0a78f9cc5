"""What a team is told: the notice (JSON for webhooks, text for e-mail) and its signature.

A webhook receiver checks ``X-Careweave-Signature`` (``sha256=`` and the hex HMAC-SHA256 of the
raw body with the shared secret) before trusting the body; ``Idempotency-Key`` (``case-ID-KIND``)
is the same on every attempt of one notice, so a receiver can drop a repeat.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from email.message import EmailMessage

import msgspec

from careweave.model.casework import CaseSeverity, NotificationKind
from careweave.model.records import CaseState, ExceptionCase

SIGNATURE_HEADER = "X-Careweave-Signature"
EVENT_HEADER = "X-Careweave-Event"


class CaseNotice(msgspec.Struct, frozen=True, kw_only=True):
    """The body of a notification: the case as the team needs it to act."""

    kind: NotificationKind
    """``opened``, ``escalated`` (the SLA passed while open) or ``resolved`` (closed)."""
    case_id: int
    case_key: str
    team: str
    severity: CaseSeverity
    reason_code: str
    summary: str
    suggested_fix: str
    details: list[str]
    state: CaseState
    assignee: str | None
    opened_at: dt.datetime
    sla_due_at: dt.datetime
    overdue: bool
    parked_messages: int
    """How many messages wait on the case (their work is replayed when it is resolved)."""
    resolved_at: dt.datetime | None = None
    resolution: str | None = None

    @property
    def idempotency_key(self) -> str:
        """The same for every attempt of this notice."""
        return f"case-{self.case_id}-{self.kind.value}"

    @property
    def event(self) -> str:
        """``case.opened``, ``case.escalated``, ``case.resolved``."""
        return f"case.{self.kind.value}"


def notice_for(case: ExceptionCase, kind: NotificationKind, now: dt.datetime) -> CaseNotice:
    """The notice of ``kind`` about ``case`` as it stands ``now``."""
    return CaseNotice(
        kind=kind,
        case_id=case.id,
        case_key=case.case_key,
        team=case.owning_team,
        severity=case.severity,
        reason_code=case.reason_code,
        summary=case.summary,
        suggested_fix=case.suggested_fix,
        details=list(case.details),
        state=case.state,
        assignee=case.assignee,
        opened_at=case.opened_at,
        sla_due_at=case.sla_due_at,
        overdue=case.overdue(now),
        parked_messages=len(case.message_ids),
        resolved_at=case.resolved_at,
        resolution=case.resolution,
    )


def webhook_body(notice: CaseNotice) -> bytes:
    """The JSON a webhook receives."""
    return msgspec.json.encode(notice)


def signature(body: bytes, secret: str) -> str:
    """The ``X-Careweave-Signature`` value of ``body``: ``sha256=`` and the hex HMAC."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


_HEADLINES = {
    NotificationKind.OPENED: "new case",
    NotificationKind.ESCALATED: "SLA passed",
    NotificationKind.RESOLVED: "closed",
}


def email_for(notice: CaseNotice, *, sender: str, recipients: list[str]) -> EmailMessage:
    """The e-mail of a notice (plain text)."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(recipients)
    mail["Subject"] = (
        f"[careweave] {_HEADLINES[notice.kind]}: case {notice.case_id} "
        f"({notice.severity.value}) {' '.join(notice.summary.split())}"
    )
    mail["X-Careweave-Event"] = notice.event
    mail["X-Careweave-Case"] = str(notice.case_id)
    lines = [
        f"Case {notice.case_id} ({notice.case_key}), owned by {notice.team}: {notice.state.value}",
        f"Reason: {notice.reason_code} - {notice.summary}",
        f"Severity: {notice.severity.value}",
        f"Suggested fix: {notice.suggested_fix}",
        *(f"  - {line}" for line in notice.details),
        f"Parked messages: {notice.parked_messages}",
        f"Opened: {notice.opened_at.isoformat(timespec='minutes')}",
        f"SLA due: {notice.sla_due_at.isoformat(timespec='minutes')}"
        + (" (overdue)" if notice.overdue else ""),
        f"Assignee: {notice.assignee or 'nobody yet'}",
    ]
    if notice.resolution is not None:
        lines.append(f"Resolution: {notice.resolution}")
    lines += ["", f"careweave cases show {notice.case_id}"]
    mail.set_content("\n".join(lines) + "\n")
    return mail
