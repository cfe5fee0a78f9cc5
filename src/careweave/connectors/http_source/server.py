"""An HTTP source: an ASGI app served by uvicorn inside the engine's event loop.

The engine owns the process's signals, so the embedded server installs no signal handlers;
:meth:`HttpSource.stop` ends it. Binding the socket here lets ``port = 0`` pick a free port and
report it.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from litestar.types import ASGIApp

from careweave.connectors.http_source.config import HttpSourceConfig
from careweave.connectors.tls import ListenerFiles, listener_files
from careweave.exceptions import ConfigError

_STARTUP_SECONDS = 10.0


class _EmbeddedServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The engine process handles SIGINT/SIGTERM and calls stop(); uvicorn must not take them.
        yield


class HttpSource:
    """Serves one channel's HTTP endpoint."""

    def __init__(
        self,
        config: HttpSourceConfig,
        app: ASGIApp,
        *,
        name: str = "http",
        settings_dir: Path | None = None,
    ) -> None:
        """``settings_dir``: where ``config.tls``'s files are (checked now: ConfigError)."""
        self.config = config
        self.app = app
        self.name = name
        self.tls: ListenerFiles | None = None
        if config.tls is not None:
            try:
                self.tls = listener_files(config.tls, settings_dir)
            except ConfigError as exc:
                raise ConfigError(f"{name}: tls: {exc}") from exc
        self.port = config.port
        self._server: _EmbeddedServer | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    @property
    def base_url(self) -> str:
        """``http://host:port`` (``https`` with TLS) of the running endpoint."""
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{self.config.host}:{self.port}"

    async def start(self) -> None:
        """Bind and start serving; returns once the server accepts connections."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.config.host, self.config.port))
        except OSError as exc:
            sock.close()
            raise ConfigError(
                f"{self.name}: cannot listen on {self.config.host}:{self.config.port}: "
                f"{exc.strerror}"
            ) from exc
        self.port = int(sock.getsockname()[1])
        tls: dict[str, Any] = {}
        if self.tls is not None:
            tls = {
                "ssl_certfile": str(self.tls.cert),
                "ssl_keyfile": str(self.tls.key),
                "ssl_ca_certs": str(self.tls.client_ca) if self.tls.client_ca else None,
                "ssl_cert_reqs": ssl.CERT_REQUIRED if self.tls.client_ca else ssl.CERT_NONE,
            }
        config = uvicorn.Config(
            self.app,
            log_config=None,  # careweave configures logging; uvicorn must not replace it
            access_log=False,
            lifespan="off",
            timeout_keep_alive=30,
            **tls,
        )
        server = _EmbeddedServer(config)
        task = asyncio.create_task(server.serve(sockets=[sock]), name=f"http-source-{self.name}")
        deadline = time.monotonic() + _STARTUP_SECONDS
        while not server.started:
            if task.done() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise ConfigError(f"{self.name}: the HTTP source did not start on port {self.port}")
            await asyncio.sleep(0.01)
        self._server, self._task, self._socket = server, task, sock

    async def stop(self) -> None:
        """Stop accepting, finish requests in flight, close the socket."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except TimeoutError:
                self._server.force_exit = True
                await self._task
        if self._socket is not None:
            self._socket.close()
        self._server = self._task = self._socket = None
