"""The guard every governed route shares: bearer token -> principal -> scopes -> throttle.

The API's routes and the channels' HTTP sources (FHIR endpoint, rest-hook) use the same
:class:`ApiSecurity`: no token or a bad one is 401 (with ``WWW-Authenticate``), a token without
the route's scopes 403, a client past its rate on a route 429 with ``Retry-After``. A route names
its scopes in its handler's ``opt["scopes"]`` (``opt["public"]``: no token needed, as for a FHIR
server's ``metadata``); the verified principal is left in the request's state for the handler
(``principal_of``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import (
    NotAuthorizedException,
    PermissionDeniedException,
    TooManyRequestsException,
)
from litestar.handlers.base import BaseRouteHandler

from careweave.gateway.api.tokens import Principal, TokenAuthority, TokenError

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Any]

_MAX_BUCKETS = 10_000
"""Buckets kept at most (clients x routes); full ones are dropped first when there are more."""


class Throttle:
    """A token bucket per (client, route): ``rate`` a second on average, ``burst`` at once."""

    def __init__(
        self, rate: float, burst: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def take(self, client: str, route: str) -> float:
        """0 when the request may go on, else the seconds until it may."""
        now = self._clock()
        tokens, stamp = self._buckets.get((client, route), (self.burst, now))
        tokens = min(self.burst, tokens + (now - stamp) * self.rate)
        if tokens >= 1.0:
            self._remember((client, route), (tokens - 1.0, now))
            return 0.0
        self._remember((client, route), (tokens, now))
        return (1.0 - tokens) / self.rate

    def _remember(self, key: tuple[str, str], value: tuple[float, float]) -> None:
        if len(self._buckets) >= _MAX_BUCKETS and key not in self._buckets:
            # A bucket that has refilled holds no information: forget those first.
            now = self._clock()
            self._buckets = {
                k: (t, s)
                for k, (t, s) in self._buckets.items()
                if t + (now - s) * self.rate < self.burst
            }
        self._buckets[key] = value


def bearer(connection: ASGIConnection[Any, Any, Any, Any]) -> str | None:
    """The bearer token of the request's Authorization header, or None."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def principal_of(connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
    """The principal the guard verified for this request."""
    principal = connection.state.get("principal")
    if not isinstance(principal, Principal):  # a route without the guard: a wiring mistake
        raise NotAuthorizedException("no verified token")
    return principal


def _route(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The route template (``/v1/messages/{message_id:int}``), so ids do not split buckets."""
    return str(connection.scope.get("path_template") or connection.url.path)


class ApiSecurity:
    """Authentication, scopes and throttling, as a Litestar guard."""

    def __init__(self, authority: TokenAuthority, throttle: Throttle) -> None:
        self.authority = authority
        self.throttle = throttle

    async def authenticate(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Principal:
        """The principal of the request's token; 401 when there is none or it is not valid."""
        token = bearer(connection)
        if token is None:
            raise NotAuthorizedException(
                "a bearer token is required",
                headers={"WWW-Authenticate": 'Bearer realm="careweave"'},
            )
        try:
            return await self.authority.verify(token)
        except TokenError as exc:
            raise NotAuthorizedException(
                exc.description,
                headers={"WWW-Authenticate": f'Bearer realm="careweave", error="{exc.error}"'},
            ) from exc

    async def guard(
        self, connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        """Litestar guard: authenticate, check the handler's scopes, take a throttle token."""
        if handler.opt.get("public"):  # a FHIR server's CapabilityStatement
            return
        principal = await self.authenticate(connection)
        needed = frozenset(handler.opt.get("scopes", ()))
        if missing := sorted(needed - principal.scopes):
            raise PermissionDeniedException(f"this route needs scope {' '.join(missing)}")
        wait = self.throttle.take(principal.client_id, _route(connection))
        if wait > 0:
            raise TooManyRequestsException(
                "rate limit reached for this client on this route",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
        connection.state["principal"] = principal
