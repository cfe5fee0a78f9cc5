"""The MLLP listener: many connections, one handler, an ACK per frame, in order.

Each connection is an :class:`asyncio.Protocol` that decodes frames as bytes arrive and a task that
runs the handler for one frame at a time: a frame's ACK is written before the next frame's handler
starts, so a sender sees its messages acknowledged in the order it sent them. Connections never
wait on each other; a stalled or misbehaving one only costs its own timers.

The handler builds every ACK for a message it received (AA/AE/AR after storing it: persist before
you promise). The listener itself only answers what never reached the handler: an oversized or empty
frame gets an AR, and a handler that raised gets an AE with error 207.

Nothing is dropped silently: what arrived of a frame that never completed (interrupted by a new
start block, cut by the end of the stream or by the read timeout) or that exceeded the size limit
goes to the optional fragment handler with its reason, before the oversized one is answered.

Limits hold per connection (frame size, read and idle timeouts), per remote address
(``max_connections_per_peer``) and in total (``max_connections``); with ``tls`` set, each
connection's TLS handshake runs once it is admitted, and a failed one is counted and logged with
the peer's address.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os
from collections import Counter

from careweave.connectors.mllp.config import (
    MllpFragmentHandler,
    MllpHandler,
    MllpListenerConfig,
    MllpListenerStats,
    PeerInfo,
)
from careweave.connectors.mllp.connection import MllpConnection
from careweave.exceptions import ConfigError

__all__ = [
    "MllpFragmentHandler",
    "MllpHandler",
    "MllpListener",
    "MllpListenerConfig",
    "MllpListenerStats",
    "PeerInfo",
]

log = logging.getLogger(__name__)


class MllpListener:
    """Serves MLLP on one port and hands every complete frame to ``handler``.

    ``fragments``: where frames that never completed or exceeded the size limit go, with their
    reason (None: they are only counted and logged).
    """

    def __init__(
        self,
        config: MllpListenerConfig,
        handler: MllpHandler,
        *,
        fragments: MllpFragmentHandler | None = None,
    ) -> None:
        self.config = config
        self.handler = handler
        self.fragments = fragments
        self.stats = MllpListenerStats()
        self._server: asyncio.Server | None = None
        self._connections: set[MllpConnection] = set()
        self._per_peer: Counter[str] = Counter()
        self._at_limit: set[str] = set()  # addresses (and "" for the total) refused since full
        self._ids = itertools.count(1)
        self._port = config.port

    @property
    def port(self) -> int:
        """The port actually bound (differs from the config when it asked for port 0)."""
        return self._port

    @property
    def serving(self) -> bool:
        """True between ``start()`` and ``stop()``."""
        return self._server is not None

    async def start(self) -> None:
        """Bind and start accepting connections."""
        if self._server is not None:
            return
        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                lambda: MllpConnection(self, next(self._ids)),
                self.config.host,
                self.config.port,
                reuse_address=True,
            )
        except OSError as exc:
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise ConfigError(
                f"cannot listen for MLLP on {self.config.host}:{self.config.port}: {reason}"
            ) from exc
        self._port = self._server.sockets[0].getsockname()[1]
        log.info("MLLP listener on %s:%d", self.config.host, self._port)

    async def stop(self, grace: float | None = None) -> None:
        """Stop accepting, let in-flight handlers finish (up to ``grace`` seconds), then close.

        Frames received but not yet handled are dropped without an ACK: nothing was promised for
        them, so their senders will send them again.
        """
        server, self._server = self._server, None
        if server is None:
            return
        server.close()
        grace = self.config.shutdown_grace if grace is None else grace
        tasks = [conn.shutdown() for conn in list(self._connections)]
        if tasks:
            _, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()
            if pending:
                log.warning("MLLP listener cancelled %d handler(s) after the grace", len(pending))
                await asyncio.wait(pending)
        await server.wait_closed()
        log.info("MLLP listener on port %d stopped", self._port)

    async def __aenter__(self) -> MllpListener:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def _admit(self, conn: MllpConnection, host: str, port: int) -> bool:
        """A connection arrived from ``host``: register it, or say no when a limit is reached."""
        self.stats.connections += 1
        config, open_now = self.config, len(self._connections)
        if self._server is None:
            self.stats.refused += 1
            return False
        if open_now >= config.max_connections:
            self.stats.refused += 1
            self._refusal(host, port, f"{open_now} connections open", "")
            return False
        if self._per_peer[host] >= config.max_connections_per_peer:
            self.stats.refused += 1
            self._refusal(host, port, f"{self._per_peer[host]} open from that address", host)
            return False
        self._connections.add(conn)
        self._per_peer[host] += 1
        self.stats.active = len(self._connections)
        return True

    def _refusal(self, host: str, port: int, why: str, limit: str) -> None:
        """Log a refusal: a warning when ``limit`` ("" for the total) is first reached, then
        debug lines until a slot frees, so that a flooding peer cannot flood the log too."""
        level = logging.DEBUG if limit in self._at_limit else logging.WARNING
        self._at_limit.add(limit)
        log.log(level, "MLLP connection from %s:%d refused: %s", host, port, why)

    def _release(self, conn: MllpConnection, host: str) -> None:
        """A connection closed (called once per admitted connection; others are ignored)."""
        if conn not in self._connections:
            return
        self._connections.discard(conn)
        self._per_peer[host] -= 1
        if self._per_peer[host] <= 0:
            del self._per_peer[host]
        self._at_limit.discard(host)
        self._at_limit.discard("")
        self.stats.active = len(self._connections)
