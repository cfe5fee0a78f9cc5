"""MLLP, the HL7 v2 transport: framing, the listener (source) and the client (sender).

::

    listener = MllpListener(MllpListenerConfig(port=0), handler)
    await listener.start()
    async with MllpClient("127.0.0.1", listener.port) as client:
        ack = await client.send(message)
        assert ack_code(ack) == "AA"
"""

from careweave.connectors.mllp.client import MllpClient, ack_code
from careweave.connectors.mllp.config import (
    MllpFragmentHandler,
    MllpHandler,
    MllpListenerConfig,
    MllpListenerStats,
    PeerInfo,
)
from careweave.connectors.mllp.framing import (
    FrameReader,
    FramingProblem,
    ProblemKind,
    frame,
)
from careweave.connectors.mllp.listener import MllpListener

__all__ = [
    "FrameReader",
    "FramingProblem",
    "MllpClient",
    "MllpFragmentHandler",
    "MllpHandler",
    "MllpListener",
    "MllpListenerConfig",
    "MllpListenerStats",
    "PeerInfo",
    "ProblemKind",
    "ack_code",
    "frame",
]
