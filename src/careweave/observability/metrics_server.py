"""``GET /metrics`` on a port of the engine's own (``[metrics] port``), in the engine's event loop.

Not prometheus-client's ``start_http_server``: that serves from a thread, and the gauges read
from the store at scrape time need the engine's loop (the store is asyncio). A scrape is one short
HTTP/1.0-style exchange (the connection is closed after the answer), which is all Prometheus needs.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from careweave.observability.metrics import Metrics

log = structlog.get_logger("careweave.metrics")

_READ_TIMEOUT = 10.0
_MAX_HEADER = 16_384


class MetricsServer:
    """Serves one :class:`Metrics` at ``GET /metrics``."""

    def __init__(self, metrics: Metrics, host: str = "127.0.0.1", port: int = 0) -> None:
        self.metrics = metrics
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        """Bind and serve (``port`` 0 picks a free port, then reads it back)."""
        self._server = await asyncio.start_server(self._handle, self.host, self.port)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        """Stop serving."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(_READ_TIMEOUT):
                head = await reader.readuntil(b"\r\n\r\n")
            status, body, content_type = await self._answer(head)
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            status, body, content_type = "400 Bad Request", b"bad request\n", "text/plain"
        except Exception as exc:  # a failing scrape must not end the server
            log.error("metrics scrape failed", error=f"{type(exc).__name__}: {exc}")
            status, body, content_type = "500 Internal Server Error", b"error\n", "text/plain"
        writer.write(
            f"HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode("ascii")
            + body
        )
        with contextlib.suppress(ConnectionError):
            await writer.drain()
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()

    async def _answer(self, head: bytes) -> tuple[str, bytes, str]:
        if len(head) > _MAX_HEADER:
            return "431 Request Header Fields Too Large", b"", "text/plain"
        method, _, rest = head.split(b"\r\n", 1)[0].decode("latin-1").partition(" ")
        path = rest.split(" ", 1)[0].split("?", 1)[0]
        if path != "/metrics":
            return "404 Not Found", b"not found: try /metrics\n", "text/plain"
        if method not in {"GET", "HEAD"}:
            return "405 Method Not Allowed", b"", "text/plain"
        body, content_type = await self.metrics.scrape()
        return "200 OK", body if method == "GET" else b"", content_type
