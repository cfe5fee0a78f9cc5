"""The ``nats`` destination against the real NATS JetStream server: a subject per event type, one
stored message per event whatever the re-deliveries, and failures judged transient or permanent."""

from __future__ import annotations

import datetime as dt

import msgspec
import nats
import pytest

from careweave.connectors.nats_stream import NatsStreamConfig, NatsStreamDestination
from careweave.exceptions import PermanentDeliveryError, TransientDeliveryError
from careweave.model.records import Effect, EffectState
from tests.integration.engine.helpers import free_port
from tests.integration.jetstream import ScratchStream, read_stream, scratch_stream

pytestmark = [pytest.mark.nats, pytest.mark.timeout(60)]

NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def event_effect(key: str, event_type: str, effect_id: int = 1) -> Effect:
    payload = msgspec.json.encode({"type": event_type, "idempotency_key": key})
    return Effect(
        id=effect_id,
        message_id=1,
        destination="analytics",
        idempotency_key=key,
        ordering_key="patient-1",
        content_type="application/json",
        payload=payload,
        state=EffectState.PENDING,
        attempts=1,
        created_at=NOW,
        next_attempt_at=NOW,
        last_error=None,
        trace_id="trace-1",
    )


def config(stream: ScratchStream, **changes: object) -> NatsStreamConfig:
    base = NatsStreamConfig(url=stream.url, stream=stream.name, subject_prefix=stream.prefix)
    return msgspec.structs.replace(base, **changes)


async def test_each_event_goes_to_its_type_s_subject_once_however_often_it_is_published(
    nats_url: str,
) -> None:
    async with scratch_stream(nats_url) as stream:
        destination = NatsStreamDestination(config(stream))
        await destination.open()
        try:
            charge = event_effect("charge:V1:1:99213", "ChargeCaptured")
            first = await destination.deliver(charge)
            again = await destination.deliver(charge)  # an ack lost, the outbox publishes again
            supply = await destination.deliver(event_effect("supply:V1:2", "SupplyUsed", 2))
        finally:
            await destination.close()
        assert first.response == f"{stream.name} seq 1"
        assert again.response == f"{stream.name} seq 1 (duplicate: already in the stream)"
        assert supply.response == f"{stream.name} seq 2"
        # A new process (a restarted engine) publishing the same event is deduplicated too.
        restarted = NatsStreamDestination(config(stream))
        try:
            late = await restarted.deliver(charge)
        finally:
            await restarted.close()
        assert late.response == f"{stream.name} seq 1 (duplicate: already in the stream)"

        messages = await read_stream(stream)
        assert [(m.subject, m.msg_id) for m in messages] == [
            (f"{stream.prefix}.ChargeCaptured", "charge:V1:1:99213"),
            (f"{stream.prefix}.SupplyUsed", "supply:V1:2"),
        ]
        assert messages[0].data == charge.payload
        assert messages[0].headers["Careweave-Event-Type"] == "ChargeCaptured"
        assert messages[0].headers["Careweave-Trace-Id"] == "trace-1"
        assert messages[0].headers["Careweave-Ordering-Key"] == "patient-1"


async def test_the_stream_is_created_with_the_prefix_s_subjects_and_the_window(
    nats_url: str,
) -> None:
    async with scratch_stream(nats_url) as stream:
        destination = NatsStreamDestination(config(stream, duplicate_window=900.0))
        await destination.open()
        await destination.close()
        client = await nats.connect(nats_url)
        try:
            info = (await client.jetstream().stream_info(stream.name)).config
        finally:
            await client.close()
        assert info.subjects == [f"{stream.prefix}.>"]
        assert info.duplicate_window == 900.0


async def test_an_existing_stream_gets_the_subjects_and_window_added_keeping_its_own(
    nats_url: str,
) -> None:
    async with scratch_stream(nats_url) as stream:
        client = await nats.connect(nats_url)
        try:
            jetstream = client.jetstream()
            other = f"{stream.prefix}-other.>"
            await jetstream.add_stream(name=stream.name, subjects=[other], duplicate_window=120.0)
            destination = NatsStreamDestination(config(stream, duplicate_window=600.0))
            try:
                await destination.deliver(event_effect("k1", "ChargeCaptured"))
            finally:
                await destination.close()
            info = (await jetstream.stream_info(stream.name)).config
        finally:
            await client.close()
        assert sorted(info.subjects or []) == sorted([other, f"{stream.prefix}.>"])
        assert info.duplicate_window == 600.0


async def test_a_missing_stream_is_permanent_without_create_stream(nats_url: str) -> None:
    async with scratch_stream(nats_url) as stream:
        destination = NatsStreamDestination(config(stream, create_stream=False))
        await destination.open()  # logs; never fails the engine's start
        try:
            with pytest.raises(PermanentDeliveryError, match="create_stream = true") as err:
                await destination.deliver(event_effect("k1", "ChargeCaptured"))
        finally:
            await destination.close()
        assert not err.value.retryable


async def test_a_stream_deleted_under_a_running_destination_is_made_again(nats_url: str) -> None:
    async with scratch_stream(nats_url) as stream:
        destination = NatsStreamDestination(config(stream))
        try:
            await destination.deliver(event_effect("k1", "ChargeCaptured"))
            client = await nats.connect(nats_url)
            try:
                await client.jetstream().delete_stream(stream.name)
            finally:
                await client.close()
            with pytest.raises(TransientDeliveryError, match="no JetStream stream captures"):
                await destination.deliver(event_effect("k2", "ChargeCaptured", 2))
            # The worker's retry prepares the stream again and publishes.
            receipt = await destination.deliver(event_effect("k2", "ChargeCaptured", 2))
        finally:
            await destination.close()
        assert receipt.response == f"{stream.name} seq 1"


async def test_a_lost_connection_is_opened_again_at_the_next_delivery(nats_url: str) -> None:
    async with scratch_stream(nats_url) as stream:
        destination = NatsStreamDestination(config(stream))
        try:
            await destination.deliver(event_effect("k1", "ChargeCaptured"))
            client = destination._client
            assert client is not None
            await client.close()  # as when the client gives up reconnecting
            receipt = await destination.deliver(event_effect("k2", "ChargeCaptured", 2))
            reopened = destination._client
            assert reopened is not None and reopened is not client and not reopened.is_closed
        finally:
            await destination.close()
        assert destination._client is None
        assert receipt.response == f"{stream.name} seq 2"


async def test_connection_refused_is_a_transient_failure(nats_url: str) -> None:
    destination = NatsStreamDestination(
        NatsStreamConfig(url=f"nats://127.0.0.1:{free_port()}", timeout=3.0)
    )
    await destination.open()  # NATS not there: the engine starts anyway
    try:
        with pytest.raises(TransientDeliveryError, match="cannot connect to NATS") as err:
            await destination.deliver(event_effect("k1", "ChargeCaptured"))
    finally:
        await destination.close()
    assert err.value.retryable
