"""MLLP connection limits and the idle timeout against a peer that tries to hold the listener.

A second source address is 127.0.0.2 (Linux routes all of 127/8 to the loopback interface): the
client socket is bound to it, so the listener sees two different peers on one machine.
"""

from __future__ import annotations

import asyncio
import contextlib
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
from tests.integration.engine.helpers import wait_for

pytestmark = pytest.mark.timeout(60)

HOLDER = "127.0.0.2"
"""The address of the peer holding connections."""

ListenerFactory = Callable[..., Awaitable[MllpListener]]


def message(control_id: str) -> bytes:
    return (
        "MSH|^~\\&|EHR|GENHOSP|CAREWEAVE|CW|20250101120000||ADT^A01^ADT_A01|"
        f"{control_id}|P|2.5.1\rPID|1||12345^^^MRN\r"
    ).encode()


async def accept(raw: bytes, peer: PeerInfo) -> bytes:
    return build_ack(parse_header(raw), AckCode.ACCEPT)


@pytest.fixture
async def start_listener() -> AsyncIterator[ListenerFactory]:
    listeners: list[MllpListener] = []

    async def factory(**config: float) -> MllpListener:
        listener = MllpListener(MllpListenerConfig(port=0, **config), accept)  # type: ignore[arg-type]
        await listener.start()
        listeners.append(listener)
        return listener

    yield factory
    for listener in listeners:
        await listener.stop(grace=1.0)


async def hold(port: int, count: int) -> list[asyncio.StreamWriter]:
    """Open ``count`` idle connections from HOLDER; return their writers (to close them later)."""
    writers = []
    for _ in range(count):
        _, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(HOLDER, 0))
        writers.append(writer)
    return writers


async def test_one_peer_holding_idle_connections_does_not_lock_out_another(start_listener):
    # The defaults: 256 connections in all, 64 from one address.
    listener = await start_listener()
    holders = await hold(listener.port, 300)
    await wait_for(lambda: listener.stats.connections == 300, 20, "300 connections seen")
    assert listener.stats.active == 64
    assert listener.stats.refused == 300 - 64

    async def real_sender(n: int) -> list[str]:
        async with MllpClient("127.0.0.1", listener.port) as client:
            return [ack_code(await client.send(message(f"R{n}-{i}"))) for i in range(5)]

    results = await asyncio.gather(*(real_sender(n) for n in range(10)))
    assert results == [["AA"] * 5] * 10
    for writer in holders:
        writer.transport.abort()


async def test_per_peer_limit_refuses_only_that_peer(start_listener):
    listener = await start_listener(max_connections=5, max_connections_per_peer=3)
    holders = await hold(listener.port, 8)
    await wait_for(lambda: listener.stats.connections == 8, 10, "8 connections seen")
    assert (listener.stats.active, listener.stats.refused) == (3, 5)
    # Another address gets the 2 slots left in all: the total limit holds too.
    others = [await asyncio.open_connection("127.0.0.1", listener.port) for _ in range(4)]
    await wait_for(lambda: listener.stats.connections == 12, 10, "12 connections seen")
    assert (listener.stats.active, listener.stats.refused) == (5, 7)
    # A held connection that closes frees its slot for the same peer.
    holders[0].transport.abort()
    await wait_for(lambda: listener.stats.active == 4, 10, "one slot freed")
    reader, writer = await asyncio.open_connection(
        "127.0.0.1", listener.port, local_addr=(HOLDER, 0)
    )
    writer.write(frame(message("BACK")))
    decoder = FrameReader()
    acks = decoder.feed(await reader.read(65536))
    assert [ack_code(a) for a in acks if isinstance(a, bytes)] == ["AA"]
    for w in [*holders, writer, *(w for _, w in others)]:
        w.transport.abort()


async def test_bytes_that_complete_no_frame_do_not_keep_a_connection_open(start_listener):
    listener = await start_listener(idle_timeout=0.5, read_timeout=30.0)
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    writer.write(frame(message("FIRST")))
    decoder = FrameReader()
    acks = decoder.feed(await reader.read(65536))
    assert [ack_code(a) for a in acks if isinstance(a, bytes)] == ["AA"]
    # One junk byte every 100 ms: each is traffic, none is a frame.
    closed = False
    for _ in range(200):
        if reader.at_eof() or writer.is_closing():
            closed = True
            break
        with contextlib.suppress(ConnectionError):
            writer.write(b"x")
        with contextlib.suppress(TimeoutError, ConnectionError):
            if await asyncio.wait_for(reader.read(65536), timeout=0.1) == b"":
                closed = True
                break
    assert closed
    assert listener.stats.idle_closed == 1
    assert listener.stats.frames == 1
    writer.transport.abort()


async def test_restarting_frames_does_not_keep_a_connection_open(start_listener):
    # A peer that starts a new frame every 100 ms never lets the read timeout fire on one
    # frame; it is closed once it has gone idle + read timeout without a complete frame.
    listener = await start_listener(idle_timeout=0.4, read_timeout=0.4)
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    closed = False
    for _ in range(200):
        with contextlib.suppress(ConnectionError):
            writer.write(b"\x0bMSH|")
        with contextlib.suppress(TimeoutError, ConnectionError):
            if await asyncio.wait_for(reader.read(65536), timeout=0.1) == b"":
                closed = True
                break
    assert closed
    assert listener.stats.idle_closed + listener.stats.timeouts == 1
    assert listener.stats.frames == 0
    writer.transport.abort()
