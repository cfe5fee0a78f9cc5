"""The ERP's API gateway: what stands between a client and every ``/api`` resource.

In order: bearer-token authentication (401 + WWW-Authenticate), the per-client token bucket
(429 + Retry-After), fault injection (503 bursts, slow answers) and Idempotency-Key handling
(a repeated key replays the first answer and runs nothing). It wraps the resource app as plain
ASGI so that it sees every request, matched route or not.
"""

from __future__ import annotations

import asyncio
import math
import threading
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import msgspec

from careweave.connectors.erp.rate_limit import TokenBucket
from careweave.sandbox.erp.auth import TokenIssuer
from careweave.sandbox.erp.config import ErpSimulatorConfig
from careweave.sandbox.erp.faults import FaultInjector
from careweave.sandbox.erp.idempotency import (
    Claim,
    IdempotencyCache,
    StoredResponse,
    fingerprint,
)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class GatewayCounters(msgspec.Struct):
    """What the gateway let through and turned away."""

    admitted: int = 0
    unauthorized: int = 0
    rate_limited: int = 0
    unavailable: int = 0
    replayed: int = 0


class ErpGateway:
    """ASGI wrapper enforcing auth, rate limit, faults and idempotency on ``/api`` paths."""

    def __init__(
        self,
        app: AsgiApp,
        config: ErpSimulatorConfig,
        issuer: TokenIssuer,
        clock: Callable[[], float],
    ) -> None:
        self._app = app
        self._config = config
        self._issuer = issuer
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._lock = threading.Lock()
        self.faults = FaultInjector(config.faults)
        self.idempotency = IdempotencyCache()
        self.counters = GatewayCounters()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection."""
        if scope["type"] != "http" or not str(scope["path"]).startswith("/api/"):
            await self._app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        client, reason = self._authenticate(headers.get("authorization", ""))
        if client is None:
            self.counters.unauthorized += 1
            challenge = f'Bearer realm="erp", error="invalid_token", error_description="{reason}"'
            await _answer(send, 401, reason, [(b"www-authenticate", challenge.encode())])
            return
        wait = self._take_token(client)
        if wait > 0:
            self.counters.rate_limited += 1
            retry = str(max(1, math.ceil(wait))).encode()
            await _answer(send, 429, "rate limit exceeded", [(b"retry-after", retry)])
            return
        self.counters.admitted += 1
        fate = self.faults.decide()
        if fate.unavailable:
            self.counters.unavailable += 1
            extra = []
            if self._config.faults.burst_retry_after is not None:
                extra.append((b"retry-after", str(self._config.faults.burst_retry_after).encode()))
            await _answer(send, 503, "service temporarily unavailable", extra)
            return
        key = headers.get("idempotency-key")
        if scope["method"] != "POST" or not key:
            await self._run(scope, receive, send, fate.delay, None)
            return
        body = await _read_body(receive)
        print_ = fingerprint("POST", str(scope["path"]), body)
        claim, stored = self.idempotency.claim(client, key, print_)
        if claim is Claim.REPLAY and stored is not None:
            self.counters.replayed += 1
            headers_out = [*stored.headers, (b"idempotent-replayed", b"true")]
            await asyncio.sleep(fate.delay)
            await _send_stored(send, stored.status, headers_out, stored.body)
        elif claim is Claim.IN_FLIGHT:
            await _answer(
                send,
                409,
                "a request with this Idempotency-Key is in progress",
                [(b"retry-after", b"1")],
            )
        elif claim is Claim.MISMATCH:
            await _answer(send, 422, "Idempotency-Key was already used with another payload", [])
        else:
            await self._run(scope, _replay(body, receive), send, fate.delay, (client, key, print_))

    def _authenticate(self, authorization: str) -> tuple[str | None, str]:
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None, "a Bearer access token is required"
        return self._issuer.client_of(token.strip())

    def _take_token(self, client: str) -> float:
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                bucket = TokenBucket(self._config.rate_limit, self._config.rate_burst, now)
                self._buckets[client] = bucket
            return bucket.try_take(now)

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        delay: float,
        claim: tuple[str, str, str] | None,
    ) -> None:
        """Run the resource app, keep its answer for the idempotency key, answer (late)."""
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(bytes(message.get("body", b"")))

        try:
            await self._app(scope, receive, capture)
        finally:
            if claim is not None:
                client, key, print_ = claim
                status = int(start.get("status", 500))
                # Failures a retry may cure are not kept: the retry must run again.
                keep = status < 500 and status not in {409, 429}
                stored = StoredResponse(
                    print_, status, list(start.get("headers", [])), b"".join(chunks)
                )
                self.idempotency.complete(client, key, stored if keep else None)
        if delay > 0:
            await asyncio.sleep(delay)
        await _send_stored(
            send, int(start["status"]), list(start.get("headers", [])), b"".join(chunks)
        )


async def _read_body(receive: Receive) -> bytes:
    body = bytearray()
    while True:
        message = await receive()
        body.extend(message.get("body", b""))
        if not message.get("more_body", False):
            return bytes(body)


def _replay(body: bytes, downstream: Receive) -> Receive:
    """A receive channel that gives the already-read body once, then the real channel."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await downstream()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _send_stored(send: Send, status: int, headers: list[Any], body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


async def _answer(send: Send, status: int, detail: str, headers: list[tuple[bytes, bytes]]) -> None:
    body = msgspec.json.encode({"status_code": status, "detail": detail})
    all_headers = [(b"content-type", b"application/json"), *headers]
    all_headers.append((b"content-length", str(len(body)).encode()))
    await _send_stored(send, status, all_headers, body)
