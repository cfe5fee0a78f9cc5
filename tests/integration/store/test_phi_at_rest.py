"""PHI at rest, on both backends: with a key, no column of the store holds a patient's values in
clear (raw messages, payloads, error text, attempt responses, compared keys, business state), yet
everything reads back, duplicates are still recognised, per-patient order still holds and a message
is still found by its control id. Without a key the same search finds the values: it can fail."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import msgspec
import pytest

from careweave.engine.store.base import BaseStore
from careweave.model.records import (
    AttemptOutcome,
    MessageQuery,
    MessageState,
    NewCase,
    NewEvent,
    Processing,
    ReplayStage,
)
from careweave.model.state import BusinessState, StateTable
from tests.integration.store.builders import NOW, WORKER, effect, message, outcome, processed
from tests.integration.store.conftest import StoreFactory, aes_codec

MRN, NAME, BIRTH, STREET, SSN = (
    "E2000517",
    "YOUNG^NANCY",
    "19680411",
    "6750 CEDAR CT",
    "123-45-6789",
)
PHI = (MRN, NAME, BIRTH, STREET, SSN)
RAW = (
    "MSH|^~\\&|EPIC|RBMC|CW|RBH|20250303||ADT^A01|3629553|P|2.5.1\r"
    f"PID|1||{MRN}^^^RBH^MR||{NAME}||{BIRTH}|F|||{STREET}^^NEENAH^WI||||||||{SSN}\r"
).encode()
DEDUP = "EPIC|RBMC|3629553"
LEASE = 86_400.0
CASE = NewCase(
    case_key="charge-validation:L1",
    reason_code="CHARGE_INVALID",
    owning_team="revenue-integrity",
    summary=f"charge for {NAME} born {BIRTH} has no CPT",
    suggested_fix=f"ask the unit about MRN {MRN}",
    details=(f"PID-19: {SSN}",),
)
COMMENT = f"called {NAME} at {STREET}"
REASON = f"re-sent for {NAME}, MRN {MRN}"


def _fill_state(state: BusinessState) -> Processing:
    state.put(StateTable.BILLING_ENCOUNTERS, "RBMC|282875292", f'{{"patient":"{NAME}"}}'.encode())
    event = NewEvent(
        event_type="PatientAdmitted",
        idempotency_key=f"admit:RBH|{MRN}:RBMC|282875292",
        payload=f'{{"mrn":"{MRN}","birth_date":"{BIRTH}"}}'.encode(),
    )
    done = processed(
        effect(f"rcm:{MRN}:1", ordering_key=MRN, payload=RAW),
        effect(f"rcm:{MRN}:2", ordering_key=MRN, payload=RAW),
        events=(event,),
    )
    return msgspec.structs.replace(done, cases=(CASE,))


async def _day(store: BaseStore) -> int:
    """Everything a message and its deliveries write; returns the message's id."""
    stored, _ = await store.ingest_with_state(message(raw=RAW, dedup_key=DEDUP), _fill_state)
    failed = Processing(state=MessageState.ERROR, error=f"PID-7: invalid date/time '{BIRTH}'")
    await store.ingest(message(raw=RAW, dedup_key="EPIC|RBMC|3629554"), failed)
    (head,) = await store.claim_effects("rcm", worker=WORKER, limit=10, lease=LEASE, now=NOW)
    retry = outcome(
        head,
        AttemptOutcome.RETRY,
        next_attempt_at=NOW,
        error=f"HTTP 422: patient {NAME} born {BIRTH} unknown",
    )
    await store.complete_effects([retry])
    (case,) = await store.list_cases()
    await store.comment_case(case.id, actor="lee", text=COMMENT, now=NOW)
    await store.record_replay(stored.message_id, stage=ReplayStage.DECODE, reason=REASON, now=NOW)
    return stored.message_id


def _stored_bytes(stores: StoreFactory) -> bytes:
    """Every byte the backend holds: the SQLite files (WAL included) or a pg_dump of the schema."""
    if stores.backend == "sqlite":
        return b"".join(p.read_bytes() for p in sorted(stores.tmp_path.glob("careweave-0.db*")))
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        pytest.fail("pg_dump is not installed (the PostgreSQL client tools are needed)")
    assert stores.postgres_url is not None
    dump = subprocess.run(
        [pg_dump, "--no-owner", f"--schema={stores.schema}", stores.postgres_url],
        capture_output=True,
        check=True,
    )
    return dump.stdout


