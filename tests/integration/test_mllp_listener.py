"""MllpListener on real sockets (127.0.0.1, port 0): ordering, concurrency, limits, timeouts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable

import hl7
import hl7.client
import pytest

from careweave.codecs.hl7v2.ack import AckCode, build_ack, is_enhanced_mode
from careweave.codecs.hl7v2.header import parse_header
from careweave.connectors.mllp import (
    FrameReader,
    MllpClient,
    MllpHandler,
    MllpListener,
    MllpListenerConfig,
    PeerInfo,
    ack_code,
    frame,
)
from tests.conftest import corpus_path

pytestmark = pytest.mark.timeout(30)

ListenerFactory = Callable[..., Awaitable[MllpListener]]


def message(control_id: str, body: bytes = b"PID|1||12345^^^MRN\r") -> bytes:
    return (
        f"MSH|^~\\&|EHR|GENHOSP|CAREWEAVE|CW|20250101120000||ADT^A01^ADT_A01|{control_id}|P|2.5.1\r"
    ).encode() + body


def msa(ack: bytes) -> list[str]:
    segment = next(s for s in ack.split(b"\r") if s.startswith(b"MSA"))
    return segment.decode().split("|")


class Recorder:
    """A handler that acknowledges AA and remembers what it saw, in order."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, PeerInfo]] = []
        self.completed = 0
        self.overlaps = 0
        self.running = 0

    async def __call__(self, raw: bytes, peer: PeerInfo) -> bytes:
        header = parse_header(raw)
        if self.running:
            self.overlaps += 1
        self.running += 1
        self.seen.append((header.control_id, peer))
        await asyncio.sleep(0)
        self.running -= 1
        self.completed += 1
        return build_ack(header, AckCode.ACCEPT)


@pytest.fixture
async def start_listener() -> AsyncIterator[ListenerFactory]:
    listeners: list[MllpListener] = []

    async def factory(handler: MllpHandler, **config: float) -> MllpListener:
        listener = MllpListener(MllpListenerConfig(port=0, **config), handler)  # type: ignore[arg-type]
        await listener.start()
        listeners.append(listener)
        return listener

    yield factory
    for listener in listeners:
        await listener.stop(grace=1.0)


async def read_frames(reader: asyncio.StreamReader, count: int) -> list[bytes]:
    decoder = FrameReader()
    frames: list[bytes] = []
    while len(frames) < count:
        data = await reader.read(65536)
        if not data:
            break
        frames.extend(f for f in decoder.feed(data) if isinstance(f, bytes))
    return frames


async def test_acks_each_message_in_order_on_one_connection(start_listener):
    recorder = Recorder()
    listener = await start_listener(recorder)
    ids = [f"ORD{i:04d}" for i in range(50)]
    async with MllpClient("127.0.0.1", listener.port) as client:
        acks = [await client.send(message(cid)) for cid in ids]
    assert [msa(ack)[1:3] for ack in acks] == [["AA", cid] for cid in ids]
    assert [cid for cid, _ in recorder.seen] == ids
    assert listener.stats.frames == 50


async def test_ack_swaps_sender_and_receiver(start_listener):
    listener = await start_listener(Recorder())
    async with MllpClient("127.0.0.1", listener.port) as client:
        ack = await client.send(message("SWAP1"))
    msh = ack.split(b"\r")[0].decode().split("|")
    assert msh[2:6] == ["CAREWEAVE", "CW", "EHR", "GENHOSP"]


async def test_pipelined_frames_are_handled_one_at_a_time_in_order(start_listener):
    recorder = Recorder()
    listener = await start_listener(recorder)
    ids = [f"PIPE{i:03d}" for i in range(100)]
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    # All frames in one write: the listener must still answer them one by one, in order.
    writer.write(b"".join(frame(message(cid)) for cid in ids))
    acks = await read_frames(reader, len(ids))
    writer.close()
    assert [msa(ack)[2] for ack in acks] == ids
    assert recorder.overlaps == 0


