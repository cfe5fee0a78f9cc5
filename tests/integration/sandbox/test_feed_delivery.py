"""``deliver_feed``: a simulated day over real MLLP sockets until every message is answered.

The receiver here is a small MLLP server that can drop connections without answering and answers
AR to the messages it is told are damaged. Time is a manual clock; waiting between attempts
advances it instead of sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from careweave.connectors.mllp import FrameReader, frame
from careweave.engine.clock import ManualClock
from careweave.sandbox.ehr.delivery import ResendPolicy, deliver_feed
from careweave.sandbox.health_system import simulated_day
from tests.integration.engine.helpers import free_port


@dataclass
class Receiver:
    """Answers AA (AR to ``damaged``), after dropping the first ``drops`` frames unanswered."""

    drops: int = 0
    damaged: Collection[bytes] = ()
    received: list[bytes] = field(default_factory=list)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        frames = FrameReader()
        try:
            while data := await reader.read(65536):
                for item in frames.feed(data):
                    assert isinstance(item, bytes)
                    self.received.append(item)
                    if self.drops:
                        self.drops -= 1
                        writer.close()
                        return
                    code = "AR" if item in self.damaged else "AA"
                    writer.write(
                        frame(f"MSH|^~\\&|CW|CW|||20250303||ACK|1|P|2.5.1\rMSA|{code}|1\r".encode())
                    )
                    await writer.drain()
        finally:
            writer.close()


@asynccontextmanager
async def listening(receiver: Receiver) -> AsyncIterator[int]:
    server = await asyncio.start_server(receiver.serve, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()


POLICY = ResendPolicy(patience=5.0, initial_backoff=0.2, max_backoff=1.0)


class ManualTime:
    """A manual clock and a sleep that advances it."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.clock.advance(seconds)
        await asyncio.sleep(0)


async def test_a_connection_broken_mid_feed_is_reopened_and_the_message_resent() -> None:
    messages = simulated_day(1, 5, malformed_rate=0.0).messages
    receiver = Receiver(drops=2)  # the MLLP client re-opens once by itself; the second is ours
    time = ManualTime()
    async with listening(receiver) as port:
        report = await deliver_feed(
            messages, "127.0.0.1", port, 1, policy=POLICY, clock=time.clock, sleep=time.sleep
        )
    assert report.complete and report.answers == {"AA": len(messages)}
    assert report.resent == 1 and time.slept == [0.2]
    assert "broken" in report.last_error
    first = messages[0].raw
    assert receiver.received[:3] == [first, first, first]
    assert receiver.received[3:] == [m.raw for m in messages[1:]], "the rest in order, once each"


async def test_negative_acks_count_as_answers() -> None:
    day = simulated_day(2, 20, malformed_rate=0.1)
    damaged = {m.raw for m in day.messages if m.malformed}
    assert damaged
    receiver = Receiver(damaged=damaged)
    done: list[int] = []
    async with listening(receiver) as port:
        report = await deliver_feed(
            day.messages, "127.0.0.1", port, 3, lambda n, _total: done.append(n)
        )
    assert report.complete and report.resent == 0
    assert report.answers == {"AA": len(day.messages) - len(damaged), "AR": len(damaged)}
    assert done == list(range(1, len(day.messages) + 1))
    assert report.summary() == (
        f"sent {len(day.messages)}, answered {len(day.messages)} "
        f"(AA {len(day.messages) - len(damaged)}, AE 0, AR {len(damaged)}), resent 0"
    )


async def test_it_gives_up_after_its_patience_without_an_answer() -> None:
    messages = simulated_day(1, 5).messages
    time = ManualTime()
    start = time.clock.monotonic()
    async with asyncio.timeout(30):  # the manual clock runs out of patience at once
        report = await deliver_feed(
            messages, "127.0.0.1", free_port(), 1, policy=POLICY, clock=time.clock, sleep=time.sleep
        )
    assert not report.complete and report.answered == 0 and report.resent == 0
    assert "failed" in report.last_error, report.last_error
    assert report.summary().endswith(f"unanswered {len(messages)}")
    assert time.clock.monotonic() - start == POLICY.patience, "it waited its patience, no more"
    assert time.slept[:4] == [0.2, 0.4, 0.8, 1.0], "the backoff doubles up to its cap"
