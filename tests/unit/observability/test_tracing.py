"""Tracing helpers: off costs nothing and records nothing; on, a message's spans form one tree."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from careweave.observability import tracing
from careweave.observability.config import TracingConfig

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = tracing.configure_tracing(TracingConfig(), exporter=exporter)
    assert provider is not None and tracing.enabled()
    try:
        yield exporter
    finally:
        tracing.disable_tracing()
        provider.shutdown()


def test_off_by_default_and_every_helper_is_a_no_op() -> None:
    assert tracing.configure_tracing(TracingConfig()) is None
    assert not tracing.enabled()
    with tracing.message_span("receive", TRACE_ID) as root, tracing.span("mapping") as child:
        assert root is None and child is None
    with tracing.delivery_span("deliver erp", TRACE_ID) as delivery:
        assert delivery is None


def test_receipt_and_deliveries_share_the_stored_trace_id(spans: InMemorySpanExporter) -> None:
    with tracing.message_span("receive", TRACE_ID, channel="ehr"), tracing.span("store commit"):
        assert tracing.current_trace_id() == TRACE_ID
    # Later, in a worker, with no context handed over: only the stored trace id.
    with tracing.delivery_span("deliver erp", TRACE_ID, effect_id=7):
        pass
    finished = {s.name: s for s in spans.get_finished_spans()}
    root, commit, delivery = finished["receive"], finished["store commit"], finished["deliver erp"]
    assert {s.context.trace_id for s in finished.values() if s.context} == {int(TRACE_ID, 16)}
    assert root.parent is None and root.kind is SpanKind.SERVER
    assert root.context is not None and root.context.span_id == tracing.root_span_id(TRACE_ID)
    assert commit.parent is not None and commit.parent.span_id == root.context.span_id
    assert delivery.parent is not None and delivery.parent.span_id == root.context.span_id
    assert delivery.kind is SpanKind.CLIENT
    assert delivery.attributes is not None and delivery.attributes["effect_id"] == 7


def test_an_error_is_recorded_without_the_values_it_quotes(spans: InMemorySpanExporter) -> None:
    with (
        pytest.raises(ValueError, match="19701399"),
        tracing.message_span("receive", TRACE_ID),
        tracing.span("mapping"),
    ):
        raise ValueError("PID-7: invalid date/time '19701399'")
    for span in spans.get_finished_spans():
        assert span.status.status_code is StatusCode.ERROR
        assert span.status.description == "ValueError: PID-7: invalid date/time '***'"
        assert not span.events  # no exception event carrying the message


def test_a_trace_id_that_is_not_hex_still_gets_a_span(spans: InMemorySpanExporter) -> None:
    with tracing.delivery_span("deliver x", "not-a-trace-id"):
        pass
    [span] = spans.get_finished_spans()
    assert span.context is not None and span.context.is_valid


def test_otlp_endpoint_must_be_http() -> None:
    with pytest.raises(ValueError, match="otlp_endpoint"):
        TracingConfig(otlp_endpoint="grpc://collector:4317")
    assert TracingConfig(otlp_endpoint="http://collector:4318/v1/traces").active


def test_traceparent_names_the_delivery_span_or_the_root() -> None:
    root = f"00-{TRACE_ID}-{tracing.root_span_id(TRACE_ID):016x}-00"
    assert tracing.traceparent(TRACE_ID) == root  # tracing off: the root span, not sampled
    assert tracing.traceparent("") is None


def test_traceparent_inside_a_delivery_span(spans: InMemorySpanExporter) -> None:
    with tracing.delivery_span("deliver x", TRACE_ID) as span:
        assert span is not None
        header = tracing.traceparent(TRACE_ID)
    assert header == f"00-{TRACE_ID}-{span.get_span_context().span_id:016x}-01"
