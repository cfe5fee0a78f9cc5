"""Send a generated feed over real MLLP on N connections, one patient always on the same one.

Interfaces to a real engine preserve order per patient, not globally: a patient's A01 must arrive
before its A03, while two patients' messages may interleave. Each message goes to the connection
``crc32(patient_key) % connections``, which keeps that guarantee and spreads the load.
"""

from __future__ import annotations

import asyncio
import zlib
from collections.abc import Callable, Sequence

import msgspec

from careweave.connectors.mllp import MllpClient, ack_code
from careweave.exceptions import CareweaveError
from careweave.sandbox.ehr.messages import GeneratedMessage

ProgressCallback = Callable[[int, int], None]
"""Called with (messages answered so far, total) after each ACK or failure."""


class SendResult(msgspec.Struct, frozen=True, kw_only=True):
    """What the receiver answered to one message."""

    sequence: int
    control_id: str
    ack_code: str
    """MSA-1 (AA, AE, AR, CA, CE, CR), or empty when no ACK was obtained."""
    error: str = ""
    """Why no ACK was obtained (connection refused, timeout, unreadable ACK)."""
    connection: int = 0


def connection_for(message: GeneratedMessage, connections: int) -> int:
    """The connection (0-based) that carries this message's patient."""
    return zlib.crc32(message.patient_key.encode()) % connections


async def _send_lane(
    lane: int,
    messages: list[GeneratedMessage],
    host: str,
    port: int,
    ack_timeout: float,
    report: Callable[[SendResult], None],
) -> None:
    client = MllpClient(host, port, ack_timeout=ack_timeout)
    try:
        for message in messages:
            try:
                ack = await client.send(message.raw)
                result = SendResult(
                    sequence=message.sequence,
                    control_id=message.control_id,
                    ack_code=ack_code(ack),
                    connection=lane,
                )
            except CareweaveError as exc:
                result = SendResult(
                    sequence=message.sequence,
                    control_id=message.control_id,
                    ack_code="",
                    error=f"{type(exc).__name__}: {exc.message}",
                    connection=lane,
                )
            report(result)
    finally:
        await client.close()


async def send_scenario(
    messages: Sequence[GeneratedMessage],
    host: str,
    port: int,
    connections: int = 4,
    progress: ProgressCallback | None = None,
    *,
    ack_timeout: float = 30.0,
) -> list[SendResult]:
    """Send ``messages`` to ``host:port`` over ``connections`` MLLP connections.

    Returns one :class:`SendResult` per message, in the order of ``messages``. A message whose
    send fails (peer gone, timeout) is reported with an ``error`` and the lane goes on with the
    next message: the simulator records what happened, it does not retry.
    """
    if connections < 1:
        raise ValueError(f"connections must be >= 1, got {connections}")
    lanes: list[list[GeneratedMessage]] = [[] for _ in range(connections)]
    for message in messages:
        lanes[connection_for(message, connections)].append(message)
    results: dict[int, SendResult] = {}
    total = len(messages)

    def report(result: SendResult) -> None:
        results[result.sequence] = result
        if progress is not None:
            progress(len(results), total)

    async with asyncio.TaskGroup() as group:
        for lane, batch in enumerate(lanes):
            if batch:
                group.create_task(_send_lane(lane, batch, host, port, ack_timeout, report))
    return [results[m.sequence] for m in messages]
