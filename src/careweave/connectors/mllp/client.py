"""The MLLP sender: frame a message, write it, wait for the ACK frame.

One :class:`MllpClient` holds one connection and sends one message at a time (MLLP is
stop-and-wait: the next message goes only after the previous ACK). Socket errors never escape:
refused, reset, closed and timed-out connections become :class:`TransientDeliveryError`; a reply
that is not a proper MLLP frame becomes :class:`FramingError`.

A connection found broken is re-opened once per send and the message sent again. If it broke
after the message was written, the receiver may already hold it: MLLP delivery is at least once,
and receivers recognise a re-sent message by its MSH-10 (careweave's listener does).

With ``tls`` (:func:`careweave.connectors.tls.client_context`), the connection is TLS: the
peer's certificate must chain to the context's CA and name ``host``; a failed handshake is a
:class:`TransientDeliveryError` like a refused connection.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections import deque

from careweave.connectors.mllp.framing import FrameReader, FramingProblem, ProblemKind, frame
from careweave.exceptions import FramingError, Hl7ParseError, TransientDeliveryError

log = logging.getLogger(__name__)


class _ConnectionBroken(Exception):
    """Internal: the connection closed or failed while a send was under way."""


class _AckProtocol(asyncio.Protocol):
    """Collects reply frames; resolves the waiter of the send in progress."""

    def __init__(self, max_frame_bytes: int) -> None:
        self.reader = FrameReader(max_frame_bytes)
        self.replies: deque[bytes | FramingProblem] = deque()
        self.waiter: asyncio.Future[None] | None = None
        self.lost: BaseException | None = None
        self.closed = False

    def data_received(self, data: bytes) -> None:
        for item in self.reader.feed(data):
            # A stray newline after the trailer is common and harmless.
            if isinstance(item, FramingProblem) and _harmless(item):
                continue
            self.replies.append(item)
        if self.replies:
            self._wake()

    def eof_received(self) -> bool:
        self.closed = True
        self._wake()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.lost = exc
        self._wake()

    def _wake(self) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


def _harmless(problem: FramingProblem) -> bool:
    return problem.kind is ProblemKind.JUNK and not problem.sample.strip()


class MllpClient:
    """Sends HL7 v2 messages over MLLP to ``host:port`` and returns their ACKs."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        connect_timeout: float = 5.0,
        ack_timeout: float = 30.0,
        max_frame_bytes: int = 1_048_576,
        tls: ssl.SSLContext | None = None,
        local_address: tuple[str, int] | None = None,
    ) -> None:
        """``tls``: connect with TLS (plain TCP when None); ``local_address``: the (host, port)
        to connect from (a sender with several addresses)."""
        self.host = host
        self.port = port
        self.tls = tls
        self.local_address = local_address
        self.connect_timeout = connect_timeout
        self.ack_timeout = ack_timeout
        self.max_frame_bytes = max_frame_bytes
        self._transport: asyncio.Transport | None = None
        self._protocol: _AckProtocol | None = None
        self._lock = asyncio.Lock()

    @property
    def connected(self) -> bool:
        """True while a connection is open and not known to be broken."""
        return self._usable() is not None

    async def __aenter__(self) -> MllpClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the connection (a no-op when it is already open)."""
        if self._usable() is not None:
            return
        self._drop()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout):
                transport, protocol = await loop.create_connection(
                    lambda: _AckProtocol(self.max_frame_bytes),
                    self.host,
                    self.port,
                    ssl=self.tls,
                    local_addr=self.local_address,
                )
        except TimeoutError as exc:
            raise TransientDeliveryError(
                f"MLLP connect to {self.host}:{self.port} timed out after {self.connect_timeout} s"
            ) from exc
        except ssl.SSLError as exc:
            raise TransientDeliveryError(
                f"MLLP TLS handshake with {self.host}:{self.port} failed: {exc.reason or exc}"
            ) from exc
        except OSError as exc:
            raise TransientDeliveryError(
                f"MLLP connect to {self.host}:{self.port} failed: {exc}"
            ) from exc
        self._transport, self._protocol = transport, protocol

    async def close(self) -> None:
        """Close the connection; the client can connect again later."""
        if self._transport is not None:
            self._transport.close()
        self._transport = self._protocol = None
        # Let the transport deliver connection_lost before the loop moves on.
        await asyncio.sleep(0)

    async def send(self, message: bytes) -> bytes:
        """Send ``message`` (unframed HL7) and return the ACK's content.

        Raises :class:`TransientDeliveryError` when the peer cannot be reached, breaks the
        connection twice, or does not answer within ``ack_timeout``; :class:`FramingError` when
        the reply is not a proper MLLP frame.
        """
        data = frame(message)
        async with self._lock:
            try:
                return await self._exchange(data)
            except _ConnectionBroken as exc:
                log.info("MLLP connection to %s:%d broken (%s), reconnecting", *self._where(), exc)
                self._drop()
            try:
                return await self._exchange(data)
            except _ConnectionBroken as exc:
                self._drop()
                raise TransientDeliveryError(
                    f"MLLP connection to {self.host}:{self.port} broken twice: {exc}"
                ) from None

    async def _exchange(self, data: bytes) -> bytes:
        await self.connect()
        transport, protocol = self._transport, self._protocol
        assert transport is not None and protocol is not None
        if protocol.replies:
            # A reply nobody asked for would otherwise be taken as this message's ACK.
            log.warning(
                "MLLP peer %s:%d sent %d unsolicited frame(s); discarded",
                *self._where(),
                len(protocol.replies),
            )
            protocol.replies.clear()
        transport.write(data)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.ack_timeout
        while not protocol.replies:
            if protocol.closed:
                raise _ConnectionBroken(str(protocol.lost or "closed by peer"))
            waiter = loop.create_future()
            protocol.waiter = waiter
            try:
                async with asyncio.timeout_at(deadline):
                    await waiter
            except asyncio.CancelledError:
                # The caller gave up: its ACK may still come and must not answer the next send.
                self._drop()
                raise
            except TimeoutError:
                # A late ACK would be read as the next message's: this connection is done.
                self._drop()
                raise TransientDeliveryError(
                    f"no MLLP ACK from {self.host}:{self.port} within {self.ack_timeout} s"
                ) from None
            finally:
                protocol.waiter = None
        reply = protocol.replies.popleft()
        if isinstance(reply, FramingProblem):
            self._drop()
            raise FramingError(f"bad ACK frame from {self.host}:{self.port}: {reply.describe()}")
        return reply

    def _usable(self) -> asyncio.Transport | None:
        transport, protocol = self._transport, self._protocol
        if transport is None or protocol is None or protocol.closed or transport.is_closing():
            return None
        return transport

    def _drop(self) -> None:
        if self._transport is not None:
            self._transport.abort()
        self._transport = self._protocol = None

    def _where(self) -> tuple[str, int]:
        return self.host, self.port


def ack_code(ack: bytes) -> str:
    """MSA-1 of an acknowledgement (``AA``, ``AE``, ``AR``, ``CA``, ``CE`` or ``CR``).

    Raises :class:`Hl7ParseError` when ``ack`` has no MSA segment or MSA-1 is empty.
    """
    field_sep = ack[3:4] if ack.startswith(b"MSH") and len(ack) > 3 else b"|"
    start = 0 if ack.startswith(b"MSA") else -1
    if start < 0:
        for separator in (b"\rMSA", b"\nMSA"):
            found = ack.find(separator)
            if found >= 0 and (start < 0 or found + 1 < start):
                start = found + 1
    if start < 0:
        raise Hl7ParseError("acknowledgement has no MSA segment", location="MSA")
    end = len(ack)
    for terminator in (b"\r", b"\n"):
        found = ack.find(terminator, start)
        if 0 <= found < end:
            end = found
    fields = ack[start:end].split(field_sep)
    code = fields[1].decode("latin-1").strip() if len(fields) > 1 else ""
    if not code:
        raise Hl7ParseError("MSA-1 acknowledgement code is empty", hl7_code="101", location="MSA-1")
    return code
