"""The lean keep-alive HTTP client against real sockets: framing, reuse, reconnects, limits, TLS.

Each test runs a small scripted HTTP/1.1 server on loopback that answers the way the test needs
(chunked, read-until-close, closing an idle connection, never answering...) and counts the
connections it accepted, which is how reuse is seen from outside.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from careweave.connectors.http import HttpDestination, HttpDestinationConfig
from careweave.connectors.http_boundary.keepalive import KeepAliveClient, Origin, uses_proxy
from careweave.exceptions import PermanentDeliveryError, TransientDeliveryError
from careweave.model.records import Effect, EffectState
from tests.integration.engine.helpers import free_port
from tests.integration.listener.pki import make_pki

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
HANG = b"hang"
"""An answer that is never sent: the server keeps the connection open and silent."""
CLOSE = b""
"""An answer that is the connection closing."""


@dataclass
class Scripted:
    """Answers request n (counted from 0 over all connections) with ``answer(n)``."""

    answer: Callable[[int], bytes]
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    url: str = ""
    open_now: int = 0
    most_open: int = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.open_now += 1
        self.most_open = max(self.most_open, self.open_now)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                self.requests.append(head + await reader.readexactly(length))
                reply = self.answer(len(self.requests) - 1)
                if reply == HANG:
                    await asyncio.sleep(3600)
                if reply == CLOSE:
                    break
                writer.write(reply)
                await writer.drain()
                framed = b"Content-Length" in reply or b"chunked" in reply
                if b"Connection: close" in reply or not framed:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open_now -= 1
            writer.close()


@asynccontextmanager
async def scripted(
    answer: Callable[[int], bytes], tls: ssl.SSLContext | None = None
) -> AsyncIterator[Scripted]:
    server_state = Scripted(answer)
    server = await asyncio.start_server(server_state.serve, "127.0.0.1", 0, ssl=tls)
    port = server.sockets[0].getsockname()[1]
    server_state.url = f"{'https' if tls else 'http'}://127.0.0.1:{port}/in?x=1"
    try:
        yield server_state
    finally:
        server.close()


def ok(body: bytes = b"fine", extra: bytes = b"") -> bytes:
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n%s\r\n%s" % (len(body), extra, body)


async def post(client: KeepAliveClient, url: str, body: bytes = b"{}") -> tuple[int, bytes]:
    answer = await client.request("POST", url, headers={"Idempotency-Key": "k1"}, content=body)
    return answer.status, answer.body


async def test_content_length_answers_reuse_one_connection() -> None:
    async with scripted(lambda n: ok(b"answer %d" % n)) as server:
        client = KeepAliveClient(timeout=5, max_connections=4)
        try:
            assert [await post(client, server.url) for _ in range(3)] == [
                (200, b"answer 0"), (200, b"answer 1"), (200, b"answer 2"),
            ]  # fmt: skip
        finally:
            await client.aclose()
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"POST /in?x=1 HTTP/1.1\r\n")
    assert b"\r\nHost: 127.0.0.1:" in first and b"\r\nIdempotency-Key: k1\r\n" in first
    assert b"\r\nContent-Length: 2\r\n" in first and first.endswith(b"\r\n\r\n{}")


async def test_a_chunked_answer_is_joined_and_the_connection_kept() -> None:
    chunked = (
        b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n\r\n"
        b"5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n"
    )
    async with scripted(lambda n: chunked) as server:
        client = KeepAliveClient(timeout=5, max_connections=4)
        try:
            assert await post(client, server.url) == (201, b"hello world")
            assert await post(client, server.url) == (201, b"hello world")
        finally:
            await client.aclose()
    assert server.connections == 1


async def test_an_answer_without_length_is_read_to_the_close_and_not_reused() -> None:
    async with scripted(lambda n: b"HTTP/1.1 200 OK\r\n\r\nuntil close %d" % n) as server:
        client = KeepAliveClient(timeout=5, max_connections=4)
        try:
            assert await post(client, server.url) == (200, b"until close 0")
            assert await post(client, server.url) == (200, b"until close 1")
        finally:
            await client.aclose()
    assert server.connections == 2


async def test_interim_answers_are_skipped_and_connection_close_honoured() -> None:
    answer = b"HTTP/1.1 100 Continue\r\n\r\n" + ok(b"done", b"Connection: close\r\n")
    async with scripted(lambda n: answer) as server:
        client = KeepAliveClient(timeout=5, max_connections=4)
        try:
            assert await post(client, server.url) == (200, b"done")
            assert await post(client, server.url) == (200, b"done")
        finally:
            await client.aclose()
    assert server.connections == 2


async def test_a_keep_alive_connection_closed_by_the_server_is_replaced() -> None:
    # The server closes its side after the first answer (as an idle timeout would) without
    # saying so; the second request must still be answered, on a fresh connection.
    async with scripted(lambda n: CLOSE if n == 1 else ok(b"answer %d" % n)) as server:
        client = KeepAliveClient(timeout=5, max_connections=1)
        try:
            assert await post(client, server.url) == (200, b"answer 0")
            assert await post(client, server.url) == (200, b"answer 2")
        finally:
            await client.aclose()
    assert server.connections == 2
    assert len(server.requests) == 3  # the request the closing connection swallowed, resent


async def test_a_fresh_connection_closed_without_an_answer_is_an_error_not_a_loop() -> None:
    async with scripted(lambda n: CLOSE) as server:
        client = KeepAliveClient(timeout=5, max_connections=1)
        try:
            with pytest.raises(httpx.RemoteProtocolError, match="without answering"):
                await post(client, server.url)
        finally:
            await client.aclose()
    assert server.connections == 1


async def test_connections_are_bounded_and_every_request_answered() -> None:
    async with scripted(lambda n: ok(b"%d" % n)) as server:
        client = KeepAliveClient(timeout=5, max_connections=2)
        try:
            answers = await asyncio.gather(*(post(client, server.url) for _ in range(20)))
        finally:
            await client.aclose()
    assert sorted(int(body) for _, body in answers) == list(range(20))
    assert server.most_open <= 2
    assert server.connections == 2


async def test_a_silent_server_times_out_and_frees_the_connection() -> None:
    async with scripted(lambda n: HANG if n == 0 else ok()) as server:
        client = KeepAliveClient(timeout=0.2, max_connections=1)
        try:
            with pytest.raises(httpx.ReadTimeout):
                await post(client, server.url)
            assert await post(client, server.url) == (200, b"fine")  # the slot came back
        finally:
            await client.aclose()


async def test_a_refused_connection_is_a_connect_error() -> None:
    client = KeepAliveClient(timeout=5, max_connections=1)
    with pytest.raises(httpx.ConnectError):
        await post(client, f"http://127.0.0.1:{free_port()}/in")


@pytest.mark.parametrize(
    ("headers", "problem"),
    [({"X-Evil": "a\r\nInjected: 1"}, "forbidden"), ({"X-Name": "Ren\u00e9e"}, "not ASCII")],
)
async def test_a_header_that_cannot_be_sent_is_refused_before_sending(
    headers: dict[str, str], problem: str
) -> None:
    async with scripted(lambda n: ok()) as server:
        client = KeepAliveClient(timeout=5, max_connections=1)
        with pytest.raises(httpx.LocalProtocolError, match=problem):
            await client.request("POST", server.url, headers=headers, content=b"")
    assert server.requests == []


async def test_a_given_host_header_replaces_the_urls_and_framing_headers_are_its_own() -> None:
    async with scripted(lambda n: ok()) as server:
        client = KeepAliveClient(timeout=5, max_connections=1)
        try:
            headers = {"Host": "erp.example.org", "Content-Length": "999", "Connection": "close"}
            await client.request("POST", server.url, headers=headers, content=b"abc")
        finally:
            await client.aclose()
    (sent,) = server.requests
    assert sent.count(b"Host:") == 1 and b"\r\nHost: erp.example.org\r\n" in sent
    assert b"Content-Length: 3\r\n" in sent and b"999" not in sent and b"close" not in sent


def test_origins_and_unsupported_urls() -> None:
    origin = Origin.of("https://Example.org/a/b?c=d")
    assert (origin.scheme, origin.host, origin.port) == ("https", "example.org", 443)
    assert (origin.host_header, origin.target) == ("example.org", "/a/b?c=d")
    assert Origin.of("http://[::1]:8080").host_header == "[::1]:8080"
    assert Origin.of("http://h:8080").target == "/"
    with pytest.raises(httpx.UnsupportedProtocol):
        Origin.of("ftp://example.org/x")


def test_a_proxy_in_the_environment_is_noticed(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        for variant in (name, name.upper()):
            monkeypatch.delenv(variant, raising=False)
    assert not uses_proxy("http://erp.example.org/in")
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.example.org:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example.org")
    assert uses_proxy("http://erp.example.org/in")
    assert not uses_proxy("http://internal.example.org/in")
    assert not uses_proxy("https://erp.example.org/in")  # only plain http is proxied here


async def test_https_verifies_the_server_as_httpx_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pki = make_pki(tmp_path / "pki")
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(pki.server.cert, pki.server.key)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    async with scripted(lambda n: ok(b"secret"), tls=tls) as server:
        stranger = KeepAliveClient(timeout=5, max_connections=1)
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await post(stranger, server.url)
        monkeypatch.setenv("SSL_CERT_FILE", str(pki.ca))  # httpx's way to trust another CA
        trusting = KeepAliveClient(timeout=5, max_connections=1)
        try:
            assert await post(trusting, server.url) == (200, b"secret")
        finally:
            await trusting.aclose()


def _effect(effect_id: int) -> Effect:
    return Effect(
        id=effect_id, message_id=1, destination="d", idempotency_key=f"k{effect_id}",
        ordering_key="patient-1", content_type="application/json", payload=b'{"a": 1}',
        state=EffectState.IN_FLIGHT, attempts=1, created_at=NOW, next_attempt_at=NOW,
        last_error=None, trace_id=TRACE_ID,
    )  # fmt: skip


async def test_the_http_destination_delivers_through_it_with_the_same_judgement() -> None:
    answers = [
        ok(b'{"id": 7}', b"Content-Type: application/json\r\n"),
        b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 9\r\nContent-Length: 4\r\n\r\nbusy",
        b"HTTP/1.1 422 Unprocessable Entity\r\nContent-Length: 11\r\n\r\nbad payload",
    ]
    async with scripted(lambda n: answers[n]) as server:
        config = HttpDestinationConfig(
            url=server.url.replace("http://", "http://user:pw@"), headers={"X-Api-Key": "abc"}
        )
        destination = HttpDestination(config)
        try:
            receipt = await destination.deliver(_effect(1))
            with pytest.raises(TransientDeliveryError) as busy:
                await destination.deliver(_effect(2))
            with pytest.raises(PermanentDeliveryError) as refused:
                await destination.deliver(_effect(3))
        finally:
            await destination.close()
    assert (receipt.status, receipt.response) == (200, '{"id": 7}')
    assert busy.value.retry_after == 9.0 and busy.value.status == 503
    assert "answered 503 Service Unavailable: busy" in busy.value.message
    assert "pw" not in busy.value.message  # credentials redacted from the URL
    assert refused.value.status == 422 and "bad payload" in refused.value.message
    assert "effect 2: POST http://127.0.0.1:" in busy.value.message
    first = server.requests[0]
    basic = base64.b64encode(b"user:pw")
    for header in (
        b"Idempotency-Key: k1", b"X-Api-Key: abc", b"X-Careweave-Effect-Id: 1",
        b"X-Careweave-Ordering-Key: patient-1", b"Content-Type: application/json",
        b"traceparent: 00-" + TRACE_ID.encode(), b"Authorization: Basic " + basic,
    ):  # fmt: skip
        assert b"\r\n" + header in first
    assert first.endswith(b'\r\n\r\n{"a": 1}')
    assert server.connections == 1