async def test_corpus_messages_are_acknowledged_with_their_control_id(start_listener):
    folder = corpus_path("hl7v2", "ms-fhir-converter", "messages")
    listener = await start_listener(Recorder())
    files = sorted(folder.glob("*.hl7"))
    assert len(files) > 50
    async with MllpClient("127.0.0.1", listener.port) as client:
        for path in files:
            raw = path.read_bytes()
            ack = await client.send(raw)
            # Senders asking for enhanced mode (MSH-15/16) get the commit code.
            expected = "CA" if is_enhanced_mode(parse_header(raw)) else "AA"
            assert ack_code(ack) == expected, path.name
            assert msa(ack)[2] == parse_header(raw).control_id, path.name


async def test_eight_concurrent_connections(start_listener):
    recorder = Recorder()
    listener = await start_listener(recorder)

    async def sender(n: int) -> list[str]:
        async with MllpClient("127.0.0.1", listener.port) as client:
            return [msa(await client.send(message(f"C{n}-{i:03d}")))[2] for i in range(100)]

    results = await asyncio.gather(*(sender(n) for n in range(8)))
    for n, ids in enumerate(results):
        assert ids == [f"C{n}-{i:03d}" for i in range(100)]
    assert listener.stats.frames == 800
    assert len({peer.connection_id for _, peer in recorder.seen}) == 8
    # Each connection's messages reached the handler in that connection's order.
    for n in range(8):
        mine = [cid for cid, _ in recorder.seen if cid.startswith(f"C{n}-")]
        assert mine == sorted(mine)


async def test_stalled_half_frame_times_out_while_others_keep_working(start_listener):
    listener = await start_listener(Recorder(), read_timeout=1.0)
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    writer.write(b"\x0b" + message("STALL1")[:30])
    await writer.drain()
    async with MllpClient("127.0.0.1", listener.port) as client:
        for i in range(20):
            assert ack_code(await client.send(message(f"OK{i}"))) == "AA"
        assert listener.stats.timeouts == 0
        # The stalled connection is closed without an answer.
        assert await asyncio.wait_for(reader.read(), timeout=3.0) == b""
        assert listener.stats.timeouts == 1
        assert ack_code(await client.send(message("OK-after"))) == "AA"
    writer.close()


async def test_slow_handler_on_one_connection_does_not_block_another(start_listener):
    release = asyncio.Event()

    async def handler(raw: bytes, peer: PeerInfo) -> bytes:
        header = parse_header(raw)
        if header.control_id == "SLOW":
            await release.wait()
        return build_ack(header, AckCode.ACCEPT)

    listener = await start_listener(handler)
    async with (
        MllpClient("127.0.0.1", listener.port) as slow,
        MllpClient("127.0.0.1", listener.port) as fast,
    ):
        pending = asyncio.create_task(slow.send(message("SLOW")))
        for i in range(10):
            assert msa(await fast.send(message(f"FAST{i}")))[2] == f"FAST{i}"
        assert not pending.done()
        release.set()
        assert msa(await pending)[2] == "SLOW"


async def test_idle_connection_is_closed(start_listener):
    listener = await start_listener(Recorder(), idle_timeout=0.3)
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    writer.write(frame(message("IDLE1")))
    acks = await read_frames(reader, 1)
    assert msa(acks[0])[2] == "IDLE1"
    assert await asyncio.wait_for(reader.read(), timeout=3.0) == b""
    assert listener.stats.idle_closed == 1
    writer.close()


async def test_oversized_frame_is_rejected_and_listener_keeps_serving(start_listener):
    recorder = Recorder()
    listener = await start_listener(recorder, max_frame_bytes=2000)
    big = message("BIG1", b"OBX|1|TX|||" + b"x" * 10_000 + b"\r")
    async with MllpClient("127.0.0.1", listener.port) as client:
        ack = await client.send(big)
        fields = msa(ack)
        assert fields[1:3] == ["AR", "BIG1"]
        assert "exceeds" in fields[3]
        # Same connection, next message: accepted.
        assert ack_code(await client.send(message("SMALL1"))) == "AA"
    async with MllpClient("127.0.0.1", listener.port) as fresh:
        assert ack_code(await fresh.send(message("SMALL2"))) == "AA"
    assert listener.stats.oversized == 1
    assert [cid for cid, _ in recorder.seen] == ["SMALL1", "SMALL2"]


