"""Reading audit rows back: what an append wrote round-trips; what a hand edit left fails its hash
instead of stopping the walk with a traceback."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest

from careweave.engine.store.audit_sql import entry_from_row
from careweave.model.audit import GENESIS_HASH, AuditEntry, canonical_time, chain_entry, verify_link

AT = dt.datetime(2026, 12, 5, 3, 30, 0, 5, tzinfo=dt.UTC)
STORED = chain_entry(
    AuditEntry(actor="ana", action="case.resolve", subject="case:3", detail={"n": "3"}),
    seq=1,
    at=AT,
    prev_hash=GENESIS_HASH,
)


def sqlite_row(**change: Any) -> list[Any]:
    row: dict[str, Any] = {
        "seq": STORED.seq,
        "at": canonical_time(STORED.at),
        "actor": STORED.actor,
        "action": STORED.action,
        "subject": STORED.subject,
        "detail": msgspec.json.encode(STORED.detail, order="sorted").decode(),
        "prev_hash": STORED.prev_hash,
        "hash": STORED.hash,
    }
    row.update(change)
    return list(row.values())


def test_a_row_as_sqlite_and_postgresql_keep_it_reads_back_equal() -> None:
    assert entry_from_row(sqlite_row()) == STORED
    native = sqlite_row(at=AT, detail={"n": "3"})  # timestamptz and jsonb as psycopg gives them
    assert entry_from_row(native) == STORED
    assert verify_link(entry_from_row(native), prev_seq=0, prev_hash=GENESIS_HASH) is None


@pytest.mark.parametrize(
    "change",
    [
        {"at": "yesterday"},
        {"at": "2026-12-05T03:30:00.000006+00:00"},
        {"detail": "not json"},
        {"detail": '["n", "3"]'},
        {"detail": '{"n": 3}'},  # looks equal once turned into text: must not pass
        {"detail": {"n": 3}},
    ],
    ids=["at-garbage", "at-moved", "detail-garbage", "detail-list", "detail-int", "jsonb-int"],
)
def test_a_hand_edited_value_fails_the_hash(change: dict[str, Any]) -> None:
    entry = entry_from_row(sqlite_row(**change))
    broken = verify_link(entry, prev_seq=0, prev_hash=GENESIS_HASH)
    assert broken is not None and (broken.seq, broken.problem) == (1, "hash")
