"""Deliver a generated feed until every message is answered, as an EHR's interface engine does.

Like :func:`~careweave.sandbox.ehr.sender.send_scenario`, messages go on N MLLP connections, one
patient always on the same one, stop-and-wait. Unlike it, a connection error (refused, reset,
timed out, an unreadable ACK) does not skip the message: the lane reconnects with backoff and sends
it again, then goes on in order, so every message not yet acknowledged is re-sent and a patient's
messages still arrive in order. A receiver that stored the first copy recognises the second by its
MSH-10 (careweave's listener does). Any acknowledgement code counts as an answer: an AE or AR means
the engine stored the message and refused it, which is what the deliberately malformed ones get.

The sender gives up when no message at all has been answered for ``patience`` seconds.
"""

from __future__ import annotations

import asyncio
import collections
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import msgspec

from careweave.connectors.mllp import MllpClient, ack_code
from careweave.engine.clock import Clock, SystemClock
from careweave.exceptions import CareweaveError
from careweave.sandbox.ehr.messages import GeneratedMessage
from careweave.sandbox.ehr.sender import ProgressCallback, connection_for

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class ResendPolicy:
    """How long to wait between attempts and when to give up."""

    patience: float = 120.0
    """Seconds without a single answer after which the sender gives up."""
    initial_backoff: float = 0.2
    """Seconds before the first reconnection; doubled after each failure in a row."""
    max_backoff: float = 5.0
    """Longest wait between two attempts."""
    ack_timeout: float = 30.0
    """Seconds to wait for one message's ACK before the connection counts as broken."""
    connect_timeout: float = 5.0
    """Seconds to open a connection."""
    pace: float = 0.0
    """Seconds between two messages on one connection (0: the next goes as soon as one is
    answered). A paced day lasts long enough to stop and restart an engine in the middle of it."""


class FeedReport(msgspec.Struct, frozen=True, kw_only=True):
    """What became of a feed."""

    total: int
    answers: dict[str, int]
    """How many messages got each acknowledgement code (AA, AE, AR...)."""
    resent: int
    """Messages sent again after a connection broke once they were written (the MLLP client's own
    immediate reconnection on a connection found closed is not counted)."""
    last_error: str = ""
    """The last connection error met, if any."""

    @property
    def answered(self) -> int:
        """Messages that got an acknowledgement."""
        return sum(self.answers.values())

    @property
    def complete(self) -> bool:
        """Whether every message was answered."""
        return self.answered == self.total

    def summary(self) -> str:
        """One line: sent, answered by code, resent."""
        codes = {"AA": 0, "AE": 0, "AR": 0, **self.answers}
        by_code = ", ".join(f"{code} {n}" for code, n in sorted(codes.items()))
        return f"sent {self.total}, answered {self.answered} ({by_code}), resent {self.resent}" + (
            "" if self.complete else f", unanswered {self.total - self.answered}"
        )


@dataclass
class _Progress:
    total: int
    clock: Clock
    callback: ProgressCallback | None
    answers: collections.Counter[str] = field(default_factory=collections.Counter)
    resent: int = 0
    last_error: str = ""
    gave_up: bool = False
    last_answer: float = 0.0

    def answer(self, code: str, resent: bool) -> None:
        self.answers[code] += 1
        self.resent += resent
        self.last_answer = self.clock.monotonic()
        if self.callback is not None:
            self.callback(sum(self.answers.values()), self.total)

    def patience_left(self, patience: float) -> float:
        """Seconds of patience left (0 when the sender must give up)."""
        return max(0.0, patience - (self.clock.monotonic() - self.last_answer))


async def _lane(
    messages: list[GeneratedMessage],
    host: str,
    port: int,
    policy: ResendPolicy,
    progress: _Progress,
    sleep: Sleep,
) -> None:
    client = MllpClient(
        host, port, ack_timeout=policy.ack_timeout, connect_timeout=policy.connect_timeout
    )
    backoff = policy.initial_backoff
    try:
        for message in messages:
            resending = False  # an earlier attempt wrote the message: the receiver may hold it
            while True:
                if progress.gave_up:
                    return
                connected = False
                try:
                    await client.connect()
                    connected = True
                    code = ack_code(await client.send(message.raw))
                except CareweaveError as exc:
                    resending = resending or connected
                    progress.last_error = f"{type(exc).__name__}: {exc.message}"
                    await client.close()
                    left = progress.patience_left(policy.patience)
                    if left <= 0:
                        progress.gave_up = True
                        return
                    await sleep(min(backoff, left))
                    backoff = min(backoff * 2, policy.max_backoff)
                    continue
                backoff = policy.initial_backoff
                progress.answer(code, resent=resending)
                if policy.pace > 0:
                    await sleep(policy.pace)
                break
    finally:
        await client.close()


async def deliver_feed(
    messages: Sequence[GeneratedMessage],
    host: str,
    port: int,
    connections: int = 4,
    progress: ProgressCallback | None = None,
    *,
    policy: ResendPolicy | None = None,
    clock: Clock | None = None,
    sleep: Sleep = asyncio.sleep,
) -> FeedReport:
    """Send ``messages`` to ``host:port`` on ``connections`` lanes until each is answered.

    Returns when every message is answered, or when none was for ``policy.patience`` seconds
    (``FeedReport.complete`` is then False). ``clock`` and ``sleep`` are for tests.
    """
    if connections < 1:
        raise ValueError(f"connections must be >= 1, got {connections}")
    policy = policy or ResendPolicy()
    state = _Progress(total=len(messages), clock=clock or SystemClock(), callback=progress)
    state.last_answer = state.clock.monotonic()
    lanes: list[list[GeneratedMessage]] = [[] for _ in range(connections)]
    for message in messages:
        lanes[connection_for(message, connections)].append(message)
    async with asyncio.TaskGroup() as group:
        for batch in lanes:
            if batch:
                group.create_task(_lane(batch, host, port, policy, state, sleep))
    return FeedReport(
        total=len(messages),
        answers=dict(sorted(state.answers.items())),
        resent=state.resent,
        last_error=state.last_error,
    )
