"""Every HTTP connector judges answers by the one shared boundary, over real sockets.

Each connector below makes one call against a real local HTTP server that answers with a chosen
status (or against a port nobody listens on), and the error it raises must be the shared
mapping's: 408/429/5xx and refused connections retryable, other 4xx permanent. Retry-After, which
the real server here cannot send, is checked through an in-process transport. (The clearinghouse
destination is an ``http`` destination: its 837 files go through ``http-destination``.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from decimal import Decimal

import httpx
import msgspec
import pytest

from careweave.connectors.erp import ErpConfig, ErpConnector, GlSegments, JournalLine
from careweave.connectors.erp import JournalRequest as ErpJournal
from careweave.connectors.fhir_client import FhirClient, FhirClientConfig
from careweave.connectors.http import HttpDestination, HttpDestinationConfig
from careweave.connectors.rcm import RcmAccountsClient, RcmDestination, RcmDestinationConfig
from careweave.exceptions import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from careweave.model.rcm import (
    CHARGE_CONTENT_TYPE,
    CLAIM_BILLED_CONTENT_TYPE,
    ENCOUNTER_CONTENT_TYPE,
    RcmChargeLine,
    RcmClaimBilled,
    RcmEncounter,
    RcmEncounterUpdate,
)
from careweave.model.records import Effect, EffectState
from careweave.testing import RecordedRequest, RecordingHttpServer
from tests.integration.engine.helpers import free_port

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
Transport = httpx.AsyncBaseTransport | None


def _effect(content_type: str, payload: bytes) -> Effect:
    return Effect(
        id=1, message_id=1, destination="d", idempotency_key="k1", ordering_key=None,
        content_type=content_type, payload=payload, state=EffectState.IN_FLIGHT, attempts=1,
        created_at=NOW, next_attempt_at=NOW, last_error=None,
    )  # fmt: skip


async def http_destination(url: str, transport: Transport) -> None:
    destination = HttpDestination(HttpDestinationConfig(url=f"{url}/in"), transport=transport)
    try:
        await destination.deliver(_effect("application/json", b"{}"))
    finally:
        await destination.close()


async def erp_connector(url: str, transport: Transport) -> None:
    journal = ErpJournal(
        business_key="enc-1/alloc/v1", entity="10", posting_date=dt.date(2026, 11, 27),
        lines=[
            JournalLine(GlSegments("10", "4010", "61000"), debit=Decimal("5.00")),
            JournalLine(GlSegments("10", "8400", "14000"), credit=Decimal("5.00")),
        ],
    )  # fmt: skip
    config = ErpConfig(base_url=url, client_id="cw", connect_timeout=2.0)
    async with ErpConnector(config, secret="s", transport=transport) as erp:
        await erp.post_journal(journal)


async def rcm_encounter_update(url: str, transport: Transport) -> None:
    update = RcmEncounterUpdate(encounter_id="E1", update=RcmEncounter(patient_id="P1"))
    destination = RcmDestination(RcmDestinationConfig(base_url=url), transport=transport)
    try:
        await destination.deliver(_effect(ENCOUNTER_CONTENT_TYPE, msgspec.json.encode(update)))
    finally:
        await destination.close()


async def rcm_charge_batch(url: str, transport: Transport) -> None:
    line = RcmChargeLine(
        line_key="L1", encounter_id="E1", patient_id="P1", service_date=dt.date(2026, 11, 27),
        procedure_code="99213", unit_amount=Decimal("92.00"),
    )  # fmt: skip
    destination = RcmDestination(RcmDestinationConfig(base_url=url), transport=transport)
    try:
        await destination.deliver(_effect(CHARGE_CONTENT_TYPE, msgspec.json.encode(line)))
    finally:
        await destination.close()


async def rcm_billed_notice_effect(url: str, transport: Transport) -> None:
    notice = RcmClaimBilled(account_id="A1", claim_id="C1")
    destination = RcmDestination(RcmDestinationConfig(base_url=url), transport=transport)
    try:
        await destination.deliver(_effect(CLAIM_BILLED_CONTENT_TYPE, msgspec.json.encode(notice)))
    finally:
        await destination.close()


async def rcm_mark_billed(url: str, transport: Transport) -> None:
    accounts = RcmAccountsClient(url, timeout=2.0, transport=transport)
    try:
        await accounts.mark_billed("A1", "C1")
    finally:
        await accounts.close()


async def rcm_ready_accounts(url: str, transport: Transport) -> None:
    accounts = RcmAccountsClient(url, timeout=2.0, transport=transport)
    try:
        await accounts.ready_accounts()
    finally:
        await accounts.close()


async def fhir_client(url: str, transport: Transport) -> None:
    config = FhirClientConfig(base_url=f"{url}/fhir", timeout=2.0)
    async with FhirClient(config, transport=transport) as ehr:
        await ehr.read("Patient", "p1")


CONNECTORS: dict[str, Callable[[str, Transport], Awaitable[None]]] = {
    "http-destination": http_destination,
    "erp": erp_connector,
    "rcm-encounter": rcm_encounter_update,
    "rcm-charges": rcm_charge_batch,
    "rcm-billed-effect": rcm_billed_notice_effect,
    "rcm-mark-billed": rcm_mark_billed,
    "rcm-accounts": rcm_ready_accounts,
    "fhir": fhir_client,
}

TOKEN = msgspec.json.encode({"access_token": "t1", "expires_in": 60})


def _answering(status: int) -> Callable[[RecordedRequest], tuple[int, bytes]]:
    def respond(request: RecordedRequest) -> tuple[int, bytes]:
        if request.path == "/oauth/token":  # the ERP's token endpoint
            return 200, TOKEN
        return status, f"answered {status} on purpose".encode()

    return respond


@pytest.mark.parametrize("connector", CONNECTORS)
@pytest.mark.parametrize(
    ("status", "retryable"), [(503, True), (500, True), (429, True), (408, True), (400, False),
                              (404, False), (422, False)],
)  # fmt: skip
async def test_each_connector_maps_statuses_the_shared_way(
    connector: str, status: int, retryable: bool
) -> None:
    with (
        RecordingHttpServer(respond=_answering(status)) as server,
        pytest.raises(DeliveryError) as caught,
    ):
        await CONNECTORS[connector](server.url, None)
    error = caught.value
    assert isinstance(error, TransientDeliveryError if retryable else PermanentDeliveryError)
    assert error.retryable is retryable
    assert error.status == status
    assert f"answered {status}" in error.message
    assert "on purpose" in error.message  # the body excerpt
    assert server.url in error.message  # method and URL


@pytest.mark.parametrize("connector", CONNECTORS)
async def test_each_connector_treats_a_refused_connection_as_retryable(connector: str) -> None:
    with pytest.raises(TransientDeliveryError, match="ConnectError") as caught:
        await CONNECTORS[connector](f"http://127.0.0.1:{free_port()}", None)
    assert caught.value.retryable and caught.value.status is None
    assert isinstance(caught.value.__cause__, httpx.ConnectError)  # converted, not leaked


@pytest.mark.parametrize("connector", CONNECTORS)
async def test_each_connector_carries_retry_after(connector: str) -> None:
    def busy(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, content=TOKEN)
        return httpx.Response(503, text="busy", headers={"Retry-After": "7"})

    with pytest.raises(TransientDeliveryError) as caught:
        await CONNECTORS[connector]("http://dest.test", httpx.MockTransport(busy))
    assert caught.value.retry_after == 7.0


async def test_rcm_mark_billed_503_is_retryable_regression() -> None:
    """A 503 on the billed notice used to be a PermanentDeliveryError: the account stayed
    unbilled at the platform though its claim had gone out, with nothing to retry it."""
    answers = [503, 200]

    def respond(request: RecordedRequest) -> tuple[int, bytes]:
        assert (request.method, request.path) == ("POST", "/api/claims/billed")
        return answers.pop(0), b"maintenance" if answers else b"{}"

    with RecordingHttpServer(respond=respond) as server:
        accounts = RcmAccountsClient(server.url, timeout=5.0)
        try:
            with pytest.raises(TransientDeliveryError) as caught:
                await accounts.mark_billed("A1", "C1")
            assert caught.value.retryable and caught.value.status == 503
            assert "RCM billed notice for A1" in caught.value.message
            await accounts.mark_billed("A1", "C1")  # the retry goes through
        finally:
            await accounts.close()
    assert answers == []
    assert len(server.requests) == 2
