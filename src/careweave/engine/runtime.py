"""The engine: channels, their listeners, the destination workers and the store, in one process.

``Engine.receive`` is the inbound path: read the header, run the channel, commit the message with its
events and effects (group commit), and only then build the acknowledgement. Several engine processes
can share one PostgreSQL store; the SQLite store is for one process.

The engine is handed what it runs, built: one :class:`~careweave.engine.channel.Channel` per
configured channel and one connector per destination. Building them from settings (formats,
mappings, flows and connectors by name) is the composition root's work, :mod:`careweave.app`; so
is serving a channel's HTTP source, which the engine starts and stops through the
:data:`HttpSourceFactory` it is handed (the gateway's Litestar app sits above the engine).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import datetime as dt
import random
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Protocol

import structlog

from careweave.codecs.hl7v2.ack import AckCode, build_ack
from careweave.codecs.hl7v2.header import MessageHeader, parse_header
from careweave.config import ChannelConfig, MllpSourceConfig, Settings
from careweave.connectors.base import BaseDestination
from careweave.connectors.file_source import FileSource, FileSourceConfig
from careweave.connectors.http_source.config import HttpSourceConfig
from careweave.connectors.mllp import (
    MllpFragmentHandler,
    MllpHandler,
    MllpListener,
    MllpListenerConfig,
    PeerInfo,
)
from careweave.connectors.tls import listener_files
from careweave.engine.channel import Channel
from careweave.engine.clock import Clock, SystemClock
from careweave.engine.middleware import LoggingMiddleware, Middleware
from careweave.engine.mllp_source import listener_config
from careweave.engine.store.base import BaseStore
from careweave.engine.worker import DestinationWorker
from careweave.exceptions import CareweaveError, ConfigError, Hl7Error
from careweave.model.audit import SYSTEM_ACTOR, AuditAction, AuditEntry
from careweave.model.records import IngestResult, MessageQuery, MessageState, NewMessage, Processing
from careweave.observability import tracing
from careweave.observability.logging import TraceIdScope
from careweave.observability.metrics import Metrics, set_gauge
from careweave.observability.metrics_server import MetricsServer

log = structlog.get_logger("careweave.engine")

HL7_CONTENT_TYPE = "application/hl7-v2"

_trace_rng = random.Random()  # trace ids need uniqueness, not secrecy
_CASES_SCRAPED = 100_000
"""Open cases read per scrape (far more than any work queue holds)."""


class ServedSource(Protocol):
    """A channel's HTTP source as the engine runs it: started with the engine, stopped with it."""

    @property
    def port(self) -> int:
        """The port served (the real one when the settings said 0)."""
        ...

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the server."""
        ...

    async def start(self) -> None:
        """Start serving."""
        ...

    async def stop(self) -> None:
        """Stop serving and release what the source owns."""
        ...


HttpSourceFactory = Callable[[ChannelConfig, "Engine"], ServedSource]
"""Builds the HTTP source of a channel whose ``source`` is ``http``, handing what it receives to
the engine (``careweave.gateway.ChannelHttpSource``, passed in by :mod:`careweave.app`)."""


_FORMAT_CONTENT_TYPES = {
    "hl7v2": HL7_CONTENT_TYPE,
    "x12": "application/edi-x12",
    "fhir": "application/fhir+json",
}
"""The content type a file source stores by its channel's format (``content_type`` overrides)."""


def new_trace_id() -> str:
    """A W3C-style 128-bit trace id (uuid4 reads the OS entropy pool: ~40 µs a message)."""
    return f"{_trace_rng.getrandbits(128):032x}"


