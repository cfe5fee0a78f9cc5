"""The simulators a settings file points at, each on the address the settings name.

``careweave sandbox serve --config FILE`` runs this: for every destination whose ``http://`` URL
is on a loopback address, the simulator of its connector type (``rcm``: the revenue-cycle platform,
``erp``: the cloud ERP, ``http``: an endpoint that accepts and counts what it is sent), and for a
channel whose FHIR source reads an EHR on loopback, the EHR FHIR simulator. The ERP is seeded with
the settings' own master data (items, locations, opening on-hand), so its books can be compared with
careweave's. Each simulator's ``GET /admin/state`` (ERP, HTTP endpoint) or API (the revenue-cycle
platform's ``GET /api/charges``) shows what it received.

::

    with SandboxStack(plan_simulators(settings), masterdata=masterdata) as stack:
        ...   # every simulator is listening
"""

from __future__ import annotations

import collections
import ipaddress
import json
import threading
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, Literal, Self, get_args
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from litestar import Litestar, Request, get, route

from careweave.config import MllpSourceConfig, Settings
from careweave.connectors.erp import ErpConfig
from careweave.connectors.fhir_client.config import FhirClientConfig
from careweave.connectors.fhir_client.smart import load_private_key
from careweave.connectors.http import HttpDestinationConfig
from careweave.connectors.http_source.config import HttpSourceConfig
from careweave.connectors.rcm import RcmDestinationConfig
from careweave.exceptions import ConfigError
from careweave.masterdata.files import MasterData
from careweave.sandbox.ehr_fhir import EhrFhirServer, EhrFhirSimulator, seed_cardiology
from careweave.sandbox.erp import ErpSimulator, ErpSimulatorConfig, ErpSimulatorServer, ErpState
from careweave.sandbox.erp.config import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET
from careweave.sandbox.erp.records import ItemRecord, LocationKind, LocationRecord
from careweave.sandbox.erp.wire import InventoryTransactionIn
from careweave.sandbox.rcm import RcmSimulator
from careweave.sandbox.serving import SimulatorServer

SimulatorKind = Literal["revenue-cycle", "erp", "http", "ehr-fhir"]
LABELS: dict[SimulatorKind, str] = {
    "revenue-cycle": "revenue-cycle platform simulator",
    "erp": "cloud ERP simulator",
    "http": "HTTP endpoint",
    "ehr-fhir": "EHR FHIR simulator",
}
FHIR_CASES = 20
"""Cardiology cases the EHR FHIR simulator serves."""


@dataclass(frozen=True)
class SimulatorSpec:
    """One simulator to run: what, where, and for which destinations or channels."""

    kind: SimulatorKind
    host: str
    port: int
    users: tuple[str, ...]
    """``destination <name>`` / ``channel <name>``: what in the settings points at it."""
    erp: tuple[ErpConfig, ...] = ()
    """For the ERP: the connectors that call it (their client ids and rate limits)."""
    fhir: FhirClientConfig | None = None
    """For the EHR FHIR simulator: the client that reads it (its token URL and key)."""

    @property
    def label(self) -> str:
        """What it is, for people."""
        return LABELS[self.kind]


def loopback_address(url: str) -> tuple[str, int] | None:
    """``(host, port)`` of an ``http://`` URL on a loopback address, else None."""
    parts = urlsplit(url)
    host = parts.hostname
    if parts.scheme != "http" or not host:
        return None
    if host != "localhost":
        try:
            if not ipaddress.ip_address(host).is_loopback:
                return None
        except ValueError:
            return None
    return host, parts.port or 80


def plan_simulators(settings: Settings) -> list[SimulatorSpec]:
    """The simulators the settings point at, by port; ConfigError when two need one address."""
    listening = {
        (c.source.host, c.source.port)
        for c in settings.channels
        if isinstance(c.source, MllpSourceConfig | HttpSourceConfig)
    }
    specs: dict[tuple[str, int], SimulatorSpec] = {}

    def add(kind: SimulatorKind, url: str, user: str, **extra: Any) -> None:
        address = loopback_address(url)
        if address is None or address in listening:  # not ours, or careweave's own listener
            return
        spec = specs.get(address)
        if spec is None:
            specs[address] = SimulatorSpec(kind, *address, (user,), **extra)
            return
        if spec.kind != kind:
            raise ConfigError(
                f"{user} and {spec.users[0]} point at {address[0]}:{address[1]}, "
                f"but need different simulators ({kind}, {spec.kind})"
            )
        specs[address] = replace(
            spec, users=(*spec.users, user), erp=spec.erp + extra.get("erp", ())
        )

    for channel in settings.channels:
        if isinstance(channel.source, HttpSourceConfig) and channel.source.ehr is not None:
            ehr = channel.source.ehr
            add("ehr-fhir", ehr.base_url, f"channel {channel.name}", fhir=ehr)
        for destination in channel.destinations:
            connector, user = destination.connector, f"destination {destination.name}"
            if isinstance(connector, RcmDestinationConfig):
                add("revenue-cycle", connector.base_url, user)
            elif isinstance(connector, ErpConfig):
                add("erp", connector.base_url, user, erp=(connector,))
            elif isinstance(connector, HttpDestinationConfig):
                add("http", connector.url, user)
    return sorted(specs.values(), key=lambda s: (s.port, s.host))


