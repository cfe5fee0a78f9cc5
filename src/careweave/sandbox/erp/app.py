"""Assembly of the simulated cloud ERP: token endpoint, v1 and v2 APIs, admin view, gateway."""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable
from typing import Any, cast

from litestar import Litestar, Request, Response, Router, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import Provide

from careweave.exceptions import ValidationError
from careweave.sandbox.erp.auth import TokenIssuer
from careweave.sandbox.erp.config import ErpSimulatorConfig
from careweave.sandbox.erp.gateway import AsgiApp, ErpGateway
from careweave.sandbox.erp.routes_common import COMMON_CONTROLLERS
from careweave.sandbox.erp.routes_versioned import (
    ItemsV1Controller,
    ItemsV2Controller,
    JournalsV1Controller,
    JournalsV2Controller,
)
from careweave.sandbox.erp.state import ErpState


class ErpSimulator:
    """The simulated ERP: its books, token issuer and gateway, and the ASGI app serving them.

    Tests read the books directly (``simulator.state.journals()``) or over ``GET /admin/state``.
    """

    def __init__(
        self,
        config: ErpSimulatorConfig | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        state: ErpState | None = None,
    ) -> None:
        self.config = config or ErpSimulatorConfig()
        self.state = state or ErpState()
        self.issuer = TokenIssuer(self.config.clients, self.config.token_ttl, clock)
        self.resources = self._build_litestar()
        self.gateway = ErpGateway(
            cast(AsgiApp, self.resources), self.config, self.issuer, clock=clock
        )

    @property
    def app(self) -> AsgiApp:
        """The ASGI application to serve."""
        return self.gateway

    def admin_view(self) -> dict[str, Any]:
        """Counts of records, gateway outcomes and faults: what tests and operators look at."""
        counters = self.gateway.counters
        return {
            "records": self.state.counts(),
            "gateway": {
                "admitted": counters.admitted,
                "unauthorized": counters.unauthorized,
                "rate_limited": counters.rate_limited,
                "unavailable": counters.unavailable,
                "replayed": counters.replayed,
            },
            "tokens_issued": self.issuer.issued,
            "slow_answers": self.gateway.faults.slow_answers,
        }

    def _build_litestar(self) -> Litestar:
        v1_headers = [
            ResponseHeader(name="Deprecation", value=self.config.deprecated_since),
            ResponseHeader(name="Sunset", value=self.config.sunset),
            ResponseHeader(name="Link", value='</api/v2>; rel="successor-version"'),
        ]
        v1 = Router(
            "/api/v1",
            route_handlers=[*COMMON_CONTROLLERS, ItemsV1Controller, JournalsV1Controller],
            response_headers=v1_headers,
        )
        v2 = Router(
            "/api/v2",
            route_handlers=[*COMMON_CONTROLLERS, ItemsV2Controller, JournalsV2Controller],
        )
        issuer = self.issuer

        @post("/oauth/token", status_code=200)
        async def issue_token(request: Request[Any, Any, Any]) -> Response[dict[str, Any]]:
            """OAuth2 client-credentials grant (form-encoded, secret in the form or Basic)."""
            form = await request.form()
            if form.get("grant_type") != "client_credentials":
                return _oauth_error(400, "unsupported_grant_type")
            client_id, secret = _basic_credentials(request.headers.get("authorization", ""))
            client_id = str(form.get("client_id") or client_id)
            secret = str(form.get("client_secret") or secret)
            token = issuer.issue(client_id, secret)
            if token is None:
                return _oauth_error(401, "invalid_client")
            return Response(
                {
                    "access_token": token.access_token,
                    "token_type": token.token_type,
                    "expires_in": token.expires_in,
                    "scope": token.scope,
                },
                headers={"Cache-Control": "no-store"},
            )

        @get("/admin/state")
        async def admin_state() -> dict[str, Any]:
            """Counts of what the ERP holds and what its gateway did."""
            return self.admin_view()

        @post("/admin/revoke-tokens", status_code=204)
        async def revoke_tokens() -> None:
            """Invalidate every access token."""
            issuer.revoke_all()

        @get("/health")
        async def health() -> dict[str, str]:
            """Liveness."""
            return {"status": "ok"}

        state = self.state
        return Litestar(
            route_handlers=[v1, v2, issue_token, admin_state, revoke_tokens, health],
            dependencies={"erp": Provide(lambda: state, sync_to_thread=False)},
            exception_handlers={ValidationError: _unprocessable},
            signature_namespace={"ErpState": ErpState},
            # The simulator runs inside other programs (tests, the demo): it must not take over
            # their root logger, as Litestar's default logging configuration would.
            logging_config=None,
        )


def _unprocessable(_: Request[Any, Any, Any], exc: ValidationError) -> Response[dict[str, Any]]:
    return Response({"status_code": 422, "detail": exc.message}, status_code=422)


def _oauth_error(status: int, error: str) -> Response[dict[str, Any]]:
    headers = {"WWW-Authenticate": 'Basic realm="erp"'} if status == 401 else {}
    return Response({"error": error}, status_code=status, headers=headers)


def _basic_credentials(authorization: str) -> tuple[str, str]:
    scheme, _, encoded = authorization.partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        decoded = base64.b64decode(encoded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    client_id, _, secret = decoded.partition(":")
    return client_id, secret
