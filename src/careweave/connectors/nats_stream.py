"""NATS JetStream destination: each business event published to a stream, exactly once.

::

    [[channels.destinations]]
    name = "analytics"
    payload = "events"
    connector = { type = "nats", url = "nats://127.0.0.1:4222", stream = "CAREWEAVE" }

Each effect of a ``payload = "events"`` route is published to ``{subject_prefix}.{EventType}``
with the header ``Nats-Msg-Id`` set to its idempotency key (the event's business key), and counts
as delivered once JetStream has acknowledged it (PubAck). Effects come from the outbox, so a crash
before the outcome is recorded publishes the event again; JetStream drops a message whose id it
stored within the stream's duplicate window, so subscribers see each event once. A re-publish later
than the window would be stored twice: ``careweave check`` warns when the worker's retry policy
allows one (:func:`~careweave.connectors.event_stream.window_warnings`), and every message carries
its ``Nats-Msg-Id`` for a subscriber to deduplicate beyond it.

Failures: a connection refused or lost, a timeout waiting for the PubAck, a JetStream 5xx are
transient (retried with the same message id); a stream that does not exist (``create_stream =
false``), a subject another stream captures, a payload over the server's limit are permanent.
One connection is kept across deliveries, opened again when lost, closed when the worker stops.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, ClassVar
from urllib.parse import urlsplit

import msgspec
import nats.errors
import nats.js.errors
import structlog
from nats.aio.client import Client
from nats.js import JetStreamContext

from careweave.connectors.base import BaseDestination, ConnectorConfig, Receipt
from careweave.connectors.event_stream import SUBJECT_TOKEN, streamed_event, window_warnings
from careweave.connectors.policy import WorkerPolicy
from careweave.exceptions import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from careweave.model.records import Effect

log = structlog.get_logger("careweave.nats")

_STREAM_NAME = r"[^\s.*>/\\]+"


class NatsStreamConfig(
    msgspec.Struct,
    ConnectorConfig,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="nats",
    tag_field="type",
):
    """A NATS JetStream stream as a destination: business events, one subject per event type."""

    events_only: ClassVar[bool] = True

    url: str = "nats://127.0.0.1:4222"
    """The NATS server (``nats://`` or ``tls://host:port``)."""
    stream: Annotated[str, msgspec.Meta(pattern=f"^{_STREAM_NAME}$")] = "CAREWEAVE"
    """The JetStream stream the events are stored in (publishes name it: a subject captured by
    another stream is refused)."""
    subject_prefix: str = "careweave.events"
    """Events are published to ``{subject_prefix}.{EventType}`` (``careweave.events.ChargeCaptured``)."""
    create_stream: bool = True
    """Create the stream (subjects ``{subject_prefix}.>``) at start, or add those subjects and the
    duplicate window to an existing one; false: the stream must exist."""
    duplicate_window: Annotated[float, msgspec.Meta(gt=0)] = 3600.0
    """Seconds JetStream remembers a message id and drops a message repeating it (the stream's
    setting when ``create_stream``; otherwise what the existing stream is expected to have)."""
    timeout: Annotated[float, msgspec.Meta(gt=0)] = 5.0
    """Seconds to connect, and to wait for each publish's acknowledgement."""

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in {"nats", "tls"} or not parts.hostname:
            raise ValueError(f"url must be a nats:// or tls:// URL with a host, not {self.url!r}")
        tokens = self.subject_prefix.split(".")
        if not all(SUBJECT_TOKEN.fullmatch(token) for token in tokens):
            raise ValueError(
                "subject_prefix must be dot-separated letters, digits, '-' and '_' "
                f"(no wildcard), not {self.subject_prefix!r}"
            )

    def delivery_warnings(self, worker: WorkerPolicy) -> list[str]:
        """A warning when the worker can re-publish after the duplicate window."""
        return window_warnings(worker, self.duplicate_window, self.timeout)


class NatsStreamDestination(BaseDestination):
    """Publishes business events to a JetStream stream over one kept connection."""

    def __init__(self, config: NatsStreamConfig) -> None:
        self.config = config
        self._client: Client | None = None
        self._jetstream: JetStreamContext | None = None
        self._stream_ready = False
        self._lock = asyncio.Lock()  # one connect at a time, whatever the worker's concurrency

    async def open(self) -> None:
        """Connect and prepare the stream; if NATS is not there yet, the first delivery retries."""
        try:
            await self._ready()
        except DeliveryError as exc:
            log.warning("event stream not ready", stream=self.config.stream, error=exc.message)

    async def close(self) -> None:
        """Close the connection."""
        async with self._lock:
            await self._drop()

    async def deliver(self, effect: Effect) -> Receipt:
        """Publish the effect's event and wait for JetStream's acknowledgement."""
        event = streamed_event(effect)
        headers = {
            "Nats-Msg-Id": event.key,
            "Careweave-Event-Type": event.event_type,
            "Careweave-Trace-Id": event.trace_id,
            "Content-Type": effect.content_type,
        }
        if effect.ordering_key:
            headers["Careweave-Ordering-Key"] = effect.ordering_key
        jetstream = await self._ready()
        try:
            ack = await jetstream.publish(
                f"{self.config.subject_prefix}.{event.event_type}",
                event.payload,
                timeout=self.config.timeout,
                stream=self.config.stream,
                headers=headers,
            )
        except nats.js.errors.NoStreamResponseError:
            self._stream_ready = False  # deleted under us: prepare it again before the retry
            raise self._no_stream() from None
        except nats.js.errors.APIError as exc:
            raise _api_error(exc) from None
        except nats.errors.MaxPayloadError:
            raise PermanentDeliveryError(
                f"event {event.key} is larger than the NATS server accepts"
            ) from None
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            raise TransientDeliveryError(f"publish to NATS failed: {_describe(exc)}") from None
        duplicate = " (duplicate: already in the stream)" if ack.duplicate else ""
        return Receipt(response=f"{ack.stream} seq {ack.seq}{duplicate}")

    # -- connection ---------------------------------------------------------------------------

    async def _ready(self) -> JetStreamContext:
        async with self._lock:
            if self._client is None or self._client.is_closed:
                await self._drop()
                await self._connect()
            assert self._jetstream is not None
            if not self._stream_ready:
                await self._prepare_stream(self._jetstream)
                self._stream_ready = True
            return self._jetstream

    async def _connect(self) -> None:
        client = Client()

        async def on_error(exc: Exception) -> None:
            log.debug("nats connection error", error=_describe(exc))

        try:
            async with asyncio.timeout(self.config.timeout):
                # One quick reconnect by the client; longer outages are the worker's retries.
                await client.connect(
                    self.config.url,
                    name="careweave",
                    error_cb=on_error,
                    connect_timeout=max(1, round(self.config.timeout)),
                    max_reconnect_attempts=1,
                    reconnect_time_wait=0,
                )
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            with contextlib.suppress(Exception):
                await client.close()
            raise TransientDeliveryError(
                f"cannot connect to NATS at {self.config.url}: {_describe(exc)}"
            ) from None
        self._client = client
        self._jetstream = client.jetstream(timeout=self.config.timeout)

    async def _drop(self) -> None:
        client, self._client, self._jetstream = self._client, None, None
        self._stream_ready = False
        if client is not None and not client.is_closed:
            with contextlib.suppress(Exception):
                await client.close()

    async def _prepare_stream(self, jetstream: JetStreamContext) -> None:
        name, subjects = self.config.stream, f"{self.config.subject_prefix}.>"
        try:
            try:
                info = await jetstream.stream_info(name)
            except nats.js.errors.NotFoundError:
                if not self.config.create_stream:
                    raise self._no_stream() from None
                await jetstream.add_stream(
                    name=name, subjects=[subjects], duplicate_window=self.config.duplicate_window
                )
                log.info("event stream created", stream=name, subjects=subjects)
                return
            current = info.config
            if not self.config.create_stream:
                if (current.duplicate_window or 0) < self.config.duplicate_window:
                    log.warning(
                        "event stream's duplicate window is shorter than duplicate_window",
                        stream=name,
                        stream_window=current.duplicate_window,
                        duplicate_window=self.config.duplicate_window,
                    )
                return
            wanted = sorted({*(current.subjects or []), subjects})
            if wanted != sorted(current.subjects or []) or (
                current.duplicate_window != self.config.duplicate_window
            ):
                await jetstream.update_stream(
                    current.evolve(subjects=wanted, duplicate_window=self.config.duplicate_window)
                )
                log.info("event stream updated", stream=name, subjects=wanted)
        except nats.js.errors.APIError as exc:
            raise _api_error(exc, f"preparing stream {name}") from None
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            raise TransientDeliveryError(
                f"preparing stream {name} failed: {_describe(exc)}"
            ) from None

    def _no_stream(self) -> DeliveryError:
        subject = f"{self.config.subject_prefix}.>"
        if self.config.create_stream:
            return TransientDeliveryError(f"no JetStream stream captures {subject}")
        return PermanentDeliveryError(
            f"no JetStream stream captures {subject}: create stream {self.config.stream} with "
            "those subjects, or set create_stream = true"
        )


def _api_error(exc: nats.js.errors.APIError, doing: str = "publish") -> DeliveryError:
    """JetStream's answer as careweave's error: 5xx (or none) transient, any other permanent."""
    text = f"{doing}: JetStream answered {exc.code} {exc.description or ''}".strip()
    if exc.code is None or exc.code >= 500:
        return TransientDeliveryError(text, status=exc.code)
    return PermanentDeliveryError(text, status=exc.code)


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__
