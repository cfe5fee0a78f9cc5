"""The audit log: who read PHI, replayed, resolved, edited or changed what, in a hash chain.

Each stored entry carries the SHA-256 of the entry before it (``prev_hash``) and its own ``hash``
over a canonical encoding of its fields, so a row altered, inserted or deleted after the fact
breaks the chain at that row: :func:`verify_link` names it. The store appends
(:meth:`~careweave.engine.store.base.BaseStore.append_audit`) one writer at a time, so the chain
never forks; ``careweave audit verify`` walks it.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib

import msgspec

GENESIS_HASH = "0" * 64
"""The ``prev_hash`` of the first entry: there is nothing before it."""

SYSTEM_ACTOR = "careweave"
"""The actor of what careweave does on its own (a replay no person asked for)."""


class AuditAction(enum.StrEnum):
    """The actions the audit log names (a plain string is accepted too: ``admin.*`` grows)."""

    PHI_READ = "phi.read"
    MESSAGE_REPLAY = "message.replay"
    CASE_RESOLVE = "case.resolve"
    CASE_DISCARD = "case.discard"
    CASE_ASSIGN = "case.assign"
    CASE_COMMENT = "case.comment"
    PAYLOAD_EDIT = "payload.edit"
    CROSSWALK_CHANGE = "crosswalk.change"
    MAPPING_CHANGE = "mapping.change"
    ADMIN_PERIOD_CLOSE = "admin.period-close"
    ADMIN_PRUNE = "admin.prune"


class AuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One thing to record: ``actor`` did ``action`` to ``subject`` (``message:12``, ``case:3``)."""

    actor: str
    action: str
    subject: str
    detail: dict[str, str] = {}
    """Facts worth keeping (counts, ids, an assignee, an item number); never PHI, and so never
    free text a person typed, which may quote a patient."""


class StoredAuditEntry(msgspec.Struct, frozen=True, kw_only=True):
    """An entry as the chain holds it."""

    seq: int
    """Position in the chain, from 1, without gaps."""
    at: dt.datetime
    """When it was appended (UTC, microseconds)."""
    actor: str
    action: str
    subject: str
    detail: dict[str, str]
    prev_hash: str
    """The ``hash`` of entry ``seq - 1`` (:data:`GENESIS_HASH` for the first)."""
    hash: str


def canonical_time(at: dt.datetime) -> str:
    """``at`` as the chain hashes it: UTC, ISO 8601, always with microseconds."""
    if at.tzinfo is None:
        raise ValueError("an audit timestamp must be timezone-aware")
    return at.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(
    *,
    seq: int,
    at: dt.datetime,
    actor: str,
    action: str,
    subject: str,
    detail: dict[str, str],
    prev_hash: str,
) -> str:
    """The SHA-256 (hex) of an entry's canonical encoding: JSON, keys sorted, no whitespace."""
    body = {
        "seq": seq,
        "at": canonical_time(at),
        "actor": actor,
        "action": action,
        "subject": subject,
        "detail": detail,
        "prev_hash": prev_hash,
    }
    return hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()


def chain_entry(
    entry: AuditEntry, *, seq: int, at: dt.datetime, prev_hash: str
) -> StoredAuditEntry:
    """The stored form of ``entry`` appended after a head whose hash is ``prev_hash``."""
    # Stored in UTC: the hash covers the instant, and both backends give it back in UTC.
    at = dt.datetime.fromisoformat(canonical_time(at))
    return StoredAuditEntry(
        seq=seq,
        at=at,
        actor=entry.actor,
        action=entry.action,
        subject=entry.subject,
        detail=dict(entry.detail),
        prev_hash=prev_hash,
        hash=entry_hash(
            seq=seq,
            at=at,
            actor=entry.actor,
            action=entry.action,
            subject=entry.subject,
            detail=entry.detail,
            prev_hash=prev_hash,
        ),
    )


class AuditBreak(msgspec.Struct, frozen=True, kw_only=True):
    """Where the chain stops holding."""

    seq: int
    """The first entry that does not match (the expected one, for a missing entry)."""
    actor: str
    action: str
    problem: str
    """``hash`` (the row's content no longer matches its hash), ``link`` (its ``prev_hash`` is
    not the previous entry's hash) or ``sequence`` (an entry is missing before it)."""


def verify_link(entry: StoredAuditEntry, *, prev_seq: int, prev_hash: str) -> AuditBreak | None:
    """Check one entry against the one before it (``prev_seq`` 0 and :data:`GENESIS_HASH` for the
    first); None when it holds."""
    recomputed = entry_hash(
        seq=entry.seq,
        at=entry.at,
        actor=entry.actor,
        action=entry.action,
        subject=entry.subject,
        detail=entry.detail,
        prev_hash=entry.prev_hash,
    )
    problem: str | None = None
    if recomputed != entry.hash:
        problem = "hash"
    elif entry.prev_hash != prev_hash:
        problem = "link"
    elif entry.seq != prev_seq + 1:
        problem = "sequence"
    if problem is None:
        return None
    return AuditBreak(seq=entry.seq, actor=entry.actor, action=entry.action, problem=problem)
