"""Serving the simulated EHR FHIR API over real HTTP, in a background thread (tests, demo)."""

from __future__ import annotations

import socket
import threading
import time
from types import TracebackType

import uvicorn

from careweave.exceptions import ConfigError
from careweave.sandbox.ehr_fhir.app import EhrFhirSimulator


class EhrFhirServer:
    """uvicorn on a loopback port, in its own thread and event loop.

    ``base_url`` is ``http://127.0.0.1:<port>``; the FHIR base is ``{base_url}/fhir`` and the
    token endpoint ``{base_url}/token``.
    """

    def __init__(self, simulator: EhrFhirSimulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = simulator
        self.host = host
        self.port = port
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def fhir_base(self) -> str:
        """The FHIR base URL."""
        return f"{self.base_url}/fhir"

    @property
    def token_url(self) -> str:
        """The token endpoint."""
        return f"{self.base_url}/token"

    def start(self, timeout: float = 10.0) -> str:
        """Start serving; returns the base URL."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = int(sock.getsockname()[1])
        config = uvicorn.Config(
            self.simulator.app, log_config=None, access_log=False, lifespan="off"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"ehr-fhir-{self.port}", daemon=True
        )
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                sock.close()
                raise ConfigError(f"the EHR FHIR simulator did not start on port {self.port}")
            time.sleep(0.01)
        self._server, self._thread = server, thread
        self.base_url = f"http://{self.host}:{self.port}"
        return self.base_url

    def stop(self) -> None:
        """Stop serving and wait for the thread."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> EhrFhirServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
