"""Tests' side of NATS JetStream: a stream name of their own, deleted after, and a consumer that
reads a whole stream."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import nats
import nats.js.errors


@dataclass(frozen=True)
class StreamMessage:
    """One message as a subscriber reads it from the stream."""

    subject: str
    msg_id: str
    """Its ``Nats-Msg-Id`` header."""
    data: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class ScratchStream:
    """A stream name and subject prefix no other test uses."""

    url: str
    name: str
    prefix: str


@contextlib.asynccontextmanager
async def scratch_stream(url: str) -> AsyncIterator[ScratchStream]:
    """A unique stream name and prefix; the stream (if anyone created it) is deleted after."""
    tag = uuid.uuid4().hex[:12]
    stream = ScratchStream(url=url, name=f"CWTEST_{tag.upper()}", prefix=f"cwtest.{tag}")
    try:
        yield stream
    finally:
        client = await nats.connect(url)
        try:
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await client.jetstream().delete_stream(stream.name)
        finally:
            await client.close()


async def read_stream(stream: ScratchStream, *, timeout: float = 30.0) -> list[StreamMessage]:
    """Every message in the stream, in stream order, through an ephemeral pull consumer."""
    client = await nats.connect(stream.url)
    try:
        jetstream = client.jetstream()
        total = (await jetstream.stream_info(stream.name)).state.messages
        consumer = await jetstream.pull_subscribe(f"{stream.prefix}.>", stream=stream.name)
        messages: list[StreamMessage] = []
        async with asyncio.timeout(timeout):
            while len(messages) < total:
                with contextlib.suppress(nats.errors.TimeoutError):
                    for msg in await consumer.fetch(min(500, total - len(messages)), timeout=2):
                        headers = dict(msg.headers or {})
                        messages.append(
                            StreamMessage(
                                subject=msg.subject,
                                msg_id=headers.get("Nats-Msg-Id", ""),
                                data=msg.data,
                                headers=headers,
                            )
                        )
                        await msg.ack()
        await consumer.unsubscribe()
        return messages
    finally:
        await client.close()
