"""Real sockets: careweave's engine with a FHIR HTTP channel, and the simulated EHR FHIR API."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from careweave.app import build_engine
from careweave.config import parse_settings
from careweave.engine.runtime import Engine
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.sandbox.ehr_fhir import (
    ClientKey,
    EhrFhirServer,
    EhrFhirSimulator,
    generate_client_key,
    seed_cardiology,
)

CLIENT_ID = "careweave-test"


class WallClock:
    """Wall-clock seconds that a test can push forward (both sides of the token flow read it)."""

    def __init__(self) -> None:
        self._time = time.time
        self.offset = 0.0

    def __call__(self) -> float:
        return self._time() + self.offset


@pytest.fixture(scope="session")
def es384_key() -> ClientKey:
    """One EC key pair for the session (generating is quick, but not free)."""
    return generate_client_key("ES384", key_id="es-1")


@pytest.fixture
def clock() -> WallClock:
    return WallClock()


@pytest.fixture
def ehr(es384_key: ClientKey, clock: WallClock) -> Iterator[EhrFhirServer]:
    """The simulated EHR with seven cardiology cases; careweave's ES384 key registered."""
    simulator = EhrFhirSimulator(token_ttl=600, clock=clock)
    simulator.tokens.register(CLIENT_ID, es384_key.jwks)
    seed_cardiology(simulator.resources, 7)
    with EhrFhirServer(simulator) as server:
        yield server


def write_key(tmp_path: Path, key: ClientKey) -> Path:
    """The private key as careweave reads it: a PEM file."""
    path = tmp_path / f"{key.key_id}.pem"
    path.write_bytes(key.private_pem)
    return path


def fhir_channel_toml(*, ehr: EhrFhirServer | None = None, key_path: Path | None = None) -> str:
    """A FHIR channel on a free port, optionally able to read the EHR for id-only notifications."""
    ehr_line = ""
    if ehr is not None and key_path is not None:
        ehr_line = (
            f'ehr = {{ base_url = "{ehr.fhir_base}", token_url = "{ehr.token_url}", '
            f'client_id = "{CLIENT_ID}", private_key_path = "{key_path}", key_id = "es-1", '
            f'algorithm = "ES384" }}'
        )
    return f"""
[[channels]]
name = "fhir-in"
format = "fhir"
mapping = "fhir-clinical"

[channels.source]
type = "http"
port = 0
path = "/fhir"
max_body_bytes = 65536
{ehr_line}
"""


@pytest.fixture
async def engines(tmp_path: Path) -> AsyncIterator[Callable[[str], Awaitable[Engine]]]:
    """``engine = await engines(toml)``: engines on SQLite, stopped after the test."""
    running: list[tuple[Engine, SqliteStore]] = []

    async def start(toml: str) -> Engine:
        settings = parse_settings(f'[engine]\ndata_dir = "{tmp_path}"\n{toml}')
        store = SqliteStore(SqliteConfig(path=tmp_path / f"careweave-{len(running)}.db"))
        await store.open()
        engine = build_engine(settings, store)
        await engine.start(deliver=False)
        running.append((engine, store))
        return engine

    yield start
    for engine, store in running:
        await engine.stop()
        await store.close()


def fhir_url(engine: Engine, channel: str = "fhir-in") -> str:
    """The FHIR base URL a channel serves."""
    return f"{engine.http_sources[channel].base_url}/fhir"


async def push(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    body: bytes,
    content_type: str = "application/fhir+json",
) -> httpx.Response:
    """One push with FHIR JSON."""
    return await client.request(method, url, content=body, headers={"Content-Type": content_type})