class Engine:
    """One careweave process."""

    def __init__(
        self,
        settings: Settings,
        store: BaseStore,
        *,
        channels: Mapping[str, Channel],
        connectors: Mapping[str, BaseDestination],
        middleware: list[Middleware] | None = None,
        clock: Clock | None = None,
        http_sources: HttpSourceFactory | None = None,
        metrics: Metrics | None = None,
        settings_dir: Path | None = None,
    ) -> None:
        """``channels``: one per configured channel; ``connectors``: one per destination (both
        built by :func:`careweave.app.build_engine` from the settings); ``http_sources``: builds
        the source of each channel that serves HTTP (needed only when one does); ``metrics``:
        where the engine counts (a registry of its own when None), ``engine.metrics``;
        ``settings_dir``: where the MLLP sources' TLS files are (the settings file's folder)."""
        self.settings = settings
        self.store = store
        self.clock = clock or SystemClock()
        self.metrics = metrics if metrics is not None else Metrics()
        self.metrics.on_scrape(self._store_gauges)
        self.metrics_server: MetricsServer | None = None
        self.middleware: list[Middleware] = (
            middleware if middleware is not None else [LoggingMiddleware()]
        )
        missing = [c.name for c in settings.channels if c.name not in channels]
        if missing:
            raise ConfigError(f"no channel built for {missing}")
        serving = [c.name for c in settings.channels if isinstance(c.source, HttpSourceConfig)]
        if serving and http_sources is None:
            raise ConfigError(
                f"channels {serving} serve HTTP: the engine needs an HTTP source factory "
                "(build it with careweave.app.build_engine)"
            )
        self.channels = dict(channels)
        self.listeners: dict[str, MllpListener] = {}
        # Built now, not at start: a TLS file that cannot be read stops check and build.
        self._listener_configs: dict[str, MllpListenerConfig] = {
            c.name: listener_config(c.name, c.source, settings_dir)
            for c in settings.channels
            if isinstance(c.source, MllpSourceConfig)
        }
        self._settings_dir = settings_dir or Path()
        self.file_sources: dict[str, FileSource] = {}
        for c in settings.channels:  # an HTTPS source's files are checked now, like MLLP's
            if isinstance(c.source, HttpSourceConfig) and c.source.tls is not None:
                try:
                    listener_files(c.source.tls, settings_dir)
                except ConfigError as exc:
                    raise ConfigError(f"channel {c.name}: source.tls: {exc}") from exc
        self._http_source_factory = http_sources
        self.http_sources: dict[str, ServedSource] = {}
        self.workers: dict[str, DestinationWorker] = {}
        for channel in settings.channels:
            for dest in channel.destinations:
                if dest.name not in connectors:
                    raise ConfigError(f"destination {dest.name}: no connector built")
                self.workers[dest.name] = DestinationWorker(
                    store,
                    dest.name,
                    connectors[dest.name],
                    dest.worker,
                    middleware=self.middleware,
                    clock=self.clock,
                    metrics=self.metrics,
                )
        self._housekeeping: asyncio.Task[None] | None = None

    @property
    def settings_dir(self) -> Path:
        """The settings file's folder: relative paths in the settings start there."""
        return self._settings_dir

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self, *, listen: bool = True, deliver: bool = True) -> None:
        """Start the destination workers and the listeners."""
        if deliver:
            for worker in self.workers.values():
                await worker.start()
        if listen:
            for config in self.settings.channels:
                src = config.source
                if isinstance(src, HttpSourceConfig):
                    await self._start_http_source(config)
                    continue
                if isinstance(src, FileSourceConfig):
                    await self._start_file_source(config.name, src)
                    continue
                listener = MllpListener(
                    self._listener_configs[config.name],
                    self._mllp_handler(config.name),
                    fragments=self._mllp_fragment_handler(config.name),
                )
                await listener.start()
                self.listeners[config.name] = listener
                log.info("listening", channel=config.name, protocol="mllp", port=listener.port)
        if listen and self.settings.metrics.port is not None:
            server = MetricsServer(
                self.metrics, self.settings.metrics.host, self.settings.metrics.port
            )
            try:
                await server.start()
            except OSError as exc:
                raise ConfigError(
                    f"metrics: cannot listen on {server.host}:{server.port}: {exc.strerror}"
                ) from exc
            self.metrics_server = server
            log.info("serving metrics", port=server.port, path="/metrics")
        self._housekeeping = asyncio.create_task(self._retention_loop())

    async def _start_file_source(self, channel: str, config: FileSourceConfig) -> None:
        directory = self._settings_dir / config.directory
        formats = {c.name: c.format for c in self.settings.channels}
        content_type = config.content_type or _FORMAT_CONTENT_TYPES.get(
            formats.get(channel, ""), "application/octet-stream"
        )

        async def store(raw: bytes, name: str, dedup_key: str) -> bool:
            try:
                await self.receive(
                    channel, raw, content_type=content_type, sender=f"file:{name}",
                    dedup_key=dedup_key,
                )  # fmt: skip
            except CareweaveError as exc:  # not stored: the file stays for the next poll
                log.error("file not stored", channel=channel, file=name, error=str(exc))
                return False
            return True

        async def fragment(raw: bytes, name: str, reason: str) -> None:
            await self.receive_fragment(channel, raw, reason, sender=f"file:{name}")

        source = FileSource(config, directory, store, fragment)
        await source.start()
        self.file_sources[channel] = source
        log.info("watching", channel=channel, protocol="file", directory=str(directory))

    async def _start_http_source(self, config: ChannelConfig) -> None:
        assert self._http_source_factory is not None  # checked when the engine was built
        source = self._http_source_factory(config, self)
        await source.start()
        self.http_sources[config.name] = source
        log.info("listening", channel=config.name, protocol="http", port=source.port)

    async def stop(self) -> None:
        """Stop listening, finish deliveries in flight, flush."""
        if self.metrics_server is not None:
            await self.metrics_server.stop()
            self.metrics_server = None
        for http_source in self.http_sources.values():
            await http_source.stop()
        self.http_sources.clear()
        for file_source in self.file_sources.values():
            await file_source.stop()
        self.file_sources.clear()
        for listener in self.listeners.values():
            await listener.stop()
        self.listeners.clear()
        if self._housekeeping is not None:
            self._housekeeping.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._housekeeping
        for worker in self.workers.values():
            if worker.running:
                await worker.stop()

    # -- inbound ------------------------------------------------------------------------------

    def _mllp_handler(self, channel: str) -> MllpHandler:
        async def handle(raw: bytes, peer: PeerInfo) -> bytes:
            _result, ack = await self.receive_hl7(channel, raw, sender=f"{peer.host}:{peer.port}")
            return ack

        return handle

    def _mllp_fragment_handler(self, channel: str) -> MllpFragmentHandler:
        async def keep(raw: bytes, reason: str, peer: PeerInfo) -> None:
            await self.receive_fragment(channel, raw, reason, sender=f"{peer.host}:{peer.port}")

        return keep

    async def receive_fragment(
        self, channel: str, raw: bytes, reason: str, *, sender: str = ""
    ) -> IngestResult:
        """Store what arrived of a frame that never became a message, in error with ``reason``.

        Nothing the transport received is dropped silently: a frame cut off by a new start block,
        by the end of the stream or by the read timeout, and the first bytes of an oversized one,
        are stored like an unreadable message (raw bytes through the payload codec, state error,
        the reason as its error), without a dedup key: the sender's complete re-send of the same
        MSH-10 must be processed, not taken for a duplicate of its fragment.
        """
        message = NewMessage(
            channel=channel,
            raw=raw,
            content_type=HL7_CONTENT_TYPE,
            sender=sender,
            received_at=self.clock.now(),
            trace_id=new_trace_id(),
        )
        processing = Processing(state=MessageState.ERROR, error=reason, error_code="207")
        return await self._commit(message, processing)

    async def receive_hl7(
        self, channel: str, raw: bytes, *, sender: str = ""
    ) -> tuple[IngestResult, bytes]:
        """Store an HL7 message (after running its channel) and build its acknowledgement."""
        self.metrics.message_received(channel)
        started = time.perf_counter()
        trace_id = new_trace_id()
        with (
            tracing.message_span(
                "receive", trace_id, channel=channel, content_type=HL7_CONTENT_TYPE
            ),
            TraceIdScope(trace_id),
        ):
            result, ack = await self._receive_hl7(channel, raw, sender, trace_id)
        self._count(channel, result, started)
        return result, ack

    def _count(self, channel: str, result: IngestResult, started: float) -> None:
        self.metrics.message_committed(
            channel,
            result.state.value,
            duplicate=result.duplicate,
            seconds=time.perf_counter() - started,
        )

    async def _receive_hl7(
        self, channel: str, raw: bytes, sender: str, trace_id: str
    ) -> tuple[IngestResult, bytes]:
        header: MessageHeader | None = None
        processing: Processing
        try:
            header = parse_header(raw)
        except Hl7Error as exc:
            processing = Processing(
                state=MessageState.ERROR, error=f"unreadable MSH: {exc}", error_code=exc.hl7_code
            )
        message = NewMessage(
            channel=channel,
            raw=raw,
            content_type=HL7_CONTENT_TYPE,
            sender=sender,
            received_at=self.clock.now(),
            trace_id=trace_id,
            dedup_key=header.dedup_key() if header is not None else None,
        )
        if header is not None:
            pipeline = self.channels[channel]
            if pipeline.stateful:
                result, processing = await self._commit_with_state(message, pipeline, header)
                return result, self._ack(header, processing, result)
            processing = pipeline.process(message, header)
        result = await self._commit(message, processing)
        return result, self._ack(header, processing, result)

    async def receive(
        self,
        channel: str,
        raw: bytes,
        *,
        content_type: str,
        sender: str = "",
        dedup_key: str | None = None,
    ) -> tuple[IngestResult, Processing]:
        """Store any inbound message (FHIR, X12, CSV, webhook) after running its channel.

        The caller answers its sender from the result (2xx only once this returns: the message is
        committed) and from the processing (its state and error, to name the problem in a 4xx).
        """
        self.metrics.message_received(channel)
        started = time.perf_counter()
        message = NewMessage(
            channel=channel,
            raw=raw,
            content_type=content_type,
            sender=sender,
            received_at=self.clock.now(),
            trace_id=new_trace_id(),
            dedup_key=dedup_key,
        )
        with (
            tracing.message_span(
                "receive", message.trace_id, channel=channel, content_type=content_type
            ),
            TraceIdScope(message.trace_id),
        ):
            result, processing = await self._receive(message)
        self._count(channel, result, started)
        return result, processing

    async def _receive(self, message: NewMessage) -> tuple[IngestResult, Processing]:
        channel = message.channel
        pipeline = self.channels[channel]
        if pipeline.stateful:
            return await self._commit_with_state(message, pipeline)
        processing = pipeline.process(message)
        return await self._commit(message, processing), processing

    async def _commit_with_state(
        self, message: NewMessage, channel: Channel, header: MessageHeader | None = None
    ) -> tuple[IngestResult, Processing]:
        """Flows run inside the transaction that stores the message (business state in the store)."""
        with tracing.span("store commit", channel=message.channel):
            # The store may run the flows on its writer thread: the copied context carries the span.
            context = contextvars.copy_context() if tracing.enabled() else None
            result, processing = await self.store.ingest_with_state(
                message,
                lambda state: (
                    channel.process(message, header, state)
                    if context is None
                    else context.run(channel.process, message, header, state)
                ),
            )
        self._after_commit(message, processing, result)
        return result, processing

    async def _commit(self, message: NewMessage, processing: Processing) -> IngestResult:
        with tracing.span("store commit", channel=message.channel):
            result = await self.store.ingest(message, processing)
        self._after_commit(message, processing, result)
        return result

    def _after_commit(
        self, message: NewMessage, processing: Processing, result: IngestResult
    ) -> None:
        for m in self.middleware:
            m.after_ingest(message, processing, result)
        if not result.duplicate:
            self._wake(processing)

    def _ack(
        self, header: MessageHeader | None, processing: Processing, result: IngestResult
    ) -> bytes:
        if header is None:
            return build_ack(
                None, AckCode.REJECT, text=processing.error or "", error_code=processing.error_code
            )
        if result.state is MessageState.ERROR:
            text = processing.error or f"message {result.message_id} is held in error"
            return build_ack(
                header, AckCode.ERROR, text=text, error_code=processing.error_code or "207"
            )
        return build_ack(header, AckCode.ACCEPT)

    # -- replay -------------------------------------------------------------------------------

    async def replay_message(
        self, message_id: int, *, reason: str, actor: str = SYSTEM_ACTOR
    ) -> int:
        """Re-decode a message from its raw bytes; returns the new effects queued.

        The replay is written to the audit log (as ``actor``) right after it is stored."""
        queued = await self._replay_message(message_id, reason=reason)
        await self.store.append_audit(
            AuditEntry(
                actor=actor,
                action=AuditAction.MESSAGE_REPLAY,
                subject=f"message:{message_id}",
                detail={"queued": str(queued)},
            )
        )
        return queued

    async def _replay_message(self, message_id: int, *, reason: str) -> int:
        stored = await self.store.get_message(message_id)
        if stored.raw is None:
            raise ConfigError(
                f"message {message_id}: content was pruned by retention; cannot replay"
            )
        channel = self.channels.get(stored.channel)
        if channel is None:
            raise ConfigError(f"message {message_id}: channel {stored.channel!r} is not configured")
        header: MessageHeader | None = None
        try:
            if stored.content_type == HL7_CONTENT_TYPE:
                header = parse_header(stored.raw)
        except Hl7Error as exc:
            processing = Processing(state=MessageState.ERROR, error=f"unreadable MSH: {exc}")
        else:
            message = stored.resubmitted()
            if channel.stateful:
                queued, processing = await self.store.reprocess_with_state(
                    message_id,
                    lambda state: channel.process(message, header, state),
                    reason=reason,
                    now=self.clock.now(),
                )
                self._wake(processing)
                return queued
            processing = channel.process(message, header)
        queued = await self.store.reprocess_message(
            message_id, processing, reason=reason, now=self.clock.now()
        )
        self._wake(processing)
        return queued

    def _wake(self, processing: Processing) -> None:
        for effect in processing.effects:
            if (worker := self.workers.get(effect.destination)) is not None:
                worker.wake()

    async def replay_query(
        self, query: MessageQuery, *, reason: str, actor: str = SYSTEM_ACTOR
    ) -> int:
        """Re-decode every message matching ``query`` (each audited); returns how many."""
        messages = await self.store.list_messages(query)
        for message in reversed(messages):  # oldest first keeps per-key order
            await self.replay_message(message.id, reason=reason, actor=actor)
        return len(messages)

    async def resolve_case(self, case_id: int, *, actor: str, resolution: str) -> int:
        """Close an exception case and replay every message parked on it; returns how many.

        Call it once the cause is fixed (the crosswalk entry added, the NPI corrected): the replay
        re-runs decoding and flows with today's master data. A message that still fails parks on a
        new case.
        """
        message_ids = await self.store.resolve_case(
            case_id, actor=actor, resolution=resolution, now=self.clock.now()
        )
        for message_id in message_ids:
            await self.replay_message(
                message_id, reason=f"case {case_id} resolved: {resolution}", actor=actor
            )
        await self.store.add_case_event(
            case_id,
            action="replayed",
            actor=actor,
            detail=f"{len(message_ids)} message(s) replayed",
            now=self.clock.now(),
        )
        return len(message_ids)

    # -- metrics ------------------------------------------------------------------------------

    async def _store_gauges(self, metrics: Metrics) -> None:
        """At scrape time: queue depths, messages and effects by state, open cases."""
        counts = await self.store.counts()
        depths = await self.store.queue_depths()
        if not depths:  # a store without the per-destination query: the total, unlabelled
            depths = {"": counts.get("effects.pending", 0) + counts.get("effects.in_flight", 0)}
        for worker in self.workers:
            depths.setdefault(worker, 0)
        set_gauge(metrics.queue_depth, {(name,): n for name, n in depths.items()})
        set_gauge(
            metrics.messages,
            {(k.split(".", 1)[1],): n for k, n in counts.items() if k.startswith("messages.")},
        )
        set_gauge(
            metrics.effects,
            {(k.split(".", 1)[1],): n for k, n in counts.items() if k.startswith("effects.")},
        )
        open_cases: dict[tuple[str, ...], float] = {}
        for case in await self.store.list_cases(limit=_CASES_SCRAPED):
            labels = (case.owning_team, case.reason_code)
            open_cases[labels] = open_cases.get(labels, 0) + 1
        set_gauge(metrics.cases_open, open_cases)

    # -- housekeeping -------------------------------------------------------------------------

    async def prune(self) -> int:
        """Apply every channel's retention; returns messages pruned."""
        pruned = 0
        now = self.clock.now()
        for config in self.settings.channels:
            if config.retention_days is None:
                continue
            cutoff = now - dt.timedelta(days=config.retention_days)
            pruned += await self.store.prune_content(config.name, older_than=cutoff)
        return pruned

    async def _retention_loop(self) -> None:
        while True:
            try:
                if (n := await self.prune()) > 0:
                    log.info("retention pruned message content", messages=n)
            except Exception as exc:  # housekeeping must never stop the engine
                log.error("retention failed", error=str(exc))
            await asyncio.sleep(3600)
