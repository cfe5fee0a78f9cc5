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
import datetime as dt
import random
from collections.abc import Callable, Mapping
from typing import Protocol

import structlog

from careweave.codecs.hl7v2.ack import AckCode, build_ack
from careweave.codecs.hl7v2.header import MessageHeader, parse_header
from careweave.config import ChannelConfig, Settings
from careweave.connectors.base import BaseDestination
from careweave.connectors.http_source.config import HttpSourceConfig
from careweave.connectors.mllp import MllpHandler, MllpListener, MllpListenerConfig, PeerInfo
from careweave.engine.channel import Channel
from careweave.engine.clock import Clock, SystemClock
from careweave.engine.middleware import LoggingMiddleware, Middleware
from careweave.engine.store.base import BaseStore
from careweave.engine.worker import DestinationWorker
from careweave.exceptions import ConfigError, Hl7Error
from careweave.model.records import IngestResult, MessageQuery, MessageState, NewMessage, Processing

log = structlog.get_logger("careweave.engine")

HL7_CONTENT_TYPE = "application/hl7-v2"

_trace_rng = random.Random()  # trace ids need uniqueness, not secrecy


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
    ) -> None:
        """``channels``: one per configured channel; ``connectors``: one per destination (both
        built by :func:`careweave.app.build_engine` from the settings); ``http_sources``: builds
        the source of each channel that serves HTTP (needed only when one does)."""
        self.settings = settings
        self.store = store
        self.clock = clock or SystemClock()
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
                )
        self._housekeeping: asyncio.Task[None] | None = None

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
                listener = MllpListener(
                    MllpListenerConfig(
                        host=src.host,
                        port=src.port,
                        max_frame_bytes=src.max_frame_bytes,
                        read_timeout=src.read_timeout,
                        idle_timeout=src.idle_timeout,
                    ),
                    self._mllp_handler(config.name),
                )
                await listener.start()
                self.listeners[config.name] = listener
                log.info("listening", channel=config.name, protocol="mllp", port=listener.port)
        self._housekeeping = asyncio.create_task(self._retention_loop())

    async def _start_http_source(self, config: ChannelConfig) -> None:
        assert self._http_source_factory is not None  # checked when the engine was built
        source = self._http_source_factory(config, self)
        await source.start()
        self.http_sources[config.name] = source
        log.info("listening", channel=config.name, protocol="http", port=source.port)

    async def stop(self) -> None:
        """Stop listening, finish deliveries in flight, flush."""
        for http_source in self.http_sources.values():
            await http_source.stop()
        self.http_sources.clear()
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

    async def receive_hl7(
        self, channel: str, raw: bytes, *, sender: str = ""
    ) -> tuple[IngestResult, bytes]:
        """Store an HL7 message (after running its channel) and build its acknowledgement."""
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
            trace_id=new_trace_id(),
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
        message = NewMessage(
            channel=channel,
            raw=raw,
            content_type=content_type,
            sender=sender,
            received_at=self.clock.now(),
            trace_id=new_trace_id(),
            dedup_key=dedup_key,
        )
        pipeline = self.channels[channel]
        if pipeline.stateful:
            return await self._commit_with_state(message, pipeline)
        processing = pipeline.process(message)
        return await self._commit(message, processing), processing

    async def _commit_with_state(
        self, message: NewMessage, channel: Channel, header: MessageHeader | None = None
    ) -> tuple[IngestResult, Processing]:
        """Flows run inside the transaction that stores the message (business state in the store)."""
        result, processing = await self.store.ingest_with_state(
            message, lambda state: channel.process(message, header, state)
        )
        self._after_commit(message, processing, result)
        return result, processing

    async def _commit(self, message: NewMessage, processing: Processing) -> IngestResult:
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

    async def replay_message(self, message_id: int, *, reason: str) -> int:
        """Re-decode a message from its raw bytes; returns the new effects queued."""
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

    async def replay_query(self, query: MessageQuery, *, reason: str) -> int:
        """Re-decode every message matching ``query``; returns how many were replayed."""
        messages = await self.store.list_messages(query)
        for message in reversed(messages):  # oldest first keeps per-key order
            await self.replay_message(message.id, reason=reason)
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
            await self.replay_message(message_id, reason=f"case {case_id} resolved: {resolution}")
        await self.store.add_case_event(
            case_id,
            action="replayed",
            actor=actor,
            detail=f"{len(message_ids)} message(s) replayed",
            now=self.clock.now(),
        )
        return len(message_ids)

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