async def test_junk_is_skipped_and_counted(start_listener):
    listener = await start_listener(Recorder())
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    writer.write(b"hello\r\n" + frame(message("J1")) + b"\n\n" + frame(message("J2")))
    acks = await read_frames(reader, 2)
    writer.close()
    assert [msa(a)[1:3] for a in acks] == [["AA", "J1"], ["AA", "J2"]]
    assert listener.stats.junk_bytes == 9


async def test_empty_frame_and_unreadable_message_are_answered(start_listener):
    async def handler(raw: bytes, peer: PeerInfo) -> bytes:
        return build_ack(parse_header(raw), AckCode.ACCEPT)

    listener = await start_listener(handler)
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    writer.write(b"\x0b\x1c\r" + frame(b"not hl7 at all") + frame(message("E3")))
    acks = await read_frames(reader, 3)
    writer.close()
    assert [msa(a)[1] for a in acks] == ["AR", "AE", "AA"]
    assert msa(acks[0])[3] == "empty MLLP frame"
    assert listener.stats.handler_errors == 1


async def test_handler_exception_is_answered_ae_207_and_listener_lives(start_listener):
    async def handler(raw: bytes, peer: PeerInfo) -> bytes:
        header = parse_header(raw)
        if header.control_id == "BOOM":
            raise RuntimeError("database on fire")
        return build_ack(header, AckCode.ACCEPT)

    listener = await start_listener(handler)
    async with MllpClient("127.0.0.1", listener.port) as client:
        ack = await client.send(message("BOOM"))
        assert msa(ack)[1:3] == ["AE", "BOOM"]
        err = next(s for s in ack.split(b"\r") if s.startswith(b"ERR")).decode()
        assert "207" in err.split("|")[3]
        # The exception's text stays in the log; the sender learns only its type.
        assert "database on fire" not in ack.decode()
        assert ack_code(await client.send(message("AFTER"))) == "AA"
    assert listener.stats.handler_errors == 1


async def test_connections_over_the_limit_are_closed(start_listener):
    listener = await start_listener(Recorder(), max_connections=2)
    first = await asyncio.open_connection("127.0.0.1", listener.port)
    second = await asyncio.open_connection("127.0.0.1", listener.port)
    third_reader, third_writer = await asyncio.open_connection("127.0.0.1", listener.port)
    with contextlib.suppress(ConnectionResetError):
        assert await asyncio.wait_for(third_reader.read(), timeout=3.0) == b""
    assert listener.stats.refused == 1
    # The two admitted connections still work.
    first[1].write(frame(message("LIM1")))
    assert msa((await read_frames(first[0], 1))[0])[2] == "LIM1"
    for _, writer in (first, second, (third_reader, third_writer)):
        writer.close()


async def test_half_closed_sender_still_gets_its_ack(start_listener):
    listener = await start_listener(Recorder())
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    writer.write(frame(message("HALF1")))
    writer.write_eof()
    acks = await read_frames(reader, 1)
    assert msa(acks[0])[2] == "HALF1"
    assert await reader.read() == b""
    writer.close()


async def test_stop_lets_in_flight_handler_finish_then_refuses(start_listener):
    started = asyncio.Event()

    async def handler(raw: bytes, peer: PeerInfo) -> bytes:
        started.set()
        await asyncio.sleep(0.2)
        return build_ack(parse_header(raw), AckCode.ACCEPT)

    listener = await start_listener(handler)
    client = MllpClient("127.0.0.1", listener.port, connect_timeout=1.0)
    pending = asyncio.create_task(client.send(message("LAST1")))
    await started.wait()
    await listener.stop(grace=5.0)
    assert msa(await pending)[1:3] == ["AA", "LAST1"]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", listener.port), timeout=1.0).close()
    await client.close()


async def test_stop_cancels_handlers_that_outlive_the_grace(start_listener):
    async def handler(raw: bytes, peer: PeerInfo) -> bytes:
        await asyncio.sleep(30)
        return b""

    listener = await start_listener(handler)
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    writer.write(frame(message("STUCK")))
    await writer.drain()
    await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    began = loop.time()
    await listener.stop(grace=0.2)
    assert loop.time() - began < 2.0
    # Nothing was promised: the connection closes without an ACK.
    assert await asyncio.wait_for(reader.read(), timeout=2.0) == b""
    writer.close()


