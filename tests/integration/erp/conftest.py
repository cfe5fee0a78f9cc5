"""A simulated ERP served over real HTTP on a free loopback port, per test."""

from collections.abc import Callable, Iterator

import pytest

from careweave.sandbox.erp import ErpSimulator, ErpSimulatorConfig, ErpSimulatorServer


class ManualClock:
    """A clock the test moves; the server thread reads it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def serve_erp() -> Iterator[Callable[..., ErpSimulatorServer]]:
    """Start simulators (``serve_erp(config, clock=...)``); all are stopped after the test."""
    servers: list[ErpSimulatorServer] = []

    def start(
        config: ErpSimulatorConfig | None = None, clock: Callable[[], float] | None = None
    ) -> ErpSimulatorServer:
        simulator = ErpSimulator(config, clock=clock) if clock else ErpSimulator(config)
        server = ErpSimulatorServer(simulator)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
