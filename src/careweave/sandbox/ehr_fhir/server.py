"""Serving the simulated EHR FHIR API over real HTTP, in a background thread (tests, demo)."""

from __future__ import annotations

from careweave.sandbox.ehr_fhir.app import EhrFhirSimulator
from careweave.sandbox.serving import SimulatorServer


class EhrFhirServer(SimulatorServer):
    """uvicorn on a loopback port, in its own thread and event loop.

    ``base_url`` is ``http://127.0.0.1:<port>``; the FHIR base is ``{base_url}/fhir`` and the
    token endpoint ``{base_url}/token``.
    """

    def __init__(self, simulator: EhrFhirSimulator, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(
            simulator.app, host, port, name="EHR FHIR simulator", log_config=None, lifespan="off"
        )
        self.simulator = simulator

    @property
    def fhir_base(self) -> str:
        """The FHIR base URL."""
        return f"{self.base_url}/fhir"

    @property
    def token_url(self) -> str:
        """The token endpoint."""
        return f"{self.base_url}/token"
