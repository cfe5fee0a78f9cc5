"""No frame is dropped silently: each way a frame can fail to complete is stored with its reason.

Over a real socket into the engine on SQLite: a frame cut off by a new start block, a frame the
stream ends inside, a frame the read timeout cuts, and an oversized frame are each stored as a
message in error (what arrived, bounded by ``max_frame_bytes``) with the reason as its error; the
oversized one is answered AR naming the limit, after it is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from careweave.app import build_engine
from careweave.codecs.hl7v2 import parse_message
from careweave.config import parse_settings
from careweave.connectors.mllp import FrameReader, MllpClient, ack_code, frame
from careweave.engine.runtime import Engine
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.model.records import InboundMessage, MessageQuery, MessageState
from careweave.testing import RecordingHttpServer
from tests.integration.engine.helpers import adt

pytestmark = pytest.mark.timeout(60)

LIMIT = 2000


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[Engine]:
    with RecordingHttpServer() as downstream:
        settings = parse_settings(
            f"""
[[channels]]
name = "adt"
source = {{ type = "mllp", port = 0, max_frame_bytes = {LIMIT}, read_timeout = 0.5 }}

[[channels.destinations]]
name = "downstream"
connector = {{ type = "http", url = "{downstream.url}/in", timeout = 5.0 }}
"""
        )
        store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
        await store.open()
        built = build_engine(settings, store)
        await built.start()
        try:
            yield built
        finally:
            await built.stop()
            await store.close()


async def errors(engine: Engine) -> list[InboundMessage]:
    found = await engine.store.list_messages(MessageQuery(state=MessageState.ERROR))
    return [await engine.store.get_message(m.id) for m in found]


async def stored_errors(engine: Engine, count: int) -> list[InboundMessage]:
    """Wait until ``count`` messages are stored in error (a fragment with no reply to wait for)."""
    seen: list[InboundMessage] = []

    async def poll() -> None:
        nonlocal seen
        while len(seen := await errors(engine)) < count:
            await asyncio.sleep(0.05)

    await asyncio.wait_for(poll(), timeout=10)
    return seen


def port(engine: Engine) -> int:
    return engine.listeners["adt"].port


async def test_frame_interrupted_by_a_new_start_block_is_stored_and_the_next_frame_answered(
    engine: Engine,
) -> None:
    cut = adt(1)[:60]
    reader, writer = await asyncio.open_connection("127.0.0.1", port(engine))
    writer.write(b"\x0b" + cut + frame(adt(2)))
    decoder = FrameReader()
    acks: list[bytes] = []
    while not acks:
        acks += [a for a in decoder.feed(await reader.read(65536)) if isinstance(a, bytes)]
    # The one reply is the new frame's: a NAK for the abandoned frame would be read as it.
    assert [(ack_code(a), parse_message(a).get("MSA-2")) for a in acks] == [("AA", "MSG000002")]
    writer.close()
    (stored,) = await errors(engine)
    assert stored.raw == cut
    assert stored.error is not None
    assert "frame interrupted by a new start block" in stored.error
    assert stored.sender.startswith("127.0.0.1:")
    # The sender's complete re-send of the abandoned message is processed, not a duplicate.
    async with MllpClient("127.0.0.1", port(engine)) as client:
        assert ack_code(await client.send(adt(1))) == "AA"
    counts = await engine.store.counts()
    assert counts["messages.processed"] == 2
    assert counts.get("messages.duplicates", 0) == 0


async def test_frame_without_an_end_block_before_end_of_stream_is_stored(engine: Engine) -> None:
    cut = adt(3)[:80]
    reader, writer = await asyncio.open_connection("127.0.0.1", port(engine))
    writer.write(b"\x0b" + cut)
    writer.write_eof()
    # No reply is possible (the sender is gone): the connection just closes.
    assert await asyncio.wait_for(reader.read(), timeout=10) == b""
    writer.close()
    (stored,) = await stored_errors(engine, 1)
    assert stored.raw == cut
    assert stored.error is not None and "end of the stream" in stored.error


async def test_frame_cut_by_the_read_timeout_is_stored(engine: Engine) -> None:
    cut = adt(4)[:50]
    reader, writer = await asyncio.open_connection("127.0.0.1", port(engine))
    writer.write(b"\x0b" + cut)
    # The listener closes the stalled connection after its read timeout, without a reply.
    assert await asyncio.wait_for(reader.read(), timeout=10) == b""
    writer.close()
    (stored,) = await stored_errors(engine, 1)
    assert stored.raw == cut
    assert stored.error is not None and "read timeout" in stored.error


async def test_oversized_frame_is_stored_bounded_and_answered_ar_naming_the_limit(
    engine: Engine,
) -> None:
    big = adt(5) + b"OBX|1|TX|||" + b"x" * 10 * LIMIT + b"\r"
    async with MllpClient("127.0.0.1", port(engine)) as client:
        ack = await client.send(big)
        assert ack_code(ack) == "AR"
        assert parse_message(ack).get("MSA-2") == "MSG000005"
        assert f"{LIMIT}-byte limit" in ack.decode()
        # Same connection, next message: accepted.
        assert ack_code(await client.send(adt(6))) == "AA"
    # The AR came after the commit: the fragment is there as soon as the sender has its answer.
    (stored,) = await errors(engine)
    assert stored.raw == big[:LIMIT]
    assert stored.error is not None
    assert f"exceeds the {LIMIT}-byte limit" in stored.error
