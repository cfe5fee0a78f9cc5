"""The audit log's store contract, on every backend: appends chain, case actions audit in their
own transaction, the table refuses changes, and two stores appending at once keep one chain."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from careweave.engine.store.audit_verify import verify_chain
from careweave.engine.store.base import BaseStore
from careweave.exceptions import ValidationError
from careweave.model.audit import GENESIS_HASH, AuditAction, AuditEntry
from careweave.model.records import MessageState, NewCase, Processing
from careweave.model.state import BusinessState
from tests.integration.store.builders import NOW, message
from tests.integration.store.conftest import StoreFactory


def read(actor: str, n: int) -> AuditEntry:
    return AuditEntry(
        actor=actor, action=AuditAction.PHI_READ, subject=f"message:{n}", detail={"n": str(n)}
    )


async def park(store: BaseStore, code: str, trace: str) -> int:
    case = NewCase(
        case_key=f"item-miss:{code}",
        reason_code="ITEM_NOT_IN_MASTER",
        owning_team="supply-chain",
        summary=f"EHR item {code} is not in the ERP item master",
        suggested_fix="map it in the item crosswalk",
    )
    await store.ingest(
        message(trace_id=trace), Processing(state=MessageState.PARKED, cases=(case,))
    )
    (found,) = await store.list_cases(case_key=f"item-miss:{code}")
    return found.id


async def test_appends_chain_in_order_and_read_back_in_pages(store: BaseStore) -> None:
    assert await store.audit_entries() == []
    seqs = [await store.append_audit(read("ana", n)) for n in range(5)]
    assert seqs == [1, 2, 3, 4, 5]
    first_page = await store.audit_entries(limit=2)
    rest = await store.audit_entries(after_seq=2, limit=10)
    entries = first_page + rest
    assert [e.seq for e in entries] == [1, 2, 3, 4, 5]
    assert entries[0].prev_hash == GENESIS_HASH
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]
    assert (entries[3].actor, entries[3].action, entries[3].subject, entries[3].detail) == (
        "ana",
        "phi.read",
        "message:3",
        {"n": "3"},
    )
    report = await verify_chain(store, page=2)
    assert (report.entries, report.head, report.broken) == (5, entries[-1].hash, None)


async def test_case_actions_are_audited_with_the_change(store: BaseStore) -> None:
    """Who did what to which case; what people typed (it may quote a patient) stays in the case's
    trail, sealed by the codec, and never reaches the audit log."""
    first = await park(store, "A-1", "a")
    second = await park(store, "B-2", "b")
    await store.assign_case(first, assignee="ana", actor="lead", now=NOW)
    await store.comment_case(first, actor="ana", text="asked the vendor", now=NOW)
    await store.discard_case(second, actor="raj", reason="test patient", now=NOW)
    await store.resolve_case(first, actor="ana", resolution="mapped", now=NOW)
    # Automatic case events (notifications, replays) are the case's trail, not the audit log.
    await store.add_case_event(first, action="replayed", actor="ana", detail="1", now=NOW)
    audited = [(e.actor, e.action, e.subject, e.detail) for e in await store.audit_entries()]
    assert audited == [
        ("lead", "case.assign", f"case:{first}", {"assignee": "ana"}),
        ("ana", "case.comment", f"case:{first}", {}),
        ("raj", "case.discard", f"case:{second}", {}),
        ("ana", "case.resolve", f"case:{first}", {"parked": "1"}),
    ]


async def test_a_payload_edit_is_audited_with_the_correction(store: BaseStore) -> None:
    case_id = await park(store, "A-1", "a")
    (original,) = (await store.get_case(case_id)).message_ids

    def fixed(_state: BusinessState) -> Processing:
        return Processing(state=MessageState.PROCESSED)

    new = message(raw=b"MSH|corrected\r", trace_id="a2")
    correction, _ = await store.correct_message(case_id, original, new, fixed, actor="ana", now=NOW)
    (entry,) = await store.audit_entries()
    assert (entry.actor, entry.action, entry.subject) == (
        "ana",
        "payload.edit",
        f"message:{original}",
    )
    assert entry.detail == {
        "case": str(case_id),
        "corrected_message": str(correction.message_id),
        "case_closed": "true",
    }


async def test_a_refused_case_action_writes_no_audit_entry(store: BaseStore) -> None:
    case_id = await park(store, "A-1", "a")
    await store.discard_case(case_id, actor="raj", reason="test patient", now=NOW)
    with pytest.raises(ValidationError):
        await store.assign_case(case_id, assignee="ana", actor="lead", now=NOW)
    with pytest.raises(ValidationError):
        await store.discard_case(case_id, actor="raj", reason="again", now=NOW)
    assert [e.action for e in await store.audit_entries()] == ["case.discard"]


async def test_the_audit_table_refuses_updates_and_deletes(stores: StoreFactory) -> None:
    store = await stores.open()
    await store.append_audit(read("ana", 1))
    if stores.backend == "sqlite":
        with sqlite3.connect(stores.tmp_path / "careweave-0.db") as conn:
            for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
                with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                    conn.execute(statement)
    else:
        assert stores.postgres_url is not None
        for statement in (
            "UPDATE audit_log SET actor = 'x'",
            "DELETE FROM audit_log",
            "TRUNCATE audit_log",
        ):
            with psycopg.connect(stores.postgres_url) as pg:
                pg.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(stores.schema)))
                with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                    pg.execute(statement)
    (kept,) = await store.audit_entries()
    assert kept.actor == "ana"


@pytest.mark.postgres
async def test_two_stores_appending_at_once_keep_one_chain(
    postgres_url: str, tmp_path: Path
) -> None:
    stores = StoreFactory("postgres", tmp_path, postgres_url)
    try:
        one, two = await stores.open(), await stores.open()

        async def burst(store: BaseStore, actor: str) -> list[int]:
            return [await store.append_audit(read(actor, n)) for n in range(40)]

        # Many appenders per store too: each store's pool holds several connections.
        results = await asyncio.gather(
            *(burst(s, f"{name}{k}") for s, name in ((one, "one"), (two, "two")) for k in range(3))
        )
        seqs = sorted(seq for result in results for seq in result)
        assert seqs == list(range(1, 241))  # no seq given twice, none skipped
        report = await verify_chain(two, page=50)
        assert (report.entries, report.broken) == (240, None)
    finally:
        await stores.cleanup()
