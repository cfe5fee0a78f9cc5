"""The MLLP listener: many connections, one handler, an ACK per frame, in order.

Each connection is an :class:`asyncio.Protocol` that decodes frames as bytes arrive and a task that
runs the handler for one frame at a time: a frame's ACK is written before the next frame's handler
starts, so a sender sees its messages acknowledged in the order it sent them. Connections never
wait on each other; a stalled or misbehaving one only costs its own timers.

The handler builds every ACK for a message it received (AA/AE/AR after storing it: persist before
you promise). The listener itself only answers what never reached the handler: an oversized or empty
frame gets an AR, and a handler that raised gets an AE with error 207.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import os

from careweave.connectors.mllp.config import (
    MllpHandler,
    MllpListenerConfig,
    MllpListenerStats,
    PeerInfo,
)
from careweave.connectors.mllp.connection import MllpConnection
from careweave.exceptions import ConfigError

__all__ = ["MllpHandler", "MllpListener", "MllpListenerConfig", "MllpListenerStats", "PeerInfo"]

log = logging.getLogger(__name__)


class MllpListener:
    """Serves MLLP on one port and hands every complete frame to ``handler``."""

    def __init__(self, config: MllpListenerConfig, handler: MllpHandler) -> None:
        self.config = config
        self.handler = handler
        self.stats = MllpListenerStats()
        self._server: asyncio.Server | None = None
        self._connections: set[MllpConnection] = set()
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

    def _admit(self, conn: MllpConnection) -> bool:
        """A connection arrived: register it, or say no when the limit is reached."""
        self.stats.connections += 1
        if len(self._connections) >= self.config.max_connections or self._server is None:
            self.stats.refused += 1
            log.warning("MLLP connection refused: %d connections open", len(self._connections))
            return False
        self._connections.add(conn)
        self.stats.active = len(self._connections)
        return True

    def _release(self, conn: MllpConnection) -> None:
        self._connections.discard(conn)
        self.stats.active = len(self._connections)
