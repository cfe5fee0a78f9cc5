"""The audit chain's hashing and verification, without a store."""

from __future__ import annotations

import datetime as dt
import hashlib

import msgspec
import pytest

from careweave.model.audit import (
    GENESIS_HASH,
    AuditEntry,
    StoredAuditEntry,
    chain_entry,
    entry_hash,
    verify_link,
)

AT = dt.datetime(2026, 12, 5, 3, 30, 0, 123456, tzinfo=dt.UTC)


def chain(n: int) -> list[StoredAuditEntry]:
    out: list[StoredAuditEntry] = []
    prev = GENESIS_HASH
    for seq in range(1, n + 1):
        entry = AuditEntry(actor=f"user{seq}", action="case.resolve", subject=f"case:{seq}")
        stored = chain_entry(entry, seq=seq, at=AT + dt.timedelta(seconds=seq), prev_hash=prev)
        out.append(stored)
        prev = stored.hash
    return out


def test_the_hash_is_sha256_of_sorted_key_json_with_utc_microseconds() -> None:
    body = (
        b'{"action":"phi.read","actor":"ana","at":"2026-12-05T03:30:00.123456+00:00",'
        b'"detail":{"a":"1","b":"2"},"prev_hash":"' + GENESIS_HASH.encode() + b'",'
        b'"seq":1,"subject":"message:7"}'
    )
    assert (
        entry_hash(
            seq=1,
            at=AT,
            actor="ana",
            action="phi.read",
            subject="message:7",
            detail={"b": "2", "a": "1"},
            prev_hash=GENESIS_HASH,
        )
        == hashlib.sha256(body).hexdigest()
    )


def test_the_same_instant_in_another_zone_hashes_the_same() -> None:
    paris = AT.astimezone(dt.timezone(dt.timedelta(hours=1)))
    entry = AuditEntry(actor="ana", action="phi.read", subject="message:7")
    assert (
        chain_entry(entry, seq=1, at=paris, prev_hash=GENESIS_HASH).hash
        == chain_entry(entry, seq=1, at=AT, prev_hash=GENESIS_HASH).hash
    )


def test_a_naive_timestamp_is_refused() -> None:
    entry = AuditEntry(actor="ana", action="phi.read", subject="message:7")
    with pytest.raises(ValueError, match="timezone-aware"):
        chain_entry(entry, seq=1, at=AT.replace(tzinfo=None), prev_hash=GENESIS_HASH)


def test_each_entry_links_to_the_one_before() -> None:
    entries = chain(3)
    assert entries[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    prev_seq, prev_hash = 0, GENESIS_HASH
    for entry in entries:
        assert verify_link(entry, prev_seq=prev_seq, prev_hash=prev_hash) is None
        prev_seq, prev_hash = entry.seq, entry.hash


@pytest.mark.parametrize(
    "change",
    [
        {"actor": "mallory"},
        {"action": "case.discard"},
        {"subject": "case:99"},
        {"detail": {"reason": "nothing"}},
        {"at": AT},
        {"seq": 7},
        {"prev_hash": "f" * 64},
    ],
    ids=lambda c: next(iter(c)),
)
def test_altering_any_field_fails_the_hash(change: dict[str, object]) -> None:
    first, second = chain(2)
    altered = msgspec.structs.replace(second, **change)
    broken = verify_link(altered, prev_seq=1, prev_hash=first.hash)
    assert broken is not None
    assert (broken.seq, broken.problem) == (altered.seq, "hash")
    assert (broken.actor, broken.action) == (altered.actor, altered.action)


def test_a_removed_entry_breaks_the_link_of_the_next() -> None:
    first, _second, third = chain(3)
    broken = verify_link(third, prev_seq=first.seq, prev_hash=first.hash)
    assert broken is not None
    assert (broken.seq, broken.actor, broken.problem) == (3, "user3", "link")


def test_a_rehashed_entry_after_a_gap_is_named_as_a_sequence_break() -> None:
    first, _second, third = chain(3)
    # Someone removed entry 2 and recomputed entry 3's link and hash: still a gap in seq.
    forged = chain_entry(
        AuditEntry(actor=third.actor, action=third.action, subject=third.subject),
        seq=3,
        at=third.at,
        prev_hash=first.hash,
    )
    broken = verify_link(forged, prev_seq=first.seq, prev_hash=first.hash)
    assert broken is not None and broken.problem == "sequence"
