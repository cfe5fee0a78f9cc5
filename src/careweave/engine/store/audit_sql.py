"""The audit log on a DB-API connection (SQLite), and the row mapping both backends share.

``append`` runs inside its caller's transaction: on SQLite that is the single writer's, which
already serialises every write of the process, and ``BEGIN IMMEDIATE`` serialises the CLI writing
beside a running engine. It reads the head inside that transaction, so two appends never both
follow the same entry (and the ``seq`` primary key would refuse it if they tried).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import msgspec

from careweave.engine.store.cases_sql import Cursor
from careweave.model.audit import (
    GENESIS_HASH,
    AuditAction,
    AuditEntry,
    StoredAuditEntry,
    canonical_time,
    chain_entry,
)
from careweave.model.casework import PayloadCorrection

AUDIT_SELECT = "SELECT seq, at, actor, action, subject, detail, prev_hash, hash FROM audit_log"
"""The columns :func:`entry_from_row` reads, in order."""

AUDIT_INSERT = (
    "INSERT INTO audit_log (seq, at, actor, action, subject, detail, prev_hash, hash) "
    "VALUES ({m}, {m}, {m}, {m}, {m}, {m}, {m}, {m})"
)

HEAD_SELECT = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"

CASE_EVENT_ACTIONS = {"comment": AuditAction.CASE_COMMENT}
"""Case-trail events written by a person that the audit log records too (notifications and
automatic events are not audited)."""

UNREADABLE = "(unreadable)"
"""The detail key standing for a stored value that is not what an append writes: a row changed by
hand that way fails its hash instead of stopping the walk."""

_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def _time(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    try:
        at = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return _NEVER
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def _detail(value: Any) -> dict[str, str]:
    decoded = value
    if isinstance(value, (str, bytes)):
        try:
            decoded = msgspec.json.decode(value)
        except msgspec.DecodeError:
            decoded = None
    # Only a JSON object of strings is what an append writes; anything else is kept as its text,
    # so that it cannot pass for an equal-looking detail (3 for "3").
    if isinstance(decoded, dict) and all(isinstance(v, str) for v in decoded.values()):
        return {str(k): v for k, v in decoded.items()}
    return {UNREADABLE: value if isinstance(value, str) else repr(value)}


def entry_from_row(row: Sequence[Any]) -> StoredAuditEntry:
    """A stored entry from an ``AUDIT_SELECT`` row (SQLite text or PostgreSQL native values).

    A value no append writes (a time that does not parse, a detail that is not an object of
    strings) is read as something that cannot match the row's hash, so ``verify`` names the row.
    """
    return StoredAuditEntry(
        seq=int(row[0]),
        at=_time(row[1]).astimezone(dt.UTC),
        actor=str(row[2]),
        action=str(row[3]),
        subject=str(row[4]),
        detail=_detail(row[5]),
        prev_hash=str(row[6]),
        hash=str(row[7]),
    )


def next_entry(head: Sequence[Any] | None, entry: AuditEntry, at: dt.datetime) -> StoredAuditEntry:
    """The entry that follows ``head`` (a ``HEAD_SELECT`` row, None on an empty log)."""
    seq, prev_hash = (0, GENESIS_HASH) if head is None else (int(head[0]), str(head[1]))
    return chain_entry(entry, seq=seq + 1, at=at, prev_hash=prev_hash)


def append(cur: Cursor, entry: AuditEntry, *, at: dt.datetime | None = None) -> int:
    """Append ``entry`` on the caller's transaction (SQLite); returns its ``seq``."""
    stored = next_entry(cur.execute(HEAD_SELECT).fetchone(), entry, at or dt.datetime.now(dt.UTC))
    cur.execute(
        AUDIT_INSERT.format(m="?"),
        (
            stored.seq,
            canonical_time(stored.at),
            stored.actor,
            stored.action,
            stored.subject,
            msgspec.json.encode(stored.detail, order="sorted").decode(),
            stored.prev_hash,
            stored.hash,
        ),
    )
    return stored.seq


def entries(cur: Cursor, *, after_seq: int, limit: int) -> list[StoredAuditEntry]:
    """Up to ``limit`` entries after ``after_seq``, in chain order (SQLite)."""
    found = cur.execute(f"{AUDIT_SELECT} WHERE seq > ? ORDER BY seq LIMIT ?", (after_seq, limit))
    return [entry_from_row(r) for r in found.fetchall()]


def case_entry(action: str, case_id: int, actor: str, **detail: str) -> AuditEntry:
    """The audit entry of a person's action on an exception case.

    Free text people typed (a resolution, a reason, a comment) stays in the case's trail, sealed by
    the store's codec: it may quote a patient, and the audit log holds no PHI."""
    return AuditEntry(actor=actor, action=action, subject=f"case:{case_id}", detail=detail)


def payload_edit_entry(correction: PayloadCorrection, actor: str) -> AuditEntry:
    """The audit entry of a parked message's payload replaced by a corrected copy."""
    return AuditEntry(
        actor=actor,
        action=AuditAction.PAYLOAD_EDIT,
        subject=f"message:{correction.original_id}",
        detail={
            "case": str(correction.case_id),
            "corrected_message": str(correction.message_id),
            "case_closed": str(correction.case_closed).lower(),
        },
    )
