"""A running application with an ``[api]`` section, on loopback, for the API's tests.

The application runs in a thread of its own (its own event loop), so that a test can talk to it
with blocking clients (httpx, schemathesis) as any outside client would: real sockets, real
uvicorn, real SQLite. It holds one message with PHI in it, one in error, and an exception case
with a parked message, so that every read has something to show and to mask.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from careweave.app import Application, build_application
from careweave.config import parse_settings
from careweave.model.records import MessageState, NewCase, NewMessage, Processing

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[3]
SAMPLE_ADT = (ROOT / "examples" / "samples" / "adt-a01.hl7").read_bytes()
PATIENT_NAME = "HALVORSEN"
"""A name in the sample ADT's PID: PHI that must be masked for a token without phi:read."""
MRN = "E2090417"

ROLES = (
    "integration-admin",
    "supply-chain",
    "revenue-integrity",
    "finance",
    "auditor",
    "read-only",
)
CLIENTS = {role: f"{role}-client" for role in ROLES} | {None: "no-scope-client"}


def secret_env(client: str) -> str:
    """The environment variable holding a test client's secret."""
    return "CW_TEST_" + client.upper().replace("-", "_")


def settings_text(
    data_dir: Path, *, rate: float = 1000.0, burst: int = 1000, extra: str = ""
) -> str:
    """Settings: an MLLP channel, a FHIR channel over HTTP, master data, ``[api]`` with a client
    per role and one without a role; ``extra`` is appended (``[api.lifecycle]`` for one)."""
    clients = "".join(
        f'\n[[api.clients]]\nid = "{client}"\nsecret_env = "{secret_env(client)}"\n'
        + (f'role = "{role}"\n' if role is not None else "")
        for role, client in CLIENTS.items()
    )
    return f"""
[engine]
data_dir = "{data_dir.as_posix()}"
log_level = "error"

[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
source = {{ type = "mllp", port = 0 }}
[[channels.destinations]]
name = "archive"
connector = {{ type = "null" }}

[[channels]]
name = "fhir"
format = "fhir"
mapping = "fhir-clinical"
source = {{ type = "http", port = 0, path = "/fhir" }}
[[channels.destinations]]
name = "fhir-archive"
connector = {{ type = "null" }}

[masterdata]
items = "masterdata/items.csv"
crosswalk = "masterdata/crosswalk.csv"
locations = "masterdata/locations.csv"
cost_centers = "masterdata/cost_centers.csv"
physicians = "masterdata/physicians.csv"
payers = "masterdata/payers.csv"
entities = "masterdata/entities.csv"

[api]
port = 0
rate = {rate}
burst = {burst}
max_body_bytes = 65536
{clients}
{extra}
"""


def environment() -> dict[str, str]:
    """Each test client's secret."""
    return {secret_env(c): f"secret-of-{c}" for c in CLIENTS.values()}


@dataclass
class Seeded:
    """Ids of what the site holds."""

    message_id: int = 0
    error_message_id: int = 0
    case_id: int = 0
    parked_message_id: int = 0


@dataclass
class Site:
    """The application, its loop's thread and what was seeded."""

    application: Application
    loop: asyncio.AbstractEventLoop
    thread: threading.Thread
    seeded: Seeded = field(default_factory=Seeded)
    _tokens: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:port`` of the API."""
        port = self.application.api.port if self.application.api is not None else None
        return f"http://127.0.0.1:{port}"

    @property
    def fhir_url(self) -> str:
        """The FHIR channel's base."""
        return self.application.engine.http_sources["fhir"].base_url + "/fhir"

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the application's loop and wait for it."""
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout=60)

    def token(self, role: str | None, scope: str | None = None) -> str:
        """An access token of the client of ``role`` (cached per role and scope)."""
        client = CLIENTS[role]
        key = f"{client} {scope}"
        if key not in self._tokens:
            form = {"grant_type": "client_credentials", "client_id": client,
                    "client_secret": f"secret-of-{client}"}  # fmt: skip
            if scope is not None:
                form["scope"] = scope
            answer = httpx.post(f"{self.base_url}/v1/oauth/token", data=form, timeout=30)
            answer.raise_for_status()
            self._tokens[key] = answer.json()["access_token"]
        return self._tokens[key]

    def headers(self, role: str | None) -> dict[str, str]:
        """Authorization headers for ``role``'s client."""
        return {"Authorization": f"Bearer {self.token(role)}"}


async def _seed(application: Application) -> Seeded:
    engine, store = application.engine, application.store
    result, _ack = await engine.receive_hl7("ehr", SAMPLE_ADT, sender="127.0.0.1:1")
    broken = SAMPLE_ADT.replace(b"|19480311|", b"|19481399|").replace(b"RBMC0303071512", b"X1")
    failed, _ack = await engine.receive_hl7("ehr", broken, sender="127.0.0.1:1")
    now = dt.datetime.now(dt.UTC)
    parked = await store.ingest(
        NewMessage(channel="ehr", raw=SAMPLE_ADT.replace(b"RBMC0303071512", b"P1"),
                   content_type="x-application/hl7-v2+er7", received_at=now,
                   trace_id="t-parked", dedup_key="EPIC|RBMC|P1"),
        Processing(state=MessageState.PARKED, ordering_key=MRN, cases=(
            NewCase(case_key="item-miss:EHR-4471", reason_code="item-miss",
                    owning_team="supply-chain", summary="EHR code EHR-4471 is not in the crosswalk",
                    suggested_fix="map EHR-4471 to an ERP item"),
        )),
    )  # fmt: skip
    cases = await store.list_cases()
    return Seeded(
        message_id=result.message_id,
        error_message_id=failed.message_id,
        case_id=cases[0].id,
        parked_message_id=parked.message_id,
    )


def start_site(folder: Path, *, rate: float = 1000.0, burst: int = 1000, extra: str = "") -> Site:
    """Copy the example's master data to ``folder``, build the application, serve it."""
    shutil.copytree(ROOT / "examples" / "health-system" / "masterdata", folder / "masterdata")
    settings = parse_settings(settings_text(folder / "data", rate=rate, burst=burst, extra=extra))
    application = build_application(settings, settings_dir=folder, env=environment())
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="careweave-api-site", daemon=True)
    thread.start()
    site = Site(application, loop, thread)
    site.run(application.open())
    site.run(application.start())
    site.seeded = site.run(_seed(application))
    return site


def stop_site(site: Site) -> None:
    """Stop and close the application, end its loop."""
    try:
        site.run(site.application.close())
    finally:
        site.loop.call_soon_threadsafe(site.loop.stop)
        site.thread.join(timeout=30)
        site.loop.close()
