"""Test helpers for people who build on careweave (and for careweave's own tests).

:class:`RecordingHttpServer` is a real HTTP/1.1 server on a real socket that records every request's
idempotency key, as a downstream system that honours ``Idempotency-Key`` would: a repeated key is
answered like the first and not applied twice. A ``respond`` function decides each answer, so a
test can make the destination fail (503 for 30 s, 400 for one poison message) and recover.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def idempotency_key(self) -> str:
        """The Idempotency-Key header ('' when absent)."""
        return self.headers.get("idempotency-key", "")


Responder = Callable[[RecordedRequest], tuple[int, bytes]]


def accept_all(_request: RecordedRequest) -> tuple[int, bytes]:
    """Answer 200 to everything."""
    return 200, b"ok"


@dataclass
class RecordingHttpServer:
    """An HTTP destination for tests, running its own event loop in a thread."""

    respond: Responder = accept_all
    host: str = "127.0.0.1"
    port: int = 0
    requests: list[RecordedRequest] = field(default_factory=list)
    applied: dict[str, RecordedRequest] = field(default_factory=dict)
    """First successful request per idempotency key: what the downstream system applied."""
    duplicates: int = 0
    """Requests whose key had already been applied (answered, not applied again)."""

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        """Base URL of the server."""
        return f"http://{self.host}:{self.port}"

    def start(self) -> RecordingHttpServer:
        """Start serving in a background thread; returns self."""
        self._thread = threading.Thread(target=self._run, name="recording-http", daemon=True)
        self._thread.start()
        self._ready.wait(10)
        return self

    def stop(self) -> None:
        """Stop serving (connections still open are closed first)."""
        loop = self._loop
        if loop is not None and self._server is not None:
            asyncio.run_coroutine_threadsafe(self._shut_down(), loop).result(10)
            loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> RecordingHttpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def open_connections(self) -> int:
        """Connections being served right now (a killed client's close once its requests are
        read)."""
        return len(self._connections)

    def snapshot(self) -> tuple[list[RecordedRequest], dict[str, RecordedRequest]]:
        """Copies of the requests and the applied map."""
        with self._lock:
            return list(self.requests), dict(self.applied)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._server = loop.run_until_complete(
            asyncio.start_server(self._serve, self.host, self.port, backlog=512)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _shut_down(self) -> None:
        # A connection handler left pending when the loop stops would die with it, mid-close.
        assert self._server is not None
        self._server.close()
        for task in self._connections:
            task.cancel()
        await asyncio.gather(*self._connections, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break
                method, path, _version = line.decode("latin-1").split(" ", 2)
                headers: dict[str, str] = {}
                while (h := await reader.readline()) not in (b"\r\n", b"\n", b""):
                    name, _, value = h.decode("latin-1").partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = RecordedRequest(method, path, headers, body, time.monotonic())
                status, answer = self._record(request)
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Length: {len(answer)}\r\n"
                    "Content-Type: text/plain\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            self._connections.discard(task)
            writer.close()

    def _record(self, request: RecordedRequest) -> tuple[int, bytes]:
        with self._lock:
            self.requests.append(request)
            key = request.idempotency_key
            if key and key in self.applied:
                self.duplicates += 1
                return 200, b"duplicate: already applied"
        status, answer = self.respond(request)
        if 200 <= status < 300 and key:
            with self._lock:
                self.applied.setdefault(key, request)
        return status, answer
