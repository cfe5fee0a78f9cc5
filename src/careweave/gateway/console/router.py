"""The console's routes under ``/console``, kept out of the OpenAPI document, and how it answers
what goes wrong: no session -> the login page, a missing scope -> a 403 page, a stale form -> 400,
a missing record -> 404, a refused change -> 409, each as a page, never JSON."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import Response, Router
from litestar.exceptions import HTTPException
from litestar.response import Redirect

from careweave.exceptions import ConfigError, NotFoundError, ValidationError
from careweave.gateway.console.auth import (
    PATH,
    AnyRequest,
    BadForm,
    Forbidden,
    LoginRequired,
    TooManyLogins,
)
from careweave.gateway.console.context import ConsoleContext
from careweave.gateway.console.html import link, tag, url
from careweave.gateway.console.layout import bare
from careweave.gateway.console.pages_cases import case_handlers
from careweave.gateway.console.pages_dashboard import dashboard_handlers
from careweave.gateway.console.pages_deadletters import deadletter_handlers
from careweave.gateway.console.pages_login import login_handlers
from careweave.gateway.console.pages_messages import message_handlers
from careweave.gateway.console.pages_overview import overview_handlers
from careweave.gateway.console.pages_reconciliation import reconciliation_handlers

log = structlog.get_logger("careweave.console")


def _back() -> object:
    return tag("p", link("Back to the console", PATH))


def _login_required(request: AnyRequest, exc: LoginRequired) -> Response[Any]:
    # A page asked for by GET comes back after the login; a form's target would answer 405.
    target = request.url.path if request.method == "GET" else PATH
    if request.url.query:
        target = f"{target}?{request.url.query}" if request.method == "GET" else target
    why = "expired" if "ended" in exc.reason else None
    response: Response[Any] = Redirect(url(f"{PATH}/login", next=target, why=why), status_code=303)
    return response


def _forbidden(_request: AnyRequest, exc: Forbidden) -> Response[Any]:
    return bare("Not allowed", tag("div", str(exc), class_="error"), _back(), status=403)


def _bad_form(_request: AnyRequest, exc: BadForm) -> Response[Any]:
    return bare("Not done", tag("div", str(exc), class_="error"), _back(), status=400)


def _too_many(_request: AnyRequest, exc: TooManyLogins) -> Response[Any]:
    response = bare("Log in", tag("div", str(exc), class_="error"), status=429)
    response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _not_found(_request: AnyRequest, exc: NotFoundError) -> Response[Any]:
    return bare("Not found", tag("div", exc.message, class_="error"), _back(), status=404)


def _refused(_request: AnyRequest, exc: ValidationError | ConfigError) -> Response[Any]:
    return bare("Not done", tag("div", exc.message, class_="error"), _back(), status=409)


def _http(_request: AnyRequest, exc: HTTPException) -> Response[Any]:
    return bare("Error", tag("div", exc.detail, class_="error"), _back(), status=exc.status_code)


def _bug(_request: AnyRequest, exc: Exception) -> Response[Any]:
    log.exception("console page failed", error_type=type(exc).__name__)
    return bare("Error", tag("div", "internal error", class_="error"), _back(), status=500)


def console_router(ctx: ConsoleContext) -> Router:
    """Every console page under ``/console`` (none in the OpenAPI document)."""
    handlers = [
        *login_handlers(ctx),
        *overview_handlers(ctx),
        *message_handlers(ctx),
        *case_handlers(ctx),
        *deadletter_handlers(ctx),
        *reconciliation_handlers(ctx),
        *dashboard_handlers(ctx),
    ]
    return Router(
        path=PATH,
        route_handlers=handlers,
        include_in_schema=False,
        exception_handlers={
            LoginRequired: _login_required,
            Forbidden: _forbidden,
            BadForm: _bad_form,
            TooManyLogins: _too_many,
            NotFoundError: _not_found,
            ValidationError: _refused,
            ConfigError: _refused,
            HTTPException: _http,
            Exception: _bug,
        },
    )
