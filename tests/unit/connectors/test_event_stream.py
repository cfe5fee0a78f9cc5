"""Event-stream destinations without a server: settings, events read from effects, the in-process
bus, and the bound on re-deliveries that a stream's duplicate window must cover."""

from __future__ import annotations

import asyncio
import datetime as dt

import msgspec
import pytest

from careweave.config import parse_settings
from careweave.connectors.event_bus import EventBusConfig, EventBusDestination, event_bus
from careweave.connectors.event_stream import redelivery_horizon, streamed_event, window_warnings
from careweave.connectors.nats_stream import NatsStreamConfig
from careweave.connectors.null import NullDestination
from careweave.connectors.policy import RetryPolicy, WorkerPolicy
from careweave.exceptions import ConfigError, PermanentDeliveryError
from careweave.model.records import Effect, EffectState

AT = "$.channels[0].destinations[0]"
NOW = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def event_effect(key: str, event_type: str = "ChargeCaptured", effect_id: int = 1) -> Effect:
    payload = msgspec.json.encode({"type": event_type, "idempotency_key": key, "amount": "12.50"})
    return Effect(
        id=effect_id,
        message_id=1,
        destination="stream",
        idempotency_key=key,
        ordering_key=None,
        content_type="application/json",
        payload=payload,
        state=EffectState.PENDING,
        attempts=1,
        created_at=NOW,
        next_attempt_at=NOW,
        last_error=None,
        trace_id="trace-1",
    )


def settings_with(connector: str, payload: str = "events", worker: str = "") -> str:
    return f"""
[[channels]]
name = "ehr"
source = {{ type = "mllp", port = 0 }}
[[channels.destinations]]
name = "stream"
payload = "{payload}"
connector = {connector}
{worker}
"""


def test_the_nats_table_of_the_issue_parses_into_its_struct() -> None:
    table = (
        '{ type = "nats", url = "nats://127.0.0.1:4222", stream = "CAREWEAVE", '
        'subject_prefix = "careweave.events", create_stream = true, duplicate_window = 120 }'
    )
    (destination,) = parse_settings(settings_with(table)).channels[0].destinations
    assert destination.connector == NatsStreamConfig(
        url="nats://127.0.0.1:4222",
        stream="CAREWEAVE",
        subject_prefix="careweave.events",
        create_stream=True,
        duplicate_window=120.0,
    )


@pytest.mark.parametrize(
    ("connector", "payload", "words"),
    [
        ('{ type = "nats" }', "raw", 'publishes business events: payload must be "events"'),
        ('{ type = "bus" }', "none", 'publishes business events: payload must be "events"'),
        ('{ type = "nats", url = "http://127.0.0.1:4222" }', "events", "nats:// or tls:// URL"),
        ('{ type = "nats", subject_prefix = "cw.*" }', "events", "no wildcard"),
        ('{ type = "nats", subject_prefix = "" }', "events", "subject_prefix must be"),
        ('{ type = "nats", stream = "a.b" }', "events", "connector.stream"),
        ('{ type = "nats", duplicate_window = 0 }', "events", "connector.duplicate_window"),
    ],
)
def test_wrong_event_stream_settings_are_refused_where_they_are(
    connector: str, payload: str, words: str
) -> None:
    with pytest.raises(ConfigError) as err:
        parse_settings(settings_with(connector, payload))
    assert words in str(err.value)
    assert f"- at `{AT}" in str(err.value)


def test_an_effect_is_read_as_the_business_event_its_json_is_tagged_with() -> None:
    event = streamed_event(event_effect("charge:V1:1:99213", "ChargeCaptured"))
    assert (event.event_type, event.key, event.trace_id) == (
        "ChargeCaptured",
        "charge:V1:1:99213",
        "trace-1",
    )
    flow_effect = msgspec.structs.replace(event_effect("j1"), payload=b"MSH|^~\\&|...")
    with pytest.raises(PermanentDeliveryError, match="is not a business event"):
        streamed_event(flow_effect)
    odd = msgspec.structs.replace(event_effect("k"), payload=b'{"type": "Charge.*"}')
    with pytest.raises(PermanentDeliveryError, match="cannot name a stream subject"):
        streamed_event(odd)


def test_the_redelivery_horizon_follows_the_retry_policy_and_the_lease() -> None:
    # Three attempts: waits 1 and 2 s (jitter off), three publishes of up to 5 s, one lease.
    retry = RetryPolicy(max_attempts=3, initial_backoff=1.0, multiplier=2.0, jitter=0.0)
    assert redelivery_horizon(WorkerPolicy(retry=retry, lease=60.0), 5.0) == 1 + 2 + 15 + 60
    # Jitter lengthens every wait by its fraction; max_backoff caps them.
    capped = RetryPolicy(max_attempts=4, initial_backoff=1.0, max_backoff=2.0, jitter=0.5)
    assert redelivery_horizon(WorkerPolicy(retry=capped, lease=10.0), 0.0) == 1.5 + 3 + 3 + 10
    # max_age stops retries before max_attempts would: one last wait and attempt after it.
    aged = RetryPolicy(max_attempts=1000, max_backoff=30.0, jitter=0.0, max_age=100.0)
    assert redelivery_horizon(WorkerPolicy(retry=aged, lease=60.0), 5.0) == 100 + 30 + 5 + 60


def test_check_warns_when_the_worker_can_publish_again_after_the_window() -> None:
    default = WorkerPolicy()
    (warning,) = window_warnings(default, 120.0, 5.0)
    assert "longer than duplicate_window = 120 s" in warning
    assert window_warnings(default, 3600.0, 5.0) == []  # the connector's default window
    table = '{ type = "nats", duplicate_window = 120 }'
    short = "worker = { lease = 10.0, retry = { max_attempts = 5, max_backoff = 10.0 } }"
    (fine,) = parse_settings(settings_with(table, worker=short)).channels[0].destinations
    assert fine.connector.delivery_warnings(fine.worker) == []
    (late,) = parse_settings(settings_with(table)).channels[0].destinations
    assert len(late.connector.delivery_warnings(late.worker)) == 1


async def test_the_bus_fans_events_out_once_each_to_the_subscribers_wanting_them() -> None:
    destination = EventBusDestination(EventBusConfig(remember=2))
    bus = event_bus(destination)
    everything = bus.subscribe()
    charges = bus.subscribe(["ChargeCaptured"])
    first = await destination.deliver(event_effect("c1"))
    again = await destination.deliver(event_effect("c1"))  # a re-delivery of the same event
    await destination.deliver(event_effect("s1", "SupplyUsed"))
    assert (first.response, again.response) == ("published ChargeCaptured", "duplicate")
    assert [e.key for e in everything.pending()] == ["c1", "s1"]
    assert [e.key for e in charges.pending()] == ["c1"]
    charges.close()
    await destination.deliver(event_effect("c2"))
    assert charges.pending() == []
    assert (await asyncio.wait_for(everything.get(), 1)).key == "c2"
    # The bus remembers the last `remember` keys only: an old key is published again.
    await destination.deliver(event_effect("c3"))
    assert (await destination.deliver(event_effect("c1"))).response == "published ChargeCaptured"


def test_event_bus_refuses_a_connector_that_is_not_a_bus() -> None:
    with pytest.raises(ConfigError, match="NullDestination is not an event bus destination"):
        event_bus(NullDestination())
