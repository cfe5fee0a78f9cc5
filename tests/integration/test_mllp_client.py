"""MllpClient on real sockets: reconnects, timeouts and bad replies become careweave errors."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from careweave.codecs.hl7v2.ack import AckCode, build_ack
from careweave.codecs.hl7v2.header import parse_header
from careweave.connectors.mllp import (
    FrameReader,
    MllpClient,
    MllpListener,
    MllpListenerConfig,
    PeerInfo,
    ack_code,
    frame,
)
from careweave.exceptions import FramingError, TransientDeliveryError

pytestmark = pytest.mark.timeout(30)

MSG = b"MSH|^~\\&|EHR|GEN|CW|CW|20250101120000||ADT^A01|CTRL1|P|2.5.1\rPID|1||12345\r"
ACK = build_ack(parse_header(MSG), AckCode.ACCEPT)


async def accept_all(raw: bytes, peer: PeerInfo) -> bytes:
    return build_ack(parse_header(raw), AckCode.ACCEPT)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


Script = Callable[[int, bytes], bytes | None]


@pytest.fixture
async def scripted_server() -> AsyncIterator[Callable[[Script], Awaitable[int]]]:
    """A raw TCP server whose reply to each frame is decided by ``script(connection_no, frame)``.

    ``None`` closes the connection without answering.
    """
    servers: list[asyncio.Server] = []

    async def start(script: Script) -> int:
        connections = 0

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            number = connections
            decoder = FrameReader()
            try:
                while data := await reader.read(65536):
                    for item in decoder.feed(data):
                        if isinstance(item, bytes):
                            reply = script(number, item)
                            if reply is None:
                                writer.close()
                                return
                            writer.write(reply)
            finally:
                writer.close()

        server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        servers.append(server)
        return int(server.sockets[0].getsockname()[1])

    yield start
    for server in servers:
        server.close()


async def test_send_returns_the_ack_content():
    listener = MllpListener(MllpListenerConfig(port=0), accept_all)
    async with listener, MllpClient("127.0.0.1", listener.port) as client:
        ack = await client.send(MSG)
    assert not ack.startswith(b"\x0b")
    assert ack_code(ack) == "AA"
    assert b"|CTRL1" in ack


async def test_send_connects_lazily_and_close_is_idempotent():
    listener = MllpListener(MllpListenerConfig(port=0), accept_all)
    async with listener:
        client = MllpClient("127.0.0.1", listener.port)
        states = [client.connected]
        assert ack_code(await client.send(MSG)) == "AA"
        states.append(client.connected)
        await client.close()
        await client.close()
        states.append(client.connected)
    assert states == [False, True, False]


async def test_reconnects_after_the_server_restarts():
    port = free_port()
    config = MllpListenerConfig(port=port)
    first = MllpListener(config, accept_all)
    await first.start()
    client = MllpClient("127.0.0.1", port, connect_timeout=1.0)
    assert ack_code(await client.send(MSG)) == "AA"
    await first.stop()
    # Nobody listening: refused, as a retryable delivery error, never an OSError.
    with pytest.raises(TransientDeliveryError) as info:
        await client.send(MSG)
    assert info.value.retryable
    second = MllpListener(config, accept_all)
    await second.start()
    try:
        assert ack_code(await client.send(MSG)) == "AA"
        assert second.stats.frames == 1
    finally:
        await client.close()
        await second.stop()


async def test_connection_reset_mid_exchange_is_retried_once(scripted_server):
    seen: list[int] = []

    def script(connection: int, message: bytes) -> bytes | None:
        seen.append(connection)
        return None if connection == 1 else frame(ACK)

    port = await scripted_server(script)
    async with MllpClient("127.0.0.1", port) as client:
        assert ack_code(await client.send(MSG)) == "AA"
    assert seen == [1, 2]


async def test_connection_broken_twice_is_a_transient_error(scripted_server):
    port = await scripted_server(lambda connection, message: None)
    async with MllpClient("127.0.0.1", port) as client:
        with pytest.raises(TransientDeliveryError, match="broken twice"):
            await client.send(MSG)


async def test_no_ack_within_the_timeout_is_a_transient_error():
    async def never(raw: bytes, peer: PeerInfo) -> bytes:
        await asyncio.sleep(30)
        return b""

    listener = MllpListener(MllpListenerConfig(port=0), never)
    async with listener:
        client = MllpClient("127.0.0.1", listener.port, ack_timeout=0.2)
        with pytest.raises(TransientDeliveryError, match="no MLLP ACK"):
            await client.send(MSG)
        # The connection is dropped, so a late ACK can never answer the next message.
        assert not client.connected
        await listener.stop(grace=0.1)


@pytest.mark.parametrize(
    "reply",
    [
        pytest.param(b"HTTP/1.1 400 Bad Request\r\n\r\n", id="not-mllp"),
        pytest.param(b"\x0b\x1c\r", id="empty-frame"),
        pytest.param(frame(b"MSA|AA|" + b"x" * 5000), id="oversized"),
    ],
)
async def test_bad_ack_frame_is_a_framing_error(scripted_server, reply):
    port = await scripted_server(lambda connection, message: reply)
    async with MllpClient("127.0.0.1", port, max_frame_bytes=4096, ack_timeout=2.0) as client:
        with pytest.raises(FramingError):
            await client.send(MSG)


async def test_stray_newline_after_an_ack_is_ignored(scripted_server):
    port = await scripted_server(lambda connection, message: frame(ACK) + b"\n")
    async with MllpClient("127.0.0.1", port) as client:
        for _ in range(3):
            assert ack_code(await client.send(MSG)) == "AA"


async def test_unsolicited_frame_is_not_taken_as_the_next_ack(scripted_server):
    nak = build_ack(parse_header(MSG), AckCode.REJECT)

    def script(connection: int, message: bytes) -> bytes:
        # Answers the first message twice (an ACK then a stray NAK).
        return frame(ACK) + frame(nak) if b"|CTRL1|" in message else frame(ACK)

    port = await scripted_server(script)
    async with MllpClient("127.0.0.1", port) as client:
        assert ack_code(await client.send(MSG)) == "AA"
        await asyncio.sleep(0.05)
        assert ack_code(await client.send(MSG.replace(b"CTRL1", b"CTRL2"))) == "AA"


async def test_refused_connection_is_a_transient_error():
    client = MllpClient("127.0.0.1", free_port(), connect_timeout=1.0)
    with pytest.raises(TransientDeliveryError, match="failed"):
        await client.connect()


async def test_message_containing_block_characters_is_refused_before_sending():
    client = MllpClient("127.0.0.1", free_port())
    with pytest.raises(FramingError):
        await client.send(MSG + b"\x1c")


async def test_cancelled_send_never_leaks_its_ack_into_the_next_send():
    started, release = asyncio.Event(), asyncio.Event()

    async def held_first(raw: bytes, peer: PeerInfo) -> bytes:
        header = parse_header(raw)
        if header.control_id == "CTRL1":
            started.set()
            await release.wait()
        return build_ack(header, AckCode.ACCEPT)

    listener = MllpListener(MllpListenerConfig(port=0), held_first)
    async with listener, MllpClient("127.0.0.1", listener.port) as client:
        pending = asyncio.create_task(client.send(MSG))
        await started.wait()
        pending.cancel()
        with pytest.raises(asyncio.CancelledError):
            await pending
        second = asyncio.create_task(client.send(MSG.replace(b"CTRL1", b"CTRL2")))
        await asyncio.sleep(0.05)
        # The first ACK is released while the second send waits: it must not be taken for it.
        release.set()
        ack = await second
        assert b"|CTRL2" in ack
        assert b"|CTRL1" not in ack
