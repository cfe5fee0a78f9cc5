"""OpenTelemetry tracing: one trace per inbound message, from receipt through every delivery.

The trace id is the one the engine stores with the message (``trace_id``), so the console, the
logs and a tracing backend name the same trace. A message's spans are recorded at different times
and, on PostgreSQL, in different processes: receipt, the store commit, the channel's steps (decode,
mapping), the flows, then each effect's delivery whenever a worker gets to it. They hang together
without passing a context around because the root span's id is derived from the trace id
(:func:`root_span_id`): the receipt span is created with exactly that id, and a delivery span
names it as its (remote) parent.

Tracing is off unless :func:`configure_tracing` turned it on; off, every helper here returns a
shared no-op context manager, so the engine's instrumentation costs a function call.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import (
    NonRecordingSpan,
    Span,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
)

from careweave.observability.config import TracingConfig
from careweave.observability.redaction import redact_text

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter


class _Active:
    """The process's tracer (one, like its logging configuration); None while tracing is off."""

    tracer: trace.Tracer | None = None


_active = _Active()
_NOOP: contextlib.nullcontext[None] = contextlib.nullcontext()
_forced_ids: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar(
    "careweave_forced_span_ids", default=None
)


def root_span_id(trace_id: str) -> int:
    """The span id of a message's root (receipt) span: the low 64 bits of its trace id."""
    return int(trace_id[-16:], 16) or 1


def _trace_id_int(trace_id: str) -> int | None:
    try:
        value = int(trace_id, 16)
    except ValueError:
        return None
    return value if 0 < value < 1 << 128 else None


def _id_generator() -> Any:
    from opentelemetry.sdk.trace.id_generator import RandomIdGenerator

    class MessageIds(RandomIdGenerator):
        """Random ids, except for a message's root span, whose ids the engine chose."""

        def generate_trace_id(self) -> int:
            forced = _forced_ids.get()
            return forced[0] if forced is not None else super().generate_trace_id()

        def generate_span_id(self) -> int:
            forced = _forced_ids.get()
            return forced[1] if forced is not None else super().generate_span_id()

    return MessageIds()


def configure_tracing(
    config: TracingConfig, *, exporter: SpanExporter | None = None
) -> TracerProvider | None:
    """Turn tracing on as ``config`` says (off when it is not active and no ``exporter`` is given).

    ``exporter`` receives every span as it ends (a test's in-memory exporter); ``otlp_endpoint``
    adds an OTLP/HTTP exporter that sends in batches. Returns the provider, to be shut down (which
    flushes) when the process ends; calling again replaces the previous provider.
    """
    if not config.active and exporter is None:
        _active.tracer = None
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    provider = TracerProvider(
        resource=Resource.create({"service.name": config.service_name}),
        id_generator=_id_generator(),
        shutdown_on_exit=False,  # the caller shuts it down (flushing), once
    )
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    if config.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        otlp = OTLPSpanExporter(endpoint=config.otlp_endpoint, timeout=config.timeout)
        provider.add_span_processor(BatchSpanProcessor(otlp))
    _active.tracer = provider.get_tracer("careweave")
    return provider


def disable_tracing() -> None:
    """Turn tracing off (spans already ended stay with their exporters)."""
    _active.tracer = None


def enabled() -> bool:
    """True while spans are recorded."""
    return _active.tracer is not None


def message_span(
    name: str, trace_id: str, **attributes: str | int
) -> contextlib.AbstractContextManager[Span | None]:
    """The root span of a message whose stored trace id is ``trace_id`` (a SERVER span)."""
    tracer = _active.tracer
    if tracer is None:
        return _NOOP
    return _message_span(tracer, name, trace_id, attributes)


@contextlib.contextmanager
def _message_span(
    tracer: trace.Tracer, name: str, trace_id: str, attributes: dict[str, str | int]
) -> Iterator[Span | None]:
    value = _trace_id_int(trace_id)
    token = _forced_ids.set((value, root_span_id(trace_id)) if value is not None else None)
    try:
        # A new root: the ids come from _forced_ids (read while the span is created).
        span = tracer.start_span(
            name, context=trace.set_span_in_context(trace.INVALID_SPAN), kind=SpanKind.SERVER
        )
    finally:
        _forced_ids.reset(token)
    span.set_attributes(attributes)
    with (
        trace.use_span(
            span, end_on_exit=True, record_exception=False, set_status_on_exception=False
        ),
        _errors_marked(span),
    ):
        yield span


@contextlib.contextmanager
def _errors_marked(current: Span) -> Iterator[None]:
    # Not OpenTelemetry's own exception recording: it would copy the exception's message, PHI
    # included ("invalid date/time '19701399'"), into the span.
    try:
        yield
    except BaseException as exc:
        mark_error(current, f"{type(exc).__name__}: {exc}")
        raise


@contextlib.contextmanager
def _child(
    tracer: trace.Tracer,
    name: str,
    context: Any,
    kind: SpanKind,
    attributes: dict[str, str | int],
) -> Iterator[Span | None]:
    with (
        tracer.start_as_current_span(
            name,
            context=context,
            kind=kind,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as current,
        _errors_marked(current),
    ):
        yield current


def span(name: str, **attributes: str | int) -> contextlib.AbstractContextManager[Span | None]:
    """A child of the current span (a no-op when tracing is off)."""
    tracer = _active.tracer
    if tracer is None:
        return _NOOP
    return _child(tracer, name, None, SpanKind.INTERNAL, attributes)


def delivery_span(
    name: str, trace_id: str, **attributes: str | int
) -> contextlib.AbstractContextManager[Span | None]:
    """A CLIENT span in the trace of the message an effect came from, under its root span."""
    tracer = _active.tracer
    if tracer is None:
        return _NOOP
    value = _trace_id_int(trace_id)
    context = None
    if value is not None:
        parent = SpanContext(
            trace_id=value,
            span_id=root_span_id(trace_id),
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),
        )
        context = trace.set_span_in_context(NonRecordingSpan(parent))
    return _child(tracer, name, context, SpanKind.CLIENT, attributes)


def mark_error(current: Span | None, description: str) -> None:
    """Set an ERROR status on ``current``, its description redacted like a log line (a no-op
    span or None ignores it)."""
    if current is not None:
        current.set_status(Status(StatusCode.ERROR, redact_text(description)))


def current_trace_id() -> str:
    """The trace id of the current span as 32 hex digits; '' when there is none."""
    context = trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else ""


def traceparent(trace_id: str) -> str | None:
    """The W3C ``traceparent`` header naming ``trace_id`` (None when it is not a trace id).

    The parent is the current span when it belongs to that trace (a delivery span), else the
    message's root span, so a downstream system that traces joins the message's trace either way;
    flagged sampled only while careweave records its own spans.
    """
    value = _trace_id_int(trace_id)
    if value is None:
        return None
    context = trace.get_current_span().get_span_context()
    if context.is_valid and context.trace_id == value:
        return f"00-{value:032x}-{context.span_id:016x}-01"
    flags = "01" if enabled() else "00"
    return f"00-{value:032x}-{root_span_id(trace_id):016x}-{flags}"
