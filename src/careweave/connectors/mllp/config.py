"""MLLP listener settings, counters and the handler contract, kept apart from the machinery."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import msgspec


class PeerInfo(msgspec.Struct, frozen=True):
    """Who sent a frame: the remote address and the listener's connection number."""

    host: str
    port: int
    connection_id: int
    """Increasing number of the connection within this listener (for logs and tracing)."""
    local_port: int = 0
    """The listener's port the connection arrived on."""


MllpHandler = Callable[[bytes, PeerInfo], Awaitable[bytes]]
"""Receives a frame's content (the raw message) and returns the ACK message to send back."""


@dataclass(frozen=True)
class MllpListenerConfig:
    """How an MLLP listener binds, and the limits it enforces on every connection."""

    host: str = "127.0.0.1"
    """Interface to bind; ``0.0.0.0`` listens on all of them."""
    port: int = 2575
    """TCP port; 0 lets the system pick a free one (read it back from ``listener.port``)."""
    max_frame_bytes: int = 1_048_576
    """Largest message accepted; a larger frame is dropped and answered with an AR."""
    read_timeout: float = 30.0
    """Seconds a started frame may take to finish; then it is dropped and the connection closed."""
    idle_timeout: float = 300.0
    """Seconds without any traffic after which a connection is closed."""
    max_connections: int = 256
    """Connections served at once; one more is accepted and closed straight away."""
    shutdown_grace: float = 10.0
    """Seconds ``stop()`` lets in-flight handlers finish before it cancels them."""


class MllpListenerStats(msgspec.Struct):
    """Counters of one listener since it started."""

    connections: int = 0
    """Connections accepted (including those refused for exceeding ``max_connections``)."""
    active: int = 0
    """Connections open now."""
    refused: int = 0
    """Connections closed at once because ``max_connections`` were open."""
    frames: int = 0
    """Complete frames handed to the handler."""
    junk_bytes: int = 0
    """Bytes skipped outside frames, or in frames dropped unfinished."""
    oversized: int = 0
    """Frames dropped for exceeding ``max_frame_bytes``."""
    timeouts: int = 0
    """Connections closed because a started frame did not finish within ``read_timeout``."""
    idle_closed: int = 0
    """Connections closed after ``idle_timeout`` without traffic."""
    handler_errors: int = 0
    """Frames whose handler raised (answered AE)."""
