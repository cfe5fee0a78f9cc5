"""Logging in and out."""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from litestar import Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect

from careweave.gateway.api.tokens import TokenError
from careweave.gateway.console.auth import (
    LOGIN_COOKIE,
    AnyRequest,
    LoginRequired,
    cleared,
    is_https,
    login_nonce_cookie,
    session_cookie,
)
from careweave.gateway.console.context import ConsoleContext
from careweave.gateway.console.html import Html, field, hidden, tag
from careweave.gateway.console.layout import bare
from careweave.model.audit import AuditEntry

HOME = "/console"


def safe_next(target: str | None) -> str:
    """Where to go after logging in: a console path of this site, never another site."""
    if not target or not target.startswith(HOME) or target.startswith("//") or "\\" in target:
        return HOME
    return target


def _login_page(target: str, error: str | None, *, secure: bool, status: int) -> Response[str]:
    nonce = secrets.token_urlsafe(24)
    body = tag(
        "form",
        hidden("nonce", nonce),
        hidden("next", target),
        field("User", "user", autocomplete="username", required=True, autofocus=True),
        field(
            "Password", "password", kind="password", autocomplete="current-password", required=True
        ),
        tag("button", "Log in", type="submit"),
        method="post",
        action="/console/login",
        class_="box",
    )
    shown: list[Html] = [tag("div", error, class_="error")] if error else []
    response = bare("Log in", *shown, body, status=status)
    response.set_cookie(login_nonce_cookie(nonce, secure=secure))
    return response


def login_handlers(ctx: ConsoleContext) -> list[HTTPRouteHandler]:
    """The login form, logging in, logging out."""

    @get("/login")
    async def login_form(request: AnyRequest) -> Response[str]:
        """The login form (query ``next``: the page to go back to)."""
        target = safe_next(request.query_params.get("next"))
        reason = request.query_params.get("why")
        error = "Your session has ended; please log in again." if reason == "expired" else None
        return _login_page(target, error, secure=is_https(request), status=200)

    @post("/login", status_code=303)
    async def login(request: AnyRequest) -> Response[Any]:
        """Check the user's password; set the session cookie and go where the user was going."""
        data = await request.form()
        fields = {k: v for k, v in data.items() if isinstance(v, str)}
        target = safe_next(fields.get("next"))
        secure = is_https(request)
        nonce = request.cookies.get(LOGIN_COOKIE, "")
        if not nonce or not hmac.compare_digest(nonce, fields.get("nonce", "")):
            return _login_page(
                target, "The login form expired; please try again.", secure=secure, status=400
            )
        user = fields.get("user", "").strip()
        try:
            address = request.client.host if request.client is not None else "-"
            token, ttl = ctx.auth.login(address, user, fields.get("password", ""))
        except TokenError:
            return _login_page(target, "Unknown user or wrong password.", secure=secure, status=401)
        await ctx.store.append_audit(
            AuditEntry(actor=user, action="console.login", subject=f"user:{user}", detail={})
        )
        response: Response[Any] = Redirect(target, status_code=303)
        response.set_cookie(session_cookie(token, ttl, secure=secure))
        response.delete_cookie(LOGIN_COOKIE, path=HOME)
        return response

    @post("/logout", status_code=303)
    async def logout(request: AnyRequest) -> Response[Any]:
        """End the session (its cookie is deleted)."""
        try:
            session, _fields = await ctx.auth.form(request)
        except LoginRequired:
            return cleared(Redirect("/console/login", status_code=303))
        await ctx.store.append_audit(
            AuditEntry(
                actor=session.user,
                action="console.logout",
                subject=f"user:{session.user}",
                detail={},
            )
        )
        return cleared(Redirect("/console/login", status_code=303))

    return [login_form, login, logout]