def seed_erp_master_data(state: ErpState, masterdata: MasterData) -> None:
    """The ERP's item master, locations and opening stock, as the settings' master data has them."""
    items = masterdata.crosswalk.items() if masterdata.crosswalk is not None else []
    for item in items:
        state.put_item(
            ItemRecord(
                item.item_number, item.description, item.uom, item.standard_cost, item.gtin,
                item.manufacturer, item.catalog_number, item.consigned,
            )
        )  # fmt: skip
    kinds: tuple[str, ...] = get_args(LocationKind)
    locations = masterdata.locations.locations() if masterdata.locations is not None else []
    for loc in locations:
        kind: Any = loc.kind if loc.kind in kinds else "other"
        state.add_location(
            LocationRecord(loc.location_id, loc.location_id, kind, loc.facility, loc.entity)
        )
    known = {loc.location_id for loc in locations}
    for (location, item_number), quantity in sorted(masterdata.opening_stock.items()):
        if quantity > 0 and location in known and state.item(item_number) is not None:
            state.record_transaction(
                InventoryTransactionIn(
                    "receipt", item_number, location, quantity, reference="opening"
                )
            )


class HttpEndpoint:
    """Stands in for an HTTP destination: answers 200 to every POST and PUT, counts them by path."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.received: collections.Counter[str] = collections.Counter()
        endpoint = self

        @route(["/", "/{path:path}"], http_method=["POST", "PUT"], status_code=200)
        async def receive(request: Request[Any, Any, Any]) -> dict[str, str]:
            await request.body()
            with endpoint._lock:
                endpoint.received[request.url.path] += 1
            return {"status": "received"}

        @get("/admin/state")
        async def admin_state() -> dict[str, Any]:
            with endpoint._lock:
                return {"received": dict(endpoint.received)}

        self.app = Litestar(route_handlers=[receive, admin_state], logging_config=None)


def _fhir_simulator(config: FhirClientConfig) -> EhrFhirSimulator:
    """An EHR FHIR simulator that knows ``config``'s client (open when it names no token URL)."""
    simulator = EhrFhirSimulator(require_auth=bool(config.token_url))
    if config.token_url:
        key = load_private_key(config.private_key_path)
        if isinstance(key, EllipticCurvePrivateKey):
            jwk = json.loads(ECAlgorithm.to_jwk(key.public_key()))
        else:
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
        jwk.update({"kid": config.key_id, "alg": config.algorithm, "use": "sig"})
        simulator.tokens.register(config.client_id, {"keys": [jwk]})
    seed_cardiology(simulator.resources, FHIR_CASES)
    return simulator


@dataclass
class SandboxStack:
    """Runs the simulators of ``specs`` (each in its own thread) until stopped."""

    specs: list[SimulatorSpec]
    masterdata: MasterData | None = None
    """What the ERP is seeded with (items, locations, opening on-hand)."""
    servers: list[tuple[SimulatorSpec, SimulatorServer]] = field(default_factory=list)
    """The running simulators, in start order."""

    def _server(self, spec: SimulatorSpec) -> SimulatorServer:
        if spec.kind == "revenue-cycle":
            return SimulatorServer(RcmSimulator().app, spec.host, spec.port, name=spec.label)
        if spec.kind == "erp":
            clients = {DEMO_CLIENT_ID: DEMO_CLIENT_SECRET}
            clients |= {c.client_id: DEMO_CLIENT_SECRET for c in spec.erp}
            # The ERP allows what its clients are configured to use; a client keeping to its
            # own limit is never refused, one configured above it meets the ERP's 429s.
            config = ErpSimulatorConfig(
                clients=clients,
                rate_limit=max(c.rate_limit for c in spec.erp),
                rate_burst=max(2 * c.rate_burst for c in spec.erp),
            )
            erp = ErpSimulator(config)
            if self.masterdata is not None:
                seed_erp_master_data(erp.state, self.masterdata)
            return ErpSimulatorServer(erp, spec.host, spec.port)
        if spec.kind == "http":
            return SimulatorServer(HttpEndpoint().app, spec.host, spec.port, name=spec.label)
        assert spec.fhir is not None
        return EhrFhirServer(_fhir_simulator(spec.fhir), spec.host, spec.port)

    def start(self) -> None:
        """Start every simulator; ConfigError (the others stopped) when one cannot listen."""
        try:
            for spec in self.specs:
                server = self._server(spec)
                server.start()
                self.servers.append((spec, server))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop every running simulator."""
        while self.servers:
            _, server = self.servers.pop()
            server.stop()

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