async def test_python_hl7_client_talks_to_the_listener(start_listener):
    recorder = Recorder()
    listener = await start_listener(recorder)

    def blocking_send() -> list[bytes]:
        replies = []
        with hl7.client.MLLPClient("127.0.0.1", listener.port) as client:
            for i in range(3):
                replies.append(client.send_message(message(f"PYHL7-{i}").decode()))
        return replies

    replies = await asyncio.to_thread(blocking_send)
    for i, reply in enumerate(replies):
        assert reply.startswith(b"\x0b") and reply.endswith(b"\x1c\r")
        parsed = hl7.parse(reply.strip(b"\x0b\x1c\r").decode())
        assert str(parsed.segment("MSA")[1]) == "AA"
        assert str(parsed.segment("MSA")[2]) == f"PYHL7-{i}"
    assert [cid for cid, _ in recorder.seen] == [f"PYHL7-{i}" for i in range(3)]


async def test_junk_is_warned_once_per_connection(start_listener, caplog):
    listener = await start_listener(Recorder())
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    with caplog.at_level(logging.DEBUG, logger="careweave.connectors.mllp.connection"):
        for i in range(5):
            writer.write(b"junk" + frame(message(f"W{i}")))
            await read_frames(reader, 1)
    writer.close()
    warnings = [
        r for r in caplog.records if r.levelno == logging.WARNING and "skipped" in r.message
    ]
    assert len(warnings) == 1
    assert listener.stats.junk_bytes == 20


def test_listener_and_client_run_on_uvloop():
    uvloop = pytest.importorskip("uvloop")

    async def scenario() -> list[str]:
        listener = MllpListener(MllpListenerConfig(port=0, max_frame_bytes=500), Recorder())
        async with listener, MllpClient("127.0.0.1", listener.port) as client:
            codes = [ack_code(await client.send(message(f"UV{i}"))) for i in range(20)]
            codes.append(ack_code(await client.send(message("UVBIG", b"x" * 1000))))
            reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
            writer.write(b"".join(frame(message(f"UVP{i}")) for i in range(10)))
            codes += [msa(ack)[1] for ack in await read_frames(reader, 10)]
            writer.close()
            return codes

    assert uvloop.run(scenario()) == ["AA"] * 20 + ["AR"] + ["AA"] * 10


async def test_read_timeout_counts_from_the_frame_start_not_the_last_byte(start_listener):
    listener = await start_listener(Recorder(), read_timeout=0.4)
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    loop = asyncio.get_running_loop()
    began = loop.time()
    writer.write(b"\x0bMSH|")
    # A sender dribbling one byte every 50 ms never finishes its frame.
    while not reader.at_eof() and loop.time() - began < 3.0:
        writer.write(b"x")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(reader.read(), timeout=0.05)
    assert reader.at_eof()
    assert 0.35 < loop.time() - began < 2.5
    assert listener.stats.timeouts == 1
    writer.close()


async def test_busy_connection_is_not_idle(start_listener):
    listener = await start_listener(Recorder(), idle_timeout=0.5)
    async with MllpClient("127.0.0.1", listener.port) as client:
        for i in range(6):
            assert ack_code(await client.send(message(f"BUSY{i}"))) == "AA"
            await asyncio.sleep(0.1)
        assert client.connected
    assert listener.stats.idle_closed == 0


async def test_sender_that_does_not_read_its_acks_is_paused_not_buffered(start_listener):
    seen: list[str] = []

    async def wordy(raw: bytes, peer: PeerInfo) -> bytes:
        header = parse_header(raw)
        seen.append(header.control_id)
        # Large ACKs, so that they overflow the kernel's socket buffers quickly.
        return build_ack(header, AckCode.ACCEPT, text="x" * 8000)

    listener = await start_listener(wordy)
    sock = socket.socket()
    # A small, fixed receive buffer: the kernel cannot soak up what the client does not read.
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    sock.connect(("127.0.0.1", listener.port))
    reader, writer = await asyncio.open_connection(sock=sock)
    ids = [f"FLOOD{i:05d}" for i in range(2000)]

    async def flood() -> None:
        writer.write(b"".join(frame(message(cid)) for cid in ids))
        await writer.drain()

    sending = asyncio.create_task(flood())
    await asyncio.sleep(0.3)
    # Nobody read the ACKs yet: the listener stopped handling long before the end.
    assert len(seen) < len(ids) // 2
    acks = await read_frames(reader, len(ids))
    await sending
    writer.close()
    assert [msa(ack)[2] for ack in acks] == ids


