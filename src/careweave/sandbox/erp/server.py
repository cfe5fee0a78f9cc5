"""Serving the simulated ERP over real HTTP: in a background thread for tests, or in the foreground."""

from __future__ import annotations

import uvicorn

from careweave.sandbox.erp.app import ErpSimulator
from careweave.sandbox.serving import SimulatorServer


class ErpSimulatorServer(SimulatorServer):
    """Runs a simulator with uvicorn on a free loopback port in a thread.

    ::

        with ErpSimulatorServer(ErpSimulator(config)) as server:
            connector = ErpConnector(ErpConfig(base_url=server.base_url, ...), secret="...")
    """

    def __init__(self, simulator: ErpSimulator, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(simulator.app, host, port, name="ERP simulator", timeout_keep_alive=30)
        self.simulator = simulator


def serve_forever(simulator: ErpSimulator, host: str, port: int, log_level: str = "info") -> None:
    """Serve in the foreground until interrupted (the command-line entry point)."""
    config = uvicorn.Config(
        simulator.app,
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="on",
        timeout_keep_alive=30,
    )
    uvicorn.Server(config).run()
