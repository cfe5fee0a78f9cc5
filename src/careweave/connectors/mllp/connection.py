"""One MLLP connection: frames are decoded as bytes arrive and handled one at a time, in order.

The protocol callbacks only decode and queue; a task per connection runs the handler for one frame
and writes its ACK before it takes the next frame. Backpressure runs both ways: too many queued
frames pause reading, and a peer that does not read its ACKs pauses handling.

With TLS, the connection is admitted as plain TCP (so the connection limits hold during the
handshake too) and its bytes go through a :class:`TlsSession` before the frame reader; a handshake
that fails or does not finish within ``read_timeout`` closes it, counted and logged with the peer.

What arrived of a frame that never completed, or of one over the size limit, goes to the listener's
fragment handler with its reason, in stream order with the frames (so the oversized frame's AR
is written after the ACKs of the frames before it, and only once its fragment is stored).
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import deque
from typing import TYPE_CHECKING, NamedTuple, cast

from careweave.codecs.hl7v2.ack import AckCode, build_ack
from careweave.codecs.hl7v2.header import MessageHeader, parse_header
from careweave.connectors.mllp.config import PeerInfo
from careweave.connectors.mllp.framing import FrameReader, FramingProblem, ProblemKind, frame
from careweave.connectors.mllp.tls_session import TlsSession
from careweave.exceptions import Hl7Error

if TYPE_CHECKING:
    from careweave.connectors.mllp.listener import MllpListener

log = logging.getLogger(__name__)

# Frames decoded but not yet handled, per connection: past the high mark the socket stops being
# read (TCP then pushes back on the sender), below the low mark it is read again.
_QUEUE_HIGH = 64
_QUEUE_LOW = 16


class _Cut(NamedTuple):
    """A frame the read timeout cut short: what arrived of it and why it ended."""

    problem: FramingProblem
    reason: str


_Item = bytes | FramingProblem | _Cut


class MllpConnection(asyncio.Protocol):
    """One MLLP connection: decode in ``data_received``, handle in order in ``_serve``."""

    def __init__(self, listener: MllpListener, connection_id: int) -> None:
        self._listener = listener
        self._stats = listener.stats
        self._config = listener.config
        self._id = connection_id
        self._reader = FrameReader(listener.config.max_frame_bytes)
        self._queue: deque[_Item] = deque()
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._peer = PeerInfo("", 0, connection_id)
        self._task: asyncio.Task[None] | None = None
        self._wakeup: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at = 0.0
        self._last_activity = 0.0
        self._frame_started: float | None = None
        self._busy = False
        self._tls: TlsSession | None = None
        self._handshake_timer: asyncio.TimerHandle | None = None
        self._junk = 0
        self._paused = False
        self._done = False  # no more input: EOF, lost, timed out or stopping

    # -- transport callbacks -------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport; a stream protocol gets one.
        transport = cast(asyncio.Transport, transport)
        self._transport = transport
        host, port = _address(transport.get_extra_info("peername"))
        _, local_port = _address(transport.get_extra_info("sockname"))
        self._peer = PeerInfo(host, port, self._id, local_port)
        if not self._listener._admit(self, host, port):
            self._done = True
            transport.abort()
            return
        log.debug("MLLP connection %d from %s:%d", self._id, host, port)
        if self._config.tls is not None:
            self._tls = TlsSession(self._config.tls, transport)
            self._handshake_timer = self._loop.call_later(
                self._config.read_timeout, self._handshake_expired
            )
        self._last_activity = self._loop.time()
        self._arm_timer(self._last_activity + self._config.idle_timeout)
        self._task = self._loop.create_task(self._serve())

    def data_received(self, data: bytes) -> None:
        if self._tls is not None:
            data = self._decrypt(data)
            if not data:
                return
        now = self._loop.time()
        items = self._reader.feed(data)
        if items:
            if any(_completes_a_frame(item) for item in items):
                # Only complete frames count as activity: a trickle of junk keeps nothing open.
                self._last_activity = now
            self._queue.extend(items)
            self._frame_started = None
            self._wake()
            if len(self._queue) >= _QUEUE_HIGH and not self._paused and self._transport:
                self._paused = True
                self._transport.pause_reading()
        if self._reader.in_frame and self._frame_started is None:
            self._frame_started = now
            deadline = now + self._config.read_timeout
            if deadline < self._timer_at:
                self._arm_timer(deadline)

    def eof_received(self) -> bool:
        # Keep the write side open: the sender may half-close and still wait for its ACKs.
        self._end_of_stream()
        return True

    # -- TLS ---------------------------------------------------------------------------------

    def _decrypt(self, data: bytes) -> bytes:
        """The plaintext ``data`` completes; a failed handshake closes the connection."""
        tls = self._tls
        assert tls is not None
        was_established = tls.established
        try:
            plain = tls.receive(data)
        except ssl.SSLError as exc:
            if was_established:
                log.warning("MLLP connection %d: TLS error (%s), closing", self._id, _reason(exc))
                self._close_now()
            else:
                self._refuse_tls(_reason(exc))
            return b""
        if tls.established and not was_established:
            self._cancel_handshake_timer()
            log.debug("MLLP connection %d: TLS established", self._id)
        if tls.closed:
            self._loop.call_soon(self._end_of_stream)  # close_notify: after this data is read
        return plain

    def _refuse_tls(self, reason: str) -> None:
        self._stats.tls_refused += 1
        peer = self._peer
        log.warning(
            "MLLP connection %d from %s:%d refused: TLS handshake failed (%s)",
            self._id,
            peer.host,
            peer.port,
            reason,
        )
        self._close_now()

    def _handshake_expired(self) -> None:
        self._handshake_timer = None
        if self._tls is not None and not self._tls.established and not self._done:
            self._refuse_tls(f"not finished within {self._config.read_timeout:g} s")

    def _cancel_handshake_timer(self) -> None:
        if self._handshake_timer is not None:
            self._handshake_timer.cancel()
            self._handshake_timer = None

    def _close_now(self) -> None:
        """Nothing more is read; the transport closes (sending OpenSSL's alert, if any)."""
        self._abandon()
        if self._transport is not None:
            self._transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_handshake_timer()
        if self._tls is None or self._tls.established:
            self._end_of_stream()
        else:
            self._finish_input()
        self._resume_writes()
        if self._timer is not None:
            self._timer.cancel()
        self._listener._release(self, self._peer.host)

    def pause_writing(self) -> None:
        # The peer is not reading its ACKs: stop handling (and so, soon, reading) until it does.
        if self._writable is None:
            self._writable = self._loop.create_future()

    def resume_writing(self) -> None:
        self._resume_writes()

    def _resume_writes(self) -> None:
        writable, self._writable = self._writable, None
        if writable is not None and not writable.done():
            writable.set_result(None)

    def _end_of_stream(self) -> None:
        problem = self._reader.close()
        if problem is not None:
            self._queue.append(problem)
        self._finish_input()

    # -- the serving task ----------------------------------------------------------------

    async def _serve(self) -> None:
        transport = self._transport
        assert transport is not None
        queue = self._queue
        try:
            while True:
                while queue:
                    if self._writable is not None:
                        await self._writable
                    item = queue.popleft()
                    if self._paused and len(queue) <= _QUEUE_LOW and not self._done:
                        self._resume_reading(transport)
                    ack: bytes | None
                    self._busy = True
                    if isinstance(item, bytes):
                        ack = await self._handle(item)
                    elif isinstance(item, _Cut):
                        ack = await self._keep(item.problem, item.reason)
                    else:
                        ack = await self._answer_problem(item)
                    self._busy = False
                    if ack is not None and not transport.is_closing():
                        self._write(transport, ack)
                        self._last_activity = self._loop.time()
                if self._done:
                    break
                self._wakeup = self._loop.create_future()
                await self._wakeup
        except Exception:
            # A bug here must cost one connection, never the listener.
            log.exception("MLLP connection %d failed; closing it", self._id)
        finally:
            self._busy = False
            transport.close()
            if self._junk:
                log.info("MLLP connection %d skipped %d junk byte(s) in all", self._id, self._junk)

    def _write(self, transport: asyncio.Transport, ack: bytes) -> None:
        if self._tls is None:
            transport.write(ack)
            return
        try:
            self._tls.send(ack)
        except ssl.SSLError as exc:
            # The peer ended TLS first: its ACK cannot go out; it will send the message again.
            log.info("MLLP connection %d: ACK not sent, TLS closed (%s)", self._id, _reason(exc))
            transport.close()

    async def _handle(self, message: bytes) -> bytes:
        """Run the handler; never let its failure escape. Returns the framed ACK."""
        self._stats.frames += 1
        try:
            return frame(await self._listener.handler(message, self._peer))
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._stats.handler_errors += 1
            header = _header_or_none(message)
            control_id = header.control_id if header else "?"
            log.exception("MLLP handler failed on connection %d, message %s", self._id, control_id)
            code = exc.hl7_code if isinstance(exc, Hl7Error) else "207"
            location = (exc.location or "") if isinstance(exc, Hl7Error) else ""
            text = f"application error: {type(exc).__name__}"
            ack = build_ack(
                header, AckCode.ERROR, text=text, error_code=code, error_location=location
            )
            return frame(ack)

    async def _answer_problem(self, problem: FramingProblem) -> bytes | None:
        """Count, log and keep a framing problem; return the framed AR when one is owed."""
        kind = problem.kind
        if kind is ProblemKind.JUNK:
            self._stats.junk_bytes += problem.size
            # Warn once per connection: a sender spraying junk must not flood the log.
            level = logging.DEBUG if self._junk else logging.WARNING
            self._junk += problem.size
            log.log(level, "MLLP connection %d: %s", self._id, problem.describe())
            return None
        if kind is ProblemKind.INTERRUPTED:
            # No reply: MLLP is stop-and-wait, and the sender that began a new frame awaits the
            # reply to that one; an AR here would be taken for it and shift every ACK after it.
            reason = f"frame interrupted by a new start block after {problem.size} bytes"
            return await self._keep(problem, reason)
        if kind is ProblemKind.UNTERMINATED:
            reason = f"frame without an end block at the end of the stream, after {problem.size}"
            return await self._keep(problem, reason + " bytes")
        if kind is ProblemKind.OVERSIZED:
            self._stats.oversized += 1
            limit = self._config.max_frame_bytes
            text = f"message of {problem.size} bytes exceeds the {limit}-byte limit"
            return await self._keep(problem, f"{text} (the first {limit} bytes are kept)", text)
        text = problem.describe()
        log.warning("MLLP connection %d rejected a frame: %s", self._id, text)
        return frame(build_ack(None, AckCode.REJECT, text=text, error_code="207"))

    async def _keep(
        self, problem: FramingProblem, reason: str, reject: str | None = None
    ) -> bytes | None:
        """Hand what arrived of a frame to the fragment handler; with ``reject``, answer AR.

        The AR is written only once the fragment is stored; a handler that failed gets AE 207
        instead (nothing was kept, so the sender should not take the answer as final).
        """
        self._stats.fragments += 1
        peer = self._peer
        log.warning("MLLP connection %d from %s:%d: %s", self._id, peer.host, peer.port, reason)
        header = _header_or_none(problem.sample) if reject is not None else None
        store = self._listener.fragments
        try:
            if store is not None and problem.sample:
                await store(problem.sample, reason, peer)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._stats.handler_errors += 1
            log.exception("MLLP connection %d: storing a frame fragment failed", self._id)
            if reject is None:
                return None
            text = f"application error: {type(exc).__name__}"
            return frame(build_ack(header, AckCode.ERROR, text=text, error_code="207"))
        if reject is None:
            return None
        return frame(build_ack(header, AckCode.REJECT, text=reject, error_code="207"))

    # -- timers and shutdown -------------------------------------------------------------

    def _arm_timer(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = when
        self._timer = self._loop.call_at(when, self._check_timers)

    def _check_timers(self) -> None:
        """Enforce read and idle timeouts; reschedule for the nearest deadline still ahead."""
        self._timer = None
        transport = self._transport
        if self._done or transport is None:
            return
        config, now = self._config, self._loop.time()
        started = self._frame_started
        # While reading is paused (our own backpressure) a frame cannot progress: not its fault.
        reading = started is not None and self._reader.in_frame and not self._paused
        if reading and started is not None and now >= started + config.read_timeout:
            self._stats.timeouts += 1
            log.warning(
                "MLLP connection %d: frame unfinished after %.1f s (%d bytes), closing",
                self._id,
                config.read_timeout,
                self._reader.buffered,
            )
            problem = self._reader.close()
            if problem is not None:
                reason = f"frame unfinished after the {config.read_timeout:g} s read timeout"
                self._queue.append(_Cut(problem, f"{reason}, after {problem.size} bytes"))
            self._abandon()
            return
        idle_at = self._last_activity + config.idle_timeout
        if self._busy:
            # A slow handler is not an idle sender.
            next_check = now + config.idle_timeout
        elif now < idle_at:
            next_check = idle_at
        elif reading and now < idle_at + config.read_timeout:
            # A frame begun just before the idle deadline gets its read timeout to finish, once:
            # a connection without a complete frame for idle + read timeout is closed regardless.
            next_check = idle_at + config.read_timeout
        else:
            self._stats.idle_closed += 1
            log.info(
                "MLLP connection %d: no complete frame for %.0f s, closing",
                self._id,
                now - self._last_activity,
            )
            self._abandon()
            if self._writable is not None:
                # Stuck on a peer that reads nothing: its pending ACKs can never be delivered.
                transport.abort()
            return
        if reading and started is not None:
            next_check = min(next_check, started + config.read_timeout)
        self._arm_timer(next_check)

    def _resume_reading(self, transport: asyncio.Transport) -> None:
        self._paused = False
        transport.resume_reading()
        if self._frame_started is not None:
            # The frame waited on us, not on its sender: its read timeout starts again now.
            self._frame_started = self._loop.time()
            self._arm_timer(min(self._timer_at, self._frame_started + self._config.read_timeout))

    def _abandon(self) -> None:
        """Stop reading; the serving task finishes what it is doing and closes the transport."""
        self._finish_input()
        if self._transport is not None and not self._transport.is_closing():
            self._transport.pause_reading()

    def _finish_input(self) -> None:
        self._done = True
        self._wake()

    def _wake(self) -> None:
        waiter = self._wakeup
        if waiter is not None:
            self._wakeup = None
            if not waiter.done():
                waiter.set_result(None)

    def shutdown(self) -> asyncio.Task[None]:
        """Listener stopping: drop unhandled frames, finish the one in flight, then close."""
        self._queue.clear()
        self._abandon()
        if self._task is None:
            self._task = self._loop.create_task(asyncio.sleep(0))
        return self._task


def _completes_a_frame(item: bytes | FramingProblem) -> bool:
    """A frame that reached its end block (a message, or one over the size limit)."""
    return isinstance(item, bytes) or item.kind is ProblemKind.OVERSIZED


def _reason(exc: ssl.SSLError) -> str:
    """OpenSSL's short reason (``CERTIFICATE_VERIFY_FAILED``, ``WRONG_VERSION_NUMBER``...)."""
    return exc.reason or str(exc)


def _header_or_none(raw: bytes) -> MessageHeader | None:
    try:
        return parse_header(raw)
    except Hl7Error:
        return None


def _address(info: object) -> tuple[str, int]:
    if isinstance(info, tuple) and len(info) >= 2:
        return str(info[0]), int(info[1])
    return "", 0