@pytest.mark.parametrize("sealed", [True, False], ids=["with-key", "without-key"])
async def test_no_patient_value_is_stored_in_clear_with_a_key(
    stores: StoreFactory, sealed: bool
) -> None:
    store = await stores.open(codec=aes_codec() if sealed else None)
    await _day(store)
    stored = _stored_bytes(stores)
    # pg_dump writes bytea columns in hex: look for both spellings.
    found = [v for v in PHI if v.encode() in stored or v.encode().hex().encode() in stored]
    assert found == ([] if sealed else list(PHI))


async def test_everything_reads_back_and_still_compares_with_a_key(stores: StoreFactory) -> None:
    store = await stores.open(codec=aes_codec())
    message_id = await _day(store)

    lineage = await store.lineage(message_id)
    assert lineage.message.raw == RAW and lineage.message.dedup_key == DEDUP
    assert [e.idempotency_key for e in lineage.events] == [f"admit:RBH|{MRN}:RBMC|282875292"]
    assert [(f.idempotency_key, f.ordering_key) for f in lineage.effects] == [
        (f"rcm:{MRN}:1", MRN),
        (f"rcm:{MRN}:2", MRN),
    ]
    assert lineage.effects[0].last_error == f"HTTP 422: patient {NAME} born {BIRTH} unknown"
    assert [a.error for a in lineage.attempts] == [lineage.effects[0].last_error]
    assert [r.reason for r in lineage.replays] == [REASON]
    assert await store.get_state(StateTable.BILLING_ENCOUNTERS, "RBMC|282875292") == (
        f'{{"patient":"{NAME}"}}'.encode()
    )
    assert await store.state_rows(StateTable.BILLING_ENCOUNTERS) == [
        ("RBMC|282875292", f'{{"patient":"{NAME}"}}'.encode())
    ]
    (listed,) = await store.list_cases()
    case = await store.get_case(listed.id)
    assert (case.summary, case.suggested_fix, case.details) == (
        CASE.summary,
        CASE.suggested_fix,
        list(CASE.details),
    )
    assert listed.summary == CASE.summary
    assert [e.detail for e in case.audit if e.action in {"opened", "comment"}] == [
        CASE.summary,
        COMMENT,
    ]
    (failed,) = await store.list_messages(MessageQuery(state=MessageState.ERROR))
    assert failed.error == f"PID-7: invalid date/time '{BIRTH}'"

    # Per-patient order: the second effect waits behind the first (same sealed ordering key).
    (head,) = await store.claim_effects(
        "rcm", worker=WORKER, limit=10, lease=LEASE, now=NOW + dt.timedelta(hours=1)
    )
    assert head.idempotency_key == f"rcm:{MRN}:1"
    # A re-sent message is a duplicate; a replay queues no effect that is already open.
    again, _ = await store.ingest_with_state(message(raw=RAW, dedup_key=DEDUP), _fill_state)
    assert again.duplicate and again.message_id == message_id
    requeued = await store.reprocess_message(
        message_id, _fill_state(_Scratch()), reason="replay", now=NOW
    )
    assert requeued == 0
    # An operator finds a message by its control id (MSH-10) or its whole dedup key.
    for text in ("3629553", DEDUP):
        assert [m.id for m in await store.list_messages(MessageQuery(text=text))] == [message_id]
    assert await store.list_messages(MessageQuery(text="362955")) == []


async def test_a_substring_still_finds_a_dedup_key_stored_in_clear(stores: StoreFactory) -> None:
    store = await stores.open()
    stored = await store.ingest(message(dedup_key=DEDUP), processed())
    found = await store.list_messages(MessageQuery(text="RBMC|36295"))
    assert [m.id for m in found] == [stored.message_id]


class _Scratch:
    """Business state that forgets: for building a processing outside the store."""

    def get(self, table: StateTable, key: str) -> bytes | None:
        return None

    def put(self, table: StateTable, key: str, value: bytes) -> None:
        pass

    def delete(self, table: StateTable, key: str) -> None:
        pass
