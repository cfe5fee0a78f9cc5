"""The FHIR client's SMART flow and error mapping, against an in-process transport."""

from __future__ import annotations

import urllib.parse

import httpx
import jwt
import msgspec
import pytest

from careweave.connectors.fhir_client import (
    ASSERTION_TYPE,
    FhirClient,
    FhirClientConfig,
    client_assertion,
    load_private_key,
)
from careweave.exceptions import ConfigError, FhirError, TransientDeliveryError
from careweave.sandbox.ehr_fhir import generate_client_key

KEY = generate_client_key("ES384", key_id="k1")
TOKEN_URL = "https://ehr.test/oauth/token"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def config(tmp_path) -> FhirClientConfig:
    path = tmp_path / "key.pem"
    path.write_bytes(KEY.private_pem)
    return FhirClientConfig(
        base_url="https://ehr.test/fhir",
        token_url=TOKEN_URL,
        client_id="cw",
        private_key_path=str(path),
        key_id="k1",
        algorithm="ES384",
    )


def test_client_assertion_claims(config):
    key = load_private_key(config.private_key_path)
    token = client_assertion(config, key, now=1_800_000_000.0)
    public = jwt.PyJWKSet.from_dict(KEY.jwks)["k1"].key
    claims = jwt.decode(
        token,
        public,
        algorithms=["ES384"],
        audience=TOKEN_URL,
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iss"] == claims["sub"] == "cw"
    assert claims["exp"] - claims["iat"] == 300
    assert jwt.get_unverified_header(token)["kid"] == "k1"
    assert client_assertion(config, key, now=1.0) != client_assertion(config, key, now=1.0)


class FakeEhr:
    """Token endpoint and a Patient read; tokens live ``ttl`` seconds on ``clock``."""

    def __init__(self, clock: Clock, ttl: int = 300) -> None:
        self.clock, self.ttl = clock, ttl
        self.tokens: dict[str, float] = {}
        self.forms: list[dict[str, str]] = []
        self.reads = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            form = dict(urllib.parse.parse_qsl(request.content.decode()))
            self.forms.append(form)
            token = f"t{len(self.forms)}"
            self.tokens[token] = self.clock() + self.ttl
            return httpx.Response(
                200, json={"access_token": token, "expires_in": self.ttl, "token_type": "bearer"}
            )
        self.reads += 1
        token = request.headers.get("authorization", "")[7:]
        if self.tokens.get(token, 0) <= self.clock():
            return httpx.Response(401)
        return httpx.Response(200, json={"resourceType": "Patient", "id": "p1"})


async def test_token_cached_then_refreshed_before_expiry(config):
    clock = Clock()
    ehr = FakeEhr(clock)
    async with FhirClient(config, transport=httpx.MockTransport(ehr), clock=clock) as client:
        for _ in range(3):
            await client.read("Patient", "p1")
        clock.now += 300 - 59  # inside the 60 s leeway
        await client.read("Patient", "p1")
    assert len(ehr.forms) == 2
    assert ehr.reads == 4
    form = ehr.forms[0]
    assert form["grant_type"] == "client_credentials"
    assert form["client_assertion_type"] == ASSERTION_TYPE


async def test_a_401_fetches_a_new_token_once(config):
    clock = Clock()
    ehr = FakeEhr(clock)
    async with FhirClient(config, transport=httpx.MockTransport(ehr), clock=clock) as client:
        await client.read("Patient", "p1")
        ehr.tokens.clear()  # the server forgot every token
        await client.read("Patient", "p1")
    assert len(ehr.forms) == 2
    assert ehr.reads == 3  # one refused, then one retried with the new token


def _search_page(next_url: str | None) -> httpx.Response:
    links = [{"relation": "next", "url": next_url}] if next_url else []
    return httpx.Response(
        200, json={"resourceType": "Bundle", "type": "searchset", "link": links, "entry": []}
    )


async def test_a_next_link_to_another_server_is_refused(config):
    open_config = msgspec.structs.replace(config, token_url="")
    transport = httpx.MockTransport(lambda r: _search_page("https://evil.test/fhir/Patient?p=2"))
    async with FhirClient(open_config, transport=transport) as client:
        with pytest.raises(FhirError, match="not on the server"):
            _ = [page async for page in client.search_pages("Patient")]


async def test_transport_failures_and_5xx_are_transient(config):
    open_config = msgspec.structs.replace(config, token_url="")

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    async with FhirClient(open_config, transport=httpx.MockTransport(down)) as client:
        with pytest.raises(TransientDeliveryError, match="ConnectError"):
            await client.read("Patient", "p1")
    busy = httpx.MockTransport(lambda r: httpx.Response(503, headers={"Retry-After": "7"}))
    async with FhirClient(open_config, transport=busy) as client:
        with pytest.raises(TransientDeliveryError) as caught:
            await client.read("Patient", "p1")
    assert caught.value.retry_after == 7.0


async def test_an_answer_that_is_not_fhir_is_a_fhir_error(config):
    open_config = msgspec.structs.replace(config, token_url="")
    transport = httpx.MockTransport(lambda r: httpx.Response(200, content=b"<html>"))
    async with FhirClient(open_config, transport=transport) as client:
        with pytest.raises(FhirError, match=r"GET https://ehr\.test/fhir/Patient/p1"):
            await client.read("Patient", "p1")


def test_a_missing_key_file_is_a_config_error(config, tmp_path):
    broken = msgspec.structs.replace(config, private_key_path=str(tmp_path / "nope.pem"))
    with pytest.raises(ConfigError, match="cannot read the FHIR client key"):
        FhirClient(broken)
