"""Serve a simulator's ASGI app over real HTTP with uvicorn, in a background thread.

Every simulator (EHR FHIR, revenue-cycle platform, clearinghouse, cloud ERP) runs this way in tests
and in the demo: a real socket on loopback, a free port by default.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from types import TracebackType
from typing import Any, Self

import uvicorn

from careweave.exceptions import ConfigError


class SimulatorServer:
    """Runs *app* on a loopback port (a free one by default) in a daemon thread.

    ::

        with SimulatorServer(RcmSimulator().app) as server:
            httpx.get(f"{server.base_url}/api/accounts")
    """

    def __init__(
        self,
        app: Any,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "simulator",
        **uvicorn_options: Any,
    ) -> None:
        self.app = app
        self._host, self._port, self._name = host, port, name
        # log_config None: uvicorn keeps careweave's logging (JSON lines when so configured)
        # instead of installing plain-text handlers of its own.
        self._options = {
            "log_level": "warning",
            "log_config": None,
            "lifespan": "on",
            **uvicorn_options,
        }
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = port
        self.base_url = ""

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; return the base URL (``http://127.0.0.1:<port>``)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._host, self._port))
        except OSError as exc:
            sock.close()
            reason = os.strerror(exc.errno) if exc.errno else str(exc)
            raise ConfigError(
                f"the {self._name} cannot listen on {self._host}:{self._port}: {reason}"
            ) from exc
        port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, access_log=False, **self._options)
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"{self._name}-{port}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise ConfigError(f"the {self._name} did not start on {self._host}:{port}")
            time.sleep(0.01)
        self._server, self._thread = server, thread
        self.port = int(port)
        self.base_url = f"http://{self._host}:{port}"
        return self.base_url

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
