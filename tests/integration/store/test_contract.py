"""The store contract: every backend (SQLite, PostgreSQL) behaves the same through BaseStore."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from careweave.engine.store.base import BaseStore
from careweave.exceptions import NotFoundError
from careweave.model.records import (
    AttemptOutcome,
    CaseState,
    EffectState,
    MessageQuery,
    MessageState,
    NewCase,
    NewEvent,
    Processing,
    ReplayStage,
)
from tests.conftest import corpus_path
from tests.integration.store.builders import (
    NOW,
    WORKER,
    XorCodec,
    effect,
    message,
    outcome,
    processed,
)
from tests.integration.store.conftest import StoreFactory

LEASE = (
    86_400.0  # leases outlive every time jump in these tests, except where one expires on purpose
)
SHORT_LEASE = 30.0
SECOND = dt.timedelta(seconds=1)


async def claim(store: BaseStore, *, worker=WORKER, limit=10, now=NOW, dest="rcm", lease=LEASE):
    return await store.claim_effects(dest, worker=worker, limit=limit, lease=lease, now=now)


# -- ingest ---------------------------------------------------------------------------------------


async def test_ingest_stores_raw_bytes_exactly_and_times_in_utc(store: BaseStore):
    raw = corpus_path("hl7v2", "ms-fhir-converter", "messages", "ADT-A01-01.hl7").read_bytes()
    received = dt.datetime(
        2025, 3, 1, 7, 30, 15, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-5))
    )
    event = NewEvent(event_type="PatientAdmitted", idempotency_key="enc-1:v1", payload=b'{"a":1}')
    result = await store.ingest(
        message(raw=raw, dedup_key="MSG00001", received_at=received),
        processed(effect("enc-1:charge"), events=(event,)),
    )
    assert not result.duplicate
    assert result.state is MessageState.PROCESSED

    stored = await store.get_message(result.message_id)
    assert stored.raw == raw
    assert stored.channel == "adt-in"
    assert stored.sender == "10.0.0.7"
    assert stored.dedup_key == "MSG00001"
    assert stored.trace_id == "trace-1"
    assert stored.received_at == received
    assert stored.received_at.utcoffset() == dt.timedelta(0)
    lineage = await store.lineage(result.message_id)
    assert [e.payload for e in lineage.events] == [b'{"a":1}']
    assert lineage.events[0].created_at.utcoffset() == dt.timedelta(0)
    (queued,) = lineage.effects
    assert queued.state is EffectState.PENDING
    assert queued.payload == b'{"charge": 1}'
    assert queued.trace_id == "trace-1"
    assert queued.next_attempt_at == received
    assert queued.attempts == 0


async def test_get_message_of_unknown_id_is_not_found(store: BaseStore):
    with pytest.raises(NotFoundError, match="424242"):
        await store.get_message(424242)


async def test_duplicate_is_acknowledged_counted_and_not_stored_again(store: BaseStore):
    first = await store.ingest(message(dedup_key="MSG1"), processed(effect("k-1")))
    again = await store.ingest(
        message(dedup_key="MSG1", raw=b"different bytes"), processed(effect("k-2"))
    )
    other_channel = await store.ingest(
        message(dedup_key="MSG1", channel="orm-in"), processed(effect("k-3"))
    )

    assert again.duplicate
    assert again.message_id == first.message_id
    assert again.state is MessageState.PROCESSED
    assert not other_channel.duplicate
    assert other_channel.message_id != first.message_id
    original = await store.get_message(first.message_id)
    assert original.duplicates == 1
    assert original.raw == message().raw
    effects = await store.list_effects(destination="rcm")
    assert sorted(e.idempotency_key for e in effects) == ["k-1", "k-3"]
    assert (await store.counts())["messages.duplicates"] == 1


async def test_duplicates_arriving_together_store_one_message(store: BaseStore):
    results = await asyncio.gather(
        *(store.ingest(message(dedup_key="SAME"), processed(effect("k"))) for _ in range(5))
    )
    ids = {r.message_id for r in results}
    assert len(ids) == 1
    assert sorted(r.duplicate for r in results) == [False, True, True, True, True]
    assert (await store.get_message(ids.pop())).duplicates == 4
    assert len(await store.list_effects()) == 1


async def test_500_concurrent_ingests_are_all_stored(store: BaseStore):
    results = await asyncio.gather(
        *(
            store.ingest(
                message(dedup_key=f"MSG{i}", raw=f"MSH|{i}".encode(), trace_id=f"t{i}"),
                processed(effect(f"charge-{i}")),
            )
            for i in range(500)
        )
    )
    assert len({r.message_id for r in results}) == 500
    assert not any(r.duplicate for r in results)
    counts = await store.counts()
    assert counts["messages.processed"] == 500
    assert counts["effects.pending"] == 500
    sample = await store.get_message(results[321].message_id)
    assert sample.raw == b"MSH|321"
    assert sample.trace_id == "t321"


# -- claiming -------------------------------------------------------------------------------------


async def test_claim_takes_only_due_effects_up_to_the_limit(store: BaseStore):
    for i in range(5):
        await store.ingest(message(trace_id=f"t{i}"), processed(effect(f"k{i}")))
    await store.ingest(message(received_at=NOW + dt.timedelta(hours=1)), processed(effect("late")))

    first = await claim(store, limit=3)
    assert [e.idempotency_key for e in first] == ["k0", "k1", "k2"]
    assert all(e.state is EffectState.IN_FLIGHT and e.attempts == 1 for e in first)
    rest = await claim(store, limit=10)
    assert [e.idempotency_key for e in rest] == ["k3", "k4"]
    assert await claim(store) == []
    later = await claim(store, now=NOW + dt.timedelta(hours=2))
    assert [e.idempotency_key for e in later] == ["late"]
    assert await claim(store, dest="erp") == []


async def test_claim_gives_only_the_head_of_each_ordering_key(store: BaseStore):
    await store.ingest(
        message(),
        processed(
            effect("k1:e1", ordering_key="k1"),
            effect("k1:e2", ordering_key="k1"),
            effect("k2:e1", ordering_key="k2"),
            effect("free-1"),
            effect("free-2"),
        ),
    )
    first = await claim(store)
    assert [e.idempotency_key for e in first] == ["k1:e1", "k2:e1", "free-1", "free-2"]
    # e1 in flight still blocks e2; a retry keeps it blocking; only delivery unblocks.
    assert await claim(store) == []
    head = first[0]
    retry_at = NOW + dt.timedelta(minutes=5)
    await store.complete_effects(
        [outcome(head, AttemptOutcome.RETRY, next_attempt_at=retry_at, error="503")]
    )
    assert await claim(store, now=NOW + dt.timedelta(minutes=1)) == []
    again = await claim(store, now=retry_at)
    assert [e.idempotency_key for e in again] == ["k1:e1"]
    assert again[0].attempts == 2
    await store.complete_effects([outcome(again[0], AttemptOutcome.DELIVERED)])
    second = await claim(store, now=retry_at)
    assert [e.idempotency_key for e in second] == ["k1:e2"]


async def test_claim_finds_the_heads_behind_a_long_queue_on_one_key(store: BaseStore):
    # 700 journals queued on one key (more than the SQLite claim's bounded walk looks at) hide
    # the heads of the other keys from a walk in id order; the claim must still find them.
    queued = [effect(f"gl:{n}", ordering_key="gl") for n in range(700)]
    await store.ingest(message(trace_id="t1"), processed(*queued))
    await store.ingest(
        message(trace_id="t2"),
        processed(effect("s:1", ordering_key="s"), effect("free"), effect("s:2", ordering_key="s")),
    )
    first = await claim(store)
    assert [e.idempotency_key for e in first] == ["gl:0", "s:1", "free"]
    assert await claim(store) == []
    head = first[0]
    retry_at = NOW + dt.timedelta(minutes=5)
    await store.complete_effects(
        [
            outcome(head, AttemptOutcome.RETRY, next_attempt_at=retry_at, error="503"),
            outcome(first[1], AttemptOutcome.DELIVERED),
        ]
    )
    # The head waiting for its retry still holds its 699 followers back.
    assert [e.idempotency_key for e in await claim(store, now=retry_at - SECOND)] == ["s:2"]
    assert [e.idempotency_key for e in await claim(store, now=retry_at)] == ["gl:0"]


async def test_a_dead_head_unblocks_its_key(store: BaseStore):
    await store.ingest(
        message(),
        processed(effect("e1", ordering_key="enc-9"), effect("e2", ordering_key="enc-9")),
    )
    (head,) = await claim(store)
    await store.complete_effects([outcome(head, AttemptOutcome.DEAD, error="400 refused")])
    assert [e.idempotency_key for e in await claim(store)] == ["e2"]


async def test_expired_lease_is_reclaimed_and_the_stale_worker_is_ignored(store: BaseStore):
    await store.ingest(
        message(), processed(effect("e1", ordering_key="k"), effect("e2", ordering_key="k"))
    )
    (lost,) = await claim(store, worker="crashed", lease=SHORT_LEASE)
    assert await claim(store, worker="other", now=NOW + dt.timedelta(seconds=SHORT_LEASE - 1)) == []

    after_lease = NOW + dt.timedelta(seconds=SHORT_LEASE + 1)
    (reclaimed,) = await claim(store, worker="other", now=after_lease)
    assert reclaimed.id == lost.id
    assert reclaimed.attempts == 2

    stale = await store.complete_effects(
        [outcome(lost, AttemptOutcome.DELIVERED, worker="crashed")]
    )
    assert stale == 0
    assert await claim(store, worker="third", now=after_lease) == []  # e1 still leased to "other"
    applied = await store.complete_effects(
        [outcome(reclaimed, AttemptOutcome.DELIVERED, worker="other", at=after_lease)]
    )
    assert applied == 1
    attempts = (await store.lineage(lost.message_id)).attempts
    assert [(a.effect_id, a.outcome) for a in attempts] == [(lost.id, AttemptOutcome.DELIVERED)]


# -- completing -----------------------------------------------------------------------------------


async def test_complete_moves_effects_on_and_records_attempts(store: BaseStore):
    ingested = await store.ingest(
        message(), processed(effect("ok"), effect("flaky"), effect("bad"))
    )
    ok, flaky, bad = await claim(store)
    retry_at = NOW + dt.timedelta(seconds=90)
    applied = await store.complete_effects(
        [
            outcome(ok, AttemptOutcome.DELIVERED),
            outcome(flaky, AttemptOutcome.RETRY, next_attempt_at=retry_at, error="timeout"),
            outcome(bad, AttemptOutcome.DEAD, error="422 unknown payer"),
        ]
    )
    assert applied == 3
    by_key = {e.idempotency_key: e for e in await store.list_effects()}
    assert by_key["ok"].state is EffectState.DELIVERED
    assert by_key["flaky"].state is EffectState.PENDING
    assert by_key["flaky"].next_attempt_at == retry_at
    assert by_key["flaky"].last_error == "timeout"
    assert by_key["bad"].state is EffectState.DEAD
    assert by_key["bad"].last_error == "422 unknown payer"

    attempts = (await store.lineage(ingested.message_id)).attempts
    assert [(a.effect_id, a.attempt, a.outcome) for a in attempts] == [
        (ok.id, 1, AttemptOutcome.DELIVERED),
        (flaky.id, 1, AttemptOutcome.RETRY),
        (bad.id, 1, AttemptOutcome.DEAD),
    ]
    assert attempts[0].status == 200 and attempts[0].response == "ok"
    assert attempts[2].error == "422 unknown payer"
    assert attempts[0].finished_at - attempts[0].started_at == dt.timedelta(milliseconds=20)
    (retried,) = await claim(store, now=retry_at)
    assert (retried.id, retried.attempts) == (flaky.id, 2)


async def test_completing_twice_applies_once(store: BaseStore):
    await store.ingest(message(), processed(effect("once")))
    (claimed,) = await claim(store)
    verdict = outcome(claimed, AttemptOutcome.DELIVERED)
    assert await store.complete_effects([verdict, verdict]) == 1
    assert await store.complete_effects([verdict]) == 0
    assert len((await store.lineage(claimed.message_id)).attempts) == 1


async def test_dead_letters_are_listed_by_state(store: BaseStore):
    await store.ingest(
        message(), processed(effect("a"), effect("b"), effect("c", destination="erp"))
    )
    a, b = await claim(store)
    (c,) = await claim(store, dest="erp")
    await store.complete_effects(
        [
            outcome(a, AttemptOutcome.DEAD),
            outcome(b, AttemptOutcome.DELIVERED),
            outcome(c, AttemptOutcome.DEAD),
        ]
    )
    dead = await store.list_effects(state=EffectState.DEAD)
    assert [e.idempotency_key for e in dead] == ["a", "c"]
    rcm_dead = await store.list_effects(destination="rcm", state=EffectState.DEAD)
    assert [e.idempotency_key for e in rcm_dead] == ["a"]
    assert len(await store.list_effects(limit=2)) == 2


# -- replay ---------------------------------------------------------------------------------------


async def test_requeue_puts_a_dead_letter_back_with_a_fresh_budget(store: BaseStore):
    await store.ingest(message(), processed(effect("a"), effect("b")))
    a, b = await claim(store)
    await store.complete_effects([outcome(a, AttemptOutcome.DEAD, error="refused")])
    later = NOW + dt.timedelta(hours=3)

    count = await store.requeue_effects([a.id, b.id, 999_999], reason="crosswalk fixed", now=later)
    assert count == 1  # b is in flight, 999999 does not exist
    assert await claim(store, now=later - SECOND) == []
    (again,) = await claim(store, now=later)
    assert again.id == a.id
    assert again.attempts == 1
    (replay,) = (await store.lineage(a.message_id)).replays
    assert (replay.effect_id, replay.stage, replay.reason) == (
        a.id,
        ReplayStage.DELIVER,
        "crosswalk fixed",
    )
    assert replay.requested_at == later


async def test_reprocess_queues_only_effects_not_already_open(store: BaseStore):
    failed = Processing(state=MessageState.ERROR, error="item 4411 not in item master")
    ingested = await store.ingest(message(), failed)
    assert ingested.state is MessageState.ERROR
    assert await store.list_effects() == []

    fixed = processed(effect("charge"), effect("inventory", destination="erp"))
    later = NOW + dt.timedelta(hours=1)
    assert await store.reprocess_message(ingested.message_id, fixed, reason="fix", now=later) == 2
    # Replaying again while both are still open queues nothing new.
    assert await store.reprocess_message(ingested.message_id, fixed, reason="again", now=later) == 0
    (charge,) = await claim(store, now=later)
    await store.complete_effects([outcome(charge, AttemptOutcome.DELIVERED, at=later)])
    # Delivered effects are not sent again either; a dead one gets a new effect.
    assert await store.reprocess_message(ingested.message_id, fixed, reason="third", now=later) == 0
    (inventory,) = await claim(store, now=later, dest="erp")
    await store.complete_effects([outcome(inventory, AttemptOutcome.DEAD, at=later)])
    assert (
        await store.reprocess_message(ingested.message_id, fixed, reason="fourth", now=later) == 1
    )

    lineage = await store.lineage(ingested.message_id)
    assert lineage.message.state is MessageState.PROCESSED
    assert lineage.message.error is None
    assert [(e.destination, e.idempotency_key) for e in lineage.effects] == [
        ("rcm", "charge"),
        ("erp", "inventory"),
        ("erp", "inventory"),
    ]
    assert [(r.stage, r.reason, r.effect_id) for r in lineage.replays] == [
        (ReplayStage.DECODE, "fix", None),
        (ReplayStage.DECODE, "again", None),
        (ReplayStage.DECODE, "third", None),
        (ReplayStage.DECODE, "fourth", None),
    ]
    with pytest.raises(NotFoundError):
        await store.reprocess_message(424242, fixed, reason="x", now=later)


async def test_record_replay_appears_in_lineage(store: BaseStore):
    ingested = await store.ingest(message(), processed())
    await store.record_replay(ingested.message_id, stage=ReplayStage.DECODE, reason="bulk", now=NOW)
    (replay,) = (await store.lineage(ingested.message_id)).replays
    assert (replay.stage, replay.reason, replay.requested_at) == (ReplayStage.DECODE, "bulk", NOW)


# -- queries --------------------------------------------------------------------------------------


async def test_lineage_holds_everything_derived_from_one_message(store: BaseStore):
    events = (
        NewEvent(event_type="ProcedureDocumented", idempotency_key="p1", payload=b"{1}"),
        NewEvent(event_type="SupplyUsed", idempotency_key="s1", payload=b"{2}"),
    )
    mine = await store.ingest(
        message(trace_id="mine"),
        processed(effect("charge"), effect("gl", destination="erp"), events=events),
    )
    await store.ingest(message(trace_id="other"), processed(effect("not-mine")))
    charge, _not_mine = await claim(store)
    await store.complete_effects([outcome(charge, AttemptOutcome.DELIVERED)])

    lineage = await store.lineage(mine.message_id)
    assert lineage.message.id == mine.message_id
    assert lineage.message.raw == message().raw
    assert [(e.event_type, e.idempotency_key) for e in lineage.events] == [
        ("ProcedureDocumented", "p1"),
        ("SupplyUsed", "s1"),
    ]
    assert all(e.message_id == mine.message_id for e in lineage.events + lineage.effects)
    assert [(e.idempotency_key, e.state) for e in lineage.effects] == [
        ("charge", EffectState.DELIVERED),
        ("gl", EffectState.PENDING),
    ]
    assert [a.effect_id for a in lineage.attempts] == [charge.id]
    assert lineage.replays == []
    with pytest.raises(NotFoundError):
        await store.lineage(424242)


async def test_list_messages_filters_newest_first_without_raw(store: BaseStore):
    for i, (channel, state) in enumerate(
        [
            ("adt-in", MessageState.PROCESSED),
            ("adt-in", MessageState.ERROR),
            ("orm-in", MessageState.PROCESSED),
        ]
    ):
        await store.ingest(
            message(
                channel=channel, dedup_key=f"MSG-{i}-X", received_at=NOW + i * dt.timedelta(hours=1)
            ),
            Processing(state=state),
        )

    everything = await store.list_messages(MessageQuery())
    assert [m.dedup_key for m in everything] == ["MSG-2-X", "MSG-1-X", "MSG-0-X"]
    assert all(m.raw is None for m in everything)
    adt = await store.list_messages(MessageQuery(channel="adt-in"))
    assert [m.dedup_key for m in adt] == ["MSG-1-X", "MSG-0-X"]
    errors = await store.list_messages(MessageQuery(state=MessageState.ERROR))
    assert [m.dedup_key for m in errors] == ["MSG-1-X"]
    window = await store.list_messages(
        MessageQuery(since=NOW + dt.timedelta(minutes=30), until=NOW + dt.timedelta(hours=2))
    )
    assert [m.dedup_key for m in window] == ["MSG-1-X"]
    # Sealed dedup keys are found whole, not by a substring (see test_phi_at_rest for control ids).
    text = await store.list_messages(MessageQuery(text="MSG-2-X"))
    assert [m.dedup_key for m in text] == ["MSG-2-X"]
    assert len(await store.list_messages(MessageQuery(limit=1))) == 1


async def test_counts_by_state(store: BaseStore):
    await store.ingest(message(dedup_key="A"), processed(effect("a"), effect("b")))
    await store.ingest(message(dedup_key="A"), processed(effect("a")))
    await store.ingest(message(dedup_key="B"), Processing(state=MessageState.ERROR, error="bad"))
    (a,) = await claim(store, limit=1)
    await store.complete_effects([outcome(a, AttemptOutcome.DEAD)])
    assert await store.counts() == {
        "messages.processed": 1,
        "messages.error": 1,
        "messages.duplicates": 1,
        "effects.dead": 1,
        "effects.pending": 1,
    }


# -- retention and codec --------------------------------------------------------------------------


async def test_prune_drops_content_of_finished_messages_only(store: BaseStore):
    event = NewEvent(event_type="ChargeCaptured", idempotency_key="c", payload=b"{}")
    done = await store.ingest(message(trace_id="done"), processed(effect("done"), events=(event,)))
    waiting = await store.ingest(message(trace_id="waiting"), processed(effect("waiting")))
    recent = await store.ingest(message(received_at=NOW + dt.timedelta(days=40)), processed())
    other = await store.ingest(message(channel="orm-in"), processed())
    first, _second = await claim(store)
    await store.complete_effects([outcome(first, AttemptOutcome.DELIVERED)])

    assert await store.prune_content("adt-in", older_than=NOW + dt.timedelta(days=30)) == 1

    pruned = await store.lineage(done.message_id)
    assert pruned.message.raw is None
    assert pruned.message.trace_id == "done"
    assert pruned.message.state is MessageState.PROCESSED
    assert [e.payload for e in pruned.events] == [None]
    assert [e.payload for e in pruned.effects] == [None]
    assert [a.outcome for a in pruned.attempts] == [AttemptOutcome.DELIVERED]
    for kept in (waiting, recent, other):
        assert (await store.get_message(kept.message_id)).raw == message().raw
    assert (await store.lineage(waiting.message_id)).effects[0].payload == b'{"charge": 1}'
    assert await store.prune_content("adt-in", older_than=NOW + dt.timedelta(days=30)) == 0


async def test_payload_codec_seals_what_is_stored(stores: StoreFactory):
    store = await stores.open(codec=XorCodec())
    event = NewEvent(event_type="SupplyUsed", idempotency_key="s", payload=b"implant 4411")
    result = await store.ingest(
        message(raw=b"MSH|secret PHI"),
        processed(effect("e", payload=b"charge $12.50"), events=(event,)),
    )
    stored = stores.stored_raw(result.message_id)
    assert stored is not None and stored != b"MSH|secret PHI"
    assert b"secret" not in stored
    assert (await store.get_message(result.message_id)).raw == b"MSH|secret PHI"
    lineage = await store.lineage(result.message_id)
    assert lineage.events[0].payload == b"implant 4411"
    assert lineage.effects[0].payload == b"charge $12.50"
    (claimed,) = await claim(store)
    assert claimed.payload == b"charge $12.50"


# -- exception cases ------------------------------------------------------------------------------


def _item_miss(code: str, line: str) -> NewCase:
    return NewCase(
        case_key=f"item-miss:{code}",
        reason_code="ITEM_NOT_IN_MASTER",
        owning_team="supply-chain",
        summary=f"EHR item {code} is not in the ERP item master",
        suggested_fix="map it in the item crosswalk",
        payload_reference=line,
        sla_hours=4,
    )


async def test_a_case_opened_without_a_message_is_opened_once_per_key(store: BaseStore):
    breach = _item_miss("SLA", "")
    first, opened = await store.open_case(breach, now=NOW)
    assert opened
    again, opened_again = await store.open_case(breach, now=NOW + dt.timedelta(minutes=5))
    assert (again, opened_again) == (first, False)
    (case,) = await store.list_cases()
    assert case.id == first and case.message_ids == [] and case.summary == breach.summary
    assert case.sla_due_at == NOW + dt.timedelta(hours=4)
    assert await store.resolve_case(first, actor="careweave", resolution="ok", now=NOW) == []
    reopened, opened_later = await store.open_case(breach, now=NOW + dt.timedelta(hours=1))
    assert opened_later and reopened != first


async def test_parked_messages_join_one_case_until_it_is_resolved(store: BaseStore):
    parked = Processing(state=MessageState.PARKED, cases=(_item_miss("EHR-4471", "line-1"),))
    first = await store.ingest(message(trace_id="a"), parked)
    second = await store.ingest(message(trace_id="b"), parked)
    (case,) = await store.list_cases(team="supply-chain")
    assert case.case_key == "item-miss:EHR-4471"
    assert case.message_ids == [first.message_id, second.message_id]
    assert case.sla_due_at == NOW + dt.timedelta(hours=4)
    assert (await store.lineage(first.message_id)).case_ids == [case.id]

    await store.add_case_event(case.id, action="notified", actor="mailer", detail="x", now=NOW)
    later = NOW + dt.timedelta(hours=1)
    assert await store.resolve_case(case.id, actor="ana", resolution="mapped", now=later) == [
        first.message_id,
        second.message_id,
    ]
    resolved = await store.get_case(case.id)
    assert resolved.state is CaseState.RESOLVED and resolved.resolved_at == later
    assert [e.action for e in resolved.audit] == [
        "opened",
        "linked",
        "linked",
        "notified",
        "resolved",
    ]
    assert await store.list_cases() == []
    # The same problem again after the fix opens a new case.
    third = await store.ingest(message(trace_id="c"), parked)
    (reopened,) = await store.list_cases()
    assert reopened.id != case.id and reopened.message_ids == [third.message_id]
    with pytest.raises(NotFoundError):
        await store.get_case(424242)