async def test_frame_unfinished_at_end_of_stream_is_counted_as_a_fragment(start_listener):
    listener = await start_listener(Recorder())
    reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
    writer.write(b"\x0bMSH|half")
    writer.write_eof()
    assert await asyncio.wait_for(reader.read(), timeout=2.0) == b""
    writer.close()
    assert listener.stats.fragments == 1
    assert listener.stats.junk_bytes == 0
    assert listener.stats.frames == 0


async def test_sender_that_never_reads_is_closed_after_the_idle_timeout(start_listener):
    async def wordy(raw: bytes, peer: PeerInfo) -> bytes:
        return build_ack(parse_header(raw), AckCode.ACCEPT, text="x" * 8000)

    listener = await start_listener(wordy, idle_timeout=0.3)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    sock.connect(("127.0.0.1", listener.port))
    _, writer = await asyncio.open_connection(sock=sock)
    writer.write(b"".join(frame(message(f"DEAF{i:04d}")) for i in range(2000)))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5.0
    while (listener.stats.idle_closed == 0 or listener.stats.active) and loop.time() < deadline:
        await asyncio.sleep(0.05)
    assert listener.stats.connections == 1
    assert listener.stats.active == 0
    assert listener.stats.idle_closed == 1
    writer.transport.abort()


async def test_fragments_reach_the_fragment_handler_in_stream_order_with_their_reasons():
    seen: list[tuple[str, bytes, str]] = []

    async def handler(raw: bytes, peer: PeerInfo) -> bytes:
        seen.append(("frame", raw[:20], ""))
        return build_ack(parse_header(raw), AckCode.ACCEPT)

    async def fragments(raw: bytes, reason: str, peer: PeerInfo) -> None:
        seen.append(("fragment", raw, reason))

    listener = MllpListener(
        MllpListenerConfig(port=0, max_frame_bytes=400), handler, fragments=fragments
    )
    async with listener:
        reader, writer = await asyncio.open_connection("127.0.0.1", listener.port)
        big = message("BIG", b"x" * 1000)
        writer.write(b"\x0bMSH|cut" + frame(message("OK1")) + frame(big) + b"\x0bMSH|tail")
        writer.write_eof()
        acks = await read_frames(reader, 2)
        assert await reader.read() == b""
        writer.close()
    assert [msa(a)[1:3] for a in acks] == [["AA", "OK1"], ["AR", "BIG"]]
    kinds = [(kind, reason.split(" after")[0].split(" (")[0]) for kind, _, reason in seen]
    assert kinds == [
        ("fragment", "frame interrupted by a new start block"),
        ("frame", ""),
        ("fragment", f"message of {len(big)} bytes exceeds the 400-byte limit"),
        ("fragment", "frame without an end block at the end of the stream,"),
    ]
    assert seen[0][1] == b"MSH|cut"
    assert seen[2][1] == big[:400]
    assert seen[3][1] == b"MSH|tail"
    assert listener.stats.fragments == 3


async def test_oversized_frame_whose_fragment_cannot_be_stored_is_answered_ae():
    async def fragments(raw: bytes, reason: str, peer: PeerInfo) -> None:
        raise RuntimeError("disk full")

    listener = MllpListener(
        MllpListenerConfig(port=0, max_frame_bytes=200), Recorder(), fragments=fragments
    )
    async with listener, MllpClient("127.0.0.1", listener.port) as client:
        ack = await client.send(message("BIG2", b"y" * 500))
        # AR would tell the sender not to send it again; nothing was kept, so AE.
        assert msa(ack)[1:3] == ["AE", "BIG2"]
        assert "disk full" not in ack.decode()
        assert ack_code(await client.send(message("NEXT"))) == "AA"
    assert listener.stats.handler_errors == 1
