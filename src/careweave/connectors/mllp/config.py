"""MLLP listener settings, counters and the handler contract, kept apart from the machinery."""

from __future__ import annotations

import ssl
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

MllpFragmentHandler = Callable[[bytes, str, PeerInfo], Awaitable[None]]
"""Stores what arrived of a frame that cannot be handled as a message, with the reason.

Called with the bytes that arrived (at most ``max_frame_bytes``) and a one-line reason for a frame
interrupted by a new start block, one the stream ended inside, one that did not finish within
``read_timeout``, and one larger than ``max_frame_bytes``. The listener answers the oversized one
(AR) only once this returns: persist before you promise. Raising is logged and, for the oversized
frame, answered AE instead."""


@dataclass(frozen=True)
class MllpListenerConfig:
    """How an MLLP listener binds, and the limits it enforces on every connection."""

    host: str = "127.0.0.1"
    """Interface to bind; ``0.0.0.0`` listens on all of them."""
    port: int = 2575
    """TCP port; 0 lets the system pick a free one (read it back from ``listener.port``)."""
    max_frame_bytes: int = 1_048_576
    """Largest message accepted; a larger frame is answered with an AR (its first
    ``max_frame_bytes`` bytes go to the fragment handler)."""
    read_timeout: float = 30.0
    """Seconds a started frame may take to finish (then the connection is closed), and a TLS
    handshake too."""
    idle_timeout: float = 300.0
    """Seconds without a complete frame after which a connection is closed: bytes that do not
    complete a frame (junk, a trickle) do not keep a connection open."""
    max_connections: int = 256
    """Connections served at once; one more is accepted and closed straight away."""
    max_connections_per_peer: int = 64
    """Connections served at once from one remote address, so that one peer holding idle
    connections cannot take every slot; one more from that address is closed straight away."""
    tls: ssl.SSLContext | None = None
    """Server-side TLS (see :mod:`careweave.connectors.tls`); None serves plain TCP. A context
    that requires client certificates makes it mutual TLS."""
    shutdown_grace: float = 10.0
    """Seconds ``stop()`` lets in-flight handlers finish before it cancels them."""


class MllpListenerStats(msgspec.Struct):
    """Counters of one listener since it started."""

    connections: int = 0
    """Connections accepted (including those refused for exceeding ``max_connections``)."""
    active: int = 0
    """Connections open now."""
    refused: int = 0
    """Connections closed at once because ``max_connections`` (or ``max_connections_per_peer``
    from that address) were open."""
    tls_refused: int = 0
    """Connections closed because their TLS handshake failed (no or a wrong client certificate,
    plain TCP to a TLS port) or did not finish within ``read_timeout``."""
    frames: int = 0
    """Complete frames handed to the handler."""
    junk_bytes: int = 0
    """Bytes skipped outside frames."""
    fragments: int = 0
    """Frames that never completed (interrupted, cut by the end of the stream or the read timeout)
    or exceeded ``max_frame_bytes``, handed to the fragment handler."""
    oversized: int = 0
    """Frames that exceeded ``max_frame_bytes``."""
    timeouts: int = 0
    """Connections closed because a started frame did not finish within ``read_timeout``."""
    idle_closed: int = 0
    """Connections closed after ``idle_timeout`` without a complete frame."""
    handler_errors: int = 0
    """Frames whose handler raised (answered AE)."""
