"""The shared HTTP boundary: status and transport mapping, Retry-After, the OAuth2 token cache."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import urllib.parse

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

import careweave.connectors.http_boundary as http_boundary
from careweave.connectors.http_boundary import (
    ASSERTION_LIFETIME,
    ASSERTION_TYPE,
    MAX_RETRY_AFTER,
    ClientSecretAuth,
    OAuth2TokenCache,
    PrivateKeyJwtAuth,
    error_for_exception,
    error_for_response,
    is_retryable_status,
    parse_retry_after,
    raise_for_status,
    redact_url,
    send,
)
from careweave.exceptions import PermanentDeliveryError, TransientDeliveryError
from careweave.sandbox.ehr_fhir import generate_client_key


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_public_surface() -> None:
    assert set(http_boundary.__all__) == {
        "ASSERTION_LIFETIME", "ASSERTION_TYPE", "MAX_RETRY_AFTER", "RETRYABLE_STATUSES",
        "BaseClientAuth", "ClientSecretAuth", "OAuth2TokenCache", "PrivateKey", "PrivateKeyJwtAuth",
        "error_for_exception", "error_for_response", "excerpt", "is_retryable_status",
        "parse_retry_after", "raise_for_status", "redact_url", "send", "signed_client_assertion",
    }  # fmt: skip
    for name in http_boundary.__all__:
        assert getattr(http_boundary, name) is not None


# -- status mapping ------------------------------------------------------------------------------

STATUS_TABLE = [
    # 3xx: a redirect careweave does not follow is the destination's set-up, not a blip
    (301, False), (302, False), (304, False),
    # the three 4xx a later attempt may cure
    (408, True), (425, True), (429, True),
    # every other 4xx is a refusal
    (400, False), (401, False), (403, False), (404, False), (405, False), (409, False),
    (410, False), (413, False), (415, False), (422, False), (426, False), (451, False),
    (499, False),
    # every 5xx
    (500, True), (501, True), (502, True), (503, True), (504, True), (505, True), (507, True),
    (511, True), (599, True),
]  # fmt: skip


def _answer(
    status: int,
    text: str = "",
    headers: dict[str, str] | None = None,
    *,
    url: str = "https://dest.test/in",
    request_headers: dict[str, str] | None = None,
) -> httpx.Response:
    request = httpx.Request("POST", url, headers=request_headers)
    return httpx.Response(status, text=text, headers=headers, request=request)


@pytest.mark.parametrize(("status", "retryable"), STATUS_TABLE)
def test_status_mapping(status: int, retryable: bool) -> None:
    assert is_retryable_status(status) is retryable
    error = error_for_response(_answer(status, "the body"), "effect 7")
    assert isinstance(error, TransientDeliveryError if retryable else PermanentDeliveryError)
    assert error.retryable is retryable
    assert error.status == status
    assert error.response == "the body"
    assert error.message.startswith(f"effect 7: POST https://dest.test/in answered {status}")
    assert error.message.endswith(": the body")


@pytest.mark.parametrize("status", [200, 201, 202, 204, 299])
def test_every_2xx_is_success(status: int) -> None:
    response = _answer(status)
    assert raise_for_status(response) is response


def test_409_is_retryable_only_for_a_request_with_an_idempotency_key() -> None:
    # The IETF Idempotency-Key draft: 409 = "a request with this key is still being processed".
    assert is_retryable_status(409, idempotency_key=True)
    in_flight = _answer(409, request_headers={"Idempotency-Key": "k1"})
    assert isinstance(error_for_response(in_flight), TransientDeliveryError)
    assert isinstance(error_for_response(_answer(409)), PermanentDeliveryError)
    assert not is_retryable_status(400, idempotency_key=True)


def test_raise_for_status_raises_the_mapped_error() -> None:
    with pytest.raises(TransientDeliveryError) as caught:
        raise_for_status(_answer(503, headers={"Retry-After": "7"}), "batch 1")
    assert caught.value.retry_after == 7.0 and caught.value.status == 503
    with pytest.raises(PermanentDeliveryError):
        raise_for_status(_answer(400))


def test_message_keeps_a_short_body_excerpt_and_the_stored_response_whole() -> None:
    body = "line one\n\n   line two " + "x" * 1000
    error = error_for_response(_answer(422, body))
    assert "line one line two" in error.message
    assert len(error.message) < 320 and error.message.endswith("…")
    assert error.response is not None and error.response.startswith("line one\n\n")


def test_urls_in_messages_lose_credentials_and_secret_query_values() -> None:
    url = "https://cw:hunter2@dest.test/in?access_token=abc&_count=3&api_key=xyz&sig=s1"
    assert redact_url(url) == (
        "https://dest.test/in?access_token=redacted&_count=3&api_key=redacted&sig=redacted"
    )
    error = error_for_response(_answer(500, url=url))
    for secret in ("hunter2", "abc", "xyz", "s1"):
        assert secret not in error.message
    assert "_count=3" in error.message


# -- transport errors ------------------------------------------------------------------------

_REQUEST = httpx.Request("GET", "https://dest.test/in?token=t0p")

TRANSPORT_TABLE = [
    (httpx.ConnectError("refused", request=_REQUEST), True),
    (httpx.ConnectTimeout("slow connect", request=_REQUEST), True),
    (httpx.ReadTimeout("slow answer", request=_REQUEST), True),
    (httpx.WriteTimeout("slow send", request=_REQUEST), True),
    (httpx.PoolTimeout("pool full", request=_REQUEST), True),
    (httpx.ReadError("reset by peer", request=_REQUEST), True),
    (httpx.WriteError("broken pipe", request=_REQUEST), True),
    (httpx.RemoteProtocolError("server disconnected", request=_REQUEST), True),
    (httpx.ProxyError("proxy down", request=_REQUEST), True),
    # sending the same request again fails the same way
    (httpx.UnsupportedProtocol("ftp", request=_REQUEST), False),
    (httpx.LocalProtocolError("bad header", request=_REQUEST), False),
    (httpx.DecodingError("bad gzip", request=_REQUEST), False),
    (httpx.TooManyRedirects("loop", request=_REQUEST), False),
    (httpx.InvalidURL("no host"), False),
]


@pytest.mark.parametrize(("exc", "retryable"), TRANSPORT_TABLE, ids=lambda v: type(v).__name__)
def test_transport_mapping(exc: httpx.HTTPError, retryable: bool) -> None:
    error = error_for_exception(exc, "effect 7")
    assert isinstance(error, TransientDeliveryError if retryable else PermanentDeliveryError)
    assert error.retryable is retryable and error.status is None
    assert error.message.startswith("effect 7: ")
    assert type(exc).__name__ in error.message
    if not isinstance(exc, httpx.InvalidURL):
        assert "GET https://dest.test/in?token=redacted failed" in error.message


def test_a_status_error_from_raise_for_status_maps_by_its_status() -> None:
    response = _answer(503)
    exc = httpx.HTTPStatusError("503", request=response.request, response=response)
    assert isinstance(error_for_exception(exc), TransientDeliveryError)


async def test_send_over_a_refused_socket_is_transient() -> None:
    port = closed_port()
    async with httpx.AsyncClient(timeout=2) as client:
        with pytest.raises(TransientDeliveryError, match="ConnectError") as caught:
            await send(client, "POST", f"http://127.0.0.1:{port}/in", what="effect 1")
    assert isinstance(caught.value.__cause__, httpx.ConnectError)


async def test_send_names_the_request_when_no_request_was_built() -> None:
    async with httpx.AsyncClient() as client:
        with pytest.raises(PermanentDeliveryError, match="UnsupportedProtocol"):
            await send(client, "GET", "ftp://files.test/x")


async def test_send_returns_every_answer_unjudged() -> None:
    transport = httpx.MockTransport(lambda r: httpx.Response(503))
    async with httpx.AsyncClient(transport=transport) as client:
        response = await send(client, "GET", "http://dest.test/")
    assert response.status_code == 503


# -- Retry-After -----------------------------------------------------------------------------

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)

RETRY_AFTER_TABLE = [
    ("3", 3.0),
    ("0", 0.0),
    (" 120 ", 120.0),
    ("1.5", 1.5),
    ("Fri, 27 Nov 2026 12:00:05 GMT", 5.0),  # IMF-fixdate
    ("Friday, 27-Nov-26 12:01:00 GMT", 60.0),  # obsolete RFC 850
    ("Fri Nov 27 12:00:30 2026", 30.0),  # obsolete asctime
    ("Fri, 27 Nov 2026 11:00:00 GMT", 0.0),  # in the past
    ("86400000", MAX_RETRY_AFTER),  # huge
    ("9" * 400, MAX_RETRY_AFTER),  # absurd
    ("Sat, 27 Nov 2027 12:00:00 GMT", MAX_RETRY_AFTER),  # a year away
    ("-5", None),  # negative
    ("-0", None),
    ("+5", None),
    ("1e3", None),
    ("5s", None),
    ("soon", None),
    ("Fri, 99 Nov 2026 12:00:00 GMT", None),
    ("", None),
    ("   ", None),
    (None, None),
]


@pytest.mark.parametrize(("value", "seconds"), RETRY_AFTER_TABLE)
def test_retry_after(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


def test_retry_after_maximum_is_adjustable() -> None:
    assert parse_retry_after("600", maximum=60.0) == 60.0
    assert parse_retry_after("30", maximum=60.0) == 30.0


def test_the_error_carries_retry_after_for_the_worker() -> None:
    error = error_for_response(_answer(429, headers={"Retry-After": "12"}))
    assert error.retry_after == 12.0
    assert error_for_response(_answer(503, headers={"Retry-After": "later"})).retry_after is None
    assert error_for_response(_answer(400, headers={"Retry-After": "12"})).retry_after is None


# -- OAuth2 token cache ----------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


class TokenEndpoint:
    """A token endpoint that counts requests; ``gate`` holds answers back until it is set."""

    def __init__(self, *, ttl: float = 100.0, status: int = 200) -> None:
        self.ttl = ttl
        self.status = status
        self.forms: list[dict[str, str]] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/oauth/token"
        self.forms.append(dict(urllib.parse.parse_qsl(request.content.decode())))
        await self.gate.wait()
        if self.status != 200:
            return httpx.Response(self.status, text="busy", headers={"Retry-After": "3"})
        token = f"t{len(self.forms)}"
        return httpx.Response(200, json={"access_token": token, "expires_in": self.ttl})


def _cache(
    endpoint: TokenEndpoint, clock: Clock | None = None, *, leeway: float = 60.0
) -> tuple[httpx.AsyncClient, OAuth2TokenCache]:
    http = httpx.AsyncClient(base_url="https://auth.test", transport=httpx.MockTransport(endpoint))
    auth = ClientSecretAuth("cw", "s3cret")
    cache = OAuth2TokenCache(http, "/oauth/token", auth, leeway=leeway, clock=clock or Clock())
    return http, cache


async def test_many_concurrent_callers_share_one_token_request() -> None:
    endpoint = TokenEndpoint()
    endpoint.gate.clear()
    http, cache = _cache(endpoint)
    async with http:
        callers = [asyncio.create_task(cache.get()) for _ in range(50)]
        while not endpoint.forms:
            await asyncio.sleep(0)
        for _ in range(10):  # let every caller reach the cache while the request is out
            await asyncio.sleep(0)
        endpoint.gate.set()
        tokens = await asyncio.gather(*callers)
    assert tokens == ["t1"] * 50
    assert len(endpoint.forms) == 1 and cache.fetched == 1
    assert endpoint.forms[0] == {
        "grant_type": "client_credentials",
        "client_id": "cw",
        "client_secret": "s3cret",
    }


async def test_concurrent_callers_share_a_failed_token_request_too() -> None:
    endpoint = TokenEndpoint(status=503)
    endpoint.gate.clear()
    http, cache = _cache(endpoint)
    async with http:
        callers = [asyncio.create_task(cache.get()) for _ in range(20)]
        for _ in range(10):
            await asyncio.sleep(0)
        endpoint.gate.set()
        results = await asyncio.gather(*callers, return_exceptions=True)
        assert len(endpoint.forms) == 1
        assert all(isinstance(r, TransientDeliveryError) for r in results)
        error = results[0]
        assert isinstance(error, TransientDeliveryError)
        assert error.status == 503 and error.retry_after == 3.0
        assert "token request of 'cw'" in error.message
        endpoint.status = 200  # the next caller starts a new request
        assert await cache.get() == "t2"


async def test_a_caller_that_gives_up_does_not_cancel_the_others_request() -> None:
    endpoint = TokenEndpoint()
    endpoint.gate.clear()
    http, cache = _cache(endpoint)
    async with http:
        impatient = asyncio.create_task(cache.get())
        patient = asyncio.create_task(cache.get())
        while not endpoint.forms:
            await asyncio.sleep(0)
        impatient.cancel()
        endpoint.gate.set()
        assert await patient == "t1"
    assert impatient.cancelled() and len(endpoint.forms) == 1


async def test_token_is_refreshed_before_expiry_on_the_injected_clock() -> None:
    clock = Clock()
    endpoint = TokenEndpoint(ttl=100)
    http, cache = _cache(endpoint, clock, leeway=10.0)
    async with http:
        assert await cache.get() == "t1"
        clock.now += 89.9  # still more than the leeway left
        assert await cache.get() == "t1"
        clock.now += 0.1  # 10 s before expiry: replaced
        assert await cache.get() == "t2"
        assert await cache.get() == "t2"
    assert cache.fetched == 2


async def test_a_short_lived_token_is_refreshed_half_way_not_per_request() -> None:
    clock = Clock()
    endpoint = TokenEndpoint(ttl=20)
    http, cache = _cache(endpoint, clock, leeway=60.0)
    async with http:
        await cache.get()
        clock.now += 9.9
        assert await cache.get() == "t1"
        clock.now += 0.1
        assert await cache.get() == "t2"


async def test_a_401_invalidates_the_token_and_the_next_get_fetches_a_new_one() -> None:
    endpoint = TokenEndpoint()
    http, cache = _cache(endpoint)
    async with http:
        first = await cache.get()
        cache.invalidate(first)  # the API answered 401 to it
        second = await cache.get()
        assert (first, second) == ("t1", "t2")
        cache.invalidate(first)  # a late 401 to the old token keeps the new one
        assert await cache.get() == "t2"
    assert len(endpoint.forms) == 2


@pytest.mark.parametrize("status", [400, 401, 403])
async def test_refused_client_credentials_are_permanent(status: int) -> None:
    endpoint = TokenEndpoint(status=status)
    http, cache = _cache(endpoint)
    async with http:
        with pytest.raises(PermanentDeliveryError, match="refused the client credentials of 'cw'"):
            await cache.get()


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        (httpx.Response(200, text="<html>"), "malformed token answer"),
        (httpx.Response(200, json={"access_token": "t", "token_type": "mac"}), "token type"),
    ],
)
async def test_unusable_token_answers_are_permanent(answer: httpx.Response, match: str) -> None:
    transport = httpx.MockTransport(lambda r: answer)
    async with httpx.AsyncClient(transport=transport) as http:
        cache = OAuth2TokenCache(http, "https://auth.test/token", ClientSecretAuth("cw", "s"))
        with pytest.raises(PermanentDeliveryError, match=match):
            await cache.get()


async def test_an_unreachable_token_endpoint_is_transient() -> None:
    port = closed_port()
    async with httpx.AsyncClient(timeout=2) as http:
        cache = OAuth2TokenCache(
            http, f"http://127.0.0.1:{port}/token", ClientSecretAuth("cw", "s")
        )
        with pytest.raises(TransientDeliveryError, match="token request of 'cw'"):
            await cache.get()


def test_the_client_secret_never_shows_in_repr() -> None:
    assert "s3cret" not in repr(ClientSecretAuth("cw", "s3cret"))


async def test_private_key_jwt_posts_a_signed_assertion_for_the_absolute_token_url() -> None:
    key = generate_client_key("ES384", key_id="k1")
    private = load_pem_private_key(key.private_pem, password=None)
    assert isinstance(private, EllipticCurvePrivateKey)
    clock = Clock()
    auth = PrivateKeyJwtAuth("cw", private, algorithm="ES384", key_id="k1", clock=clock)
    endpoint = TokenEndpoint()
    http = httpx.AsyncClient(base_url="https://auth.test", transport=httpx.MockTransport(endpoint))
    async with http:
        cache = OAuth2TokenCache(http, "/oauth/token", auth, scope="system/*.read", clock=clock)
        assert await cache.get() == "t1"
    (form,) = endpoint.forms
    assert form["grant_type"] == "client_credentials"
    assert form["scope"] == "system/*.read"
    assert form["client_assertion_type"] == ASSERTION_TYPE
    public = jwt.PyJWKSet.from_dict(key.jwks)["k1"].key
    claims = jwt.decode(
        form["client_assertion"],
        public,
        algorithms=["ES384"],
        audience="https://auth.test/oauth/token",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims["iss"] == claims["sub"] == "cw"
    assert claims["iat"] == int(clock.now)
    assert claims["exp"] - claims["iat"] == ASSERTION_LIFETIME
    assert "client_secret" not in form
