"""Serving the simulated ERP over real HTTP: in a background thread for tests, or in the foreground."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from careweave.exceptions import ConfigError
from careweave.sandbox.erp.app import ErpSimulator


def _uvicorn_config(simulator: ErpSimulator, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        simulator.app, log_level=log_level, access_log=False, lifespan="on", timeout_keep_alive=30
    )


class ErpSimulatorServer:
    """Runs a simulator with uvicorn on a free loopback port in a thread.

    ::

        with ErpSimulatorServer(ErpSimulator(config)) as server:
            connector = ErpConnector(ErpConfig(base_url=server.base_url, ...))
    """

    def __init__(self, simulator: ErpSimulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = simulator
        self._host = host
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    def start(self, timeout: float = 10.0) -> str:
        """Start serving and return the base URL (``http://127.0.0.1:<port>``)."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self._host, self._port))
        port = sock.getsockname()[1]
        server = uvicorn.Server(_uvicorn_config(self.simulator, "warning"))
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"erp-simulator-{port}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise ConfigError(f"the ERP simulator did not start on {self._host}:{port}")
            time.sleep(0.01)
        self._server, self._thread = server, thread
        self.base_url = f"http://{self._host}:{port}"
        return self.base_url

    def stop(self) -> None:
        """Stop serving and wait for the thread to end."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> ErpSimulatorServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(simulator: ErpSimulator, host: str, port: int, log_level: str = "info") -> None:
    """Serve in the foreground until interrupted (the command-line entry point)."""
    config = _uvicorn_config(simulator, log_level)
    config.host, config.port = host, port
    uvicorn.Server(config).run()
