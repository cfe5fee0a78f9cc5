"""The API's Litestar application: process, domain and system APIs under ``/v1``, OpenAPI at
``/schema/openapi.json`` (generated from the handlers and models, never written by hand)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import structlog
from litestar import Litestar, Response, get
from litestar.exceptions import HTTPException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, OAuthFlow, OAuthFlows, SecurityScheme
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from careweave.connectors.http_source.api_config import ApiConfig
from careweave.exceptions import NotFoundError, ValidationError
from careweave.gateway.api.catalog_routes import API_GROUPS, catalog_handlers
from careweave.gateway.api.context import ApiBackend, ApiContext
from careweave.gateway.api.groups import LifecyclePolicy, lifecycles
from careweave.gateway.api.routes_domain import identity_handlers, masterdata_handlers
from careweave.gateway.api.routes_oauth import oauth_handlers
from careweave.gateway.api.routes_process import case_handlers, message_handlers
from careweave.gateway.api.routes_system import system_handlers
from careweave.gateway.api.routing import SECURITY_SCHEME
from careweave.gateway.api.scopes import Scope
from careweave.gateway.api.security import ApiSecurity, Throttle
from careweave.gateway.api.tokens import TokenAuthority
from careweave.gateway.console import AnalyticsReader, ConsoleAuth, ConsoleContext, console_router
from careweave.gateway.http_common import AnyRequest

log = structlog.get_logger("careweave.api")

API_VERSION = "1"


def _problem(status: int, detail: str, headers: dict[str, str] | None = None) -> Response[Any]:
    return Response(
        {"status_code": status, "detail": detail},
        status_code=status,
        headers=headers or {},
        media_type="application/json",
    )


def _http_error(_request: AnyRequest, exc: HTTPException) -> Response[Any]:
    return _problem(exc.status_code, exc.detail, dict(exc.headers or {}))


def _not_found(_request: AnyRequest, exc: NotFoundError) -> Response[Any]:
    return _problem(404, exc.message)


def _invalid(_request: AnyRequest, exc: ValidationError) -> Response[Any]:
    return _problem(409, exc.message)


def _bug(_request: AnyRequest, exc: Exception) -> Response[Any]:
    log.exception("api handler failed", error_type=type(exc).__name__)
    return _problem(HTTP_500_INTERNAL_SERVER_ERROR, "internal error")


def _openapi() -> OpenAPIConfig:
    flows = OAuthFlows(
        client_credentials=OAuthFlow(
            token_url="/v1/oauth/token",  # noqa: S106 (a path, not a password)
            scopes={str(s): s.name.lower() for s in Scope},
        )
    )
    return OpenAPIConfig(
        title="careweave API",
        version=API_VERSION,
        path="/schema",
        components=Components(
            security_schemes={SECURITY_SCHEME: SecurityScheme(type="oauth2", flows=flows)}
        ),
        create_examples=False,
    )


def _metrics(backend: ApiBackend) -> Any:
    @get("/metrics", include_in_schema=False, media_type="text/plain")
    async def metrics() -> Response[bytes]:
        """Prometheus exposition of the engine's metrics (counts only, no PHI: no token)."""
        body, content_type = await backend.engine.metrics.scrape()
        return Response(body, media_type=content_type)

    return metrics


def lifecycle_policy(config: ApiConfig) -> LifecyclePolicy:
    """Each API group's lifecycle (``[api.lifecycle]`` over the code's; ConfigError naming an
    unknown group) and what it does to the group's routes."""
    today = dt.datetime.now(dt.UTC).date()
    return LifecyclePolicy(lifecycles(API_GROUPS, config.lifecycle), today=today)


def build_api_app(
    backend: ApiBackend,
    config: ApiConfig,
    authority: TokenAuthority,
    security: ApiSecurity,
    *,
    analytics: AnalyticsReader | None = None,
) -> Litestar:
    """The API application over ``backend`` (an ``Application``), with the operations console
    under ``/console`` (``analytics``: what its dashboard reads the business figures with)."""
    ctx = ApiContext(backend)
    lifecycle = lifecycle_policy(config)
    handlers = [
        *oauth_handlers(authority, Throttle(config.rate, config.burst)),
        *message_handlers(ctx, security),
        *case_handlers(ctx, security),
        *masterdata_handlers(ctx, security),
        *identity_handlers(ctx, security),
        *system_handlers(ctx, security),
        *catalog_handlers(ctx, security, lifecycle.lifecycle),
        _metrics(backend),
        # The console's pages: same application, same tokens and scopes, not in the OpenAPI.
        console_router(ConsoleContext(ctx, ConsoleAuth(authority), analytics)),
    ]
    return Litestar(
        route_handlers=handlers,
        request_max_body_size=config.max_body_bytes,
        openapi_config=_openapi(),
        exception_handlers={
            HTTPException: _http_error,
            NotFoundError: _not_found,
            ValidationError: _invalid,
            Exception: _bug,
        },
        logging_config=None,
        # Retired groups answer 410 before any token is read; deprecated ones carry headers.
        guards=[lifecycle.guard],
        before_send=[lifecycle.before_send],
    )
