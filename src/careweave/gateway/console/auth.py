"""Console login: the API's own signed token in a cookie, verified and scoped as the API does.

``POST /console/login`` asks the token authority to log the user in (password compared with
``hmac.compare_digest``); the token it issues for the user's role is set as an HttpOnly,
SameSite=Strict cookie scoped to ``/console``. Every page calls :meth:`ConsoleAuth.session`, which
verifies the cookie with :meth:`TokenAuthority.verify` (signature, expiry, audience) and checks the
page's scopes against the token's: no cookie or a bad one raises :class:`LoginRequired` (the
router answers with a redirect to the login page), a missing scope :class:`Forbidden` (a 403
page). A form that changes something carries a CSRF token derived from the session token under a
per-process key (:meth:`Session.csrf`): a page of another site can neither read the cookie nor
compute it.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie

from careweave.gateway.api.scopes import Scope
from careweave.gateway.api.security import Throttle
from careweave.gateway.api.tokens import Principal, TokenAuthority, TokenError

SESSION_COOKIE = "cw_session"
"""The cookie holding the session token."""
LOGIN_COOKIE = "cw_login"
"""The cookie holding the login form's CSRF nonce (there is no session yet to bind it to)."""
PATH = "/console"
"""Where the console lives, and the cookies' path."""
LOGIN_RATE, LOGIN_BURST = 0.2, 10
"""Failed logins per client address: 10 at once, then one every 5 seconds (password guessing)."""

AnyRequest = Request[Any, Any, Any]


class LoginRequired(Exception):
    """No session, or one that no longer verifies: the user must log in."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Forbidden(Exception):
    """The session lacks a scope the page needs."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(f"this page needs scope {' '.join(missing)}")
        self.missing = missing


class BadForm(Exception):
    """A form without the right CSRF token, or with a field missing or wrong."""


class TooManyLogins(Exception):
    """An address tried to log in too often; ``retry_after`` seconds until it may again."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many login attempts; try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Session:
    """A verified console session: who, what they may do, and the token of their forms."""

    principal: Principal
    csrf: str

    @property
    def user(self) -> str:
        """The user's name (the actor of what they do)."""
        return self.principal.client_id

    def may(self, *scopes: Scope) -> bool:
        """True when the session holds every one of ``scopes``."""
        return all(str(s) in self.principal.scopes for s in scopes)

    @property
    def phi(self) -> bool:
        """True when the user may see PHI."""
        return self.may(Scope.PHI_READ)


class ConsoleAuth:
    """Sessions of the console, over the API's token authority."""

    def __init__(
        self,
        authority: TokenAuthority,
        *,
        throttle: Throttle | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.authority = authority
        self.throttle = throttle or Throttle(LOGIN_RATE, LOGIN_BURST, clock=clock)
        self._clock = clock
        self._blocked: dict[str, float] = {}
        # CSRF tokens are HMACs of the session token under a key of this process: a restart
        # invalidates open forms, never a session.
        self._key = secrets.token_bytes(32)

    def _csrf(self, token: str) -> str:
        return hmac.new(self._key, token.encode(), hashlib.sha256).hexdigest()

    async def session(self, request: AnyRequest, *scopes: Scope) -> Session:
        """The request's verified session holding ``scopes``; LoginRequired or Forbidden."""
        token = request.cookies.get(SESSION_COOKIE)
        if not token:
            raise LoginRequired("please log in")
        try:
            principal = await self.authority.verify(token)
        except TokenError as exc:
            raise LoginRequired("your session has ended, please log in again") from exc
        if missing := sorted({str(s) for s in scopes} - principal.scopes):
            raise Forbidden(missing)
        return Session(principal, self._csrf(token))

    async def form(self, request: AnyRequest, *scopes: Scope) -> tuple[Session, dict[str, str]]:
        """The session (holding ``scopes``) and the fields of a POSTed form whose CSRF token is
        the session's; BadForm when it is not."""
        session = await self.session(request, *scopes)
        data = await request.form()
        fields = {k: v for k, v in data.items() if isinstance(v, str)}
        if not hmac.compare_digest(fields.get("csrf", ""), session.csrf):
            raise BadForm("the form has expired or did not come from this console; try again")
        return session, fields

    def login(self, address: str, user: str, password: str) -> tuple[str, int]:
        """A session token and its lifetime for a user whose password matches; TokenError, or
        TooManyLogins while ``address`` has failed too often (failures only count: a team behind
        one address logging in is not throttled)."""
        now = self._clock()
        if (until := self._blocked.get(address, 0.0)) > now:
            raise TooManyLogins(max(1, math.ceil(until - now)))
        try:
            issued = self.authority.login(user, password)
        except TokenError:
            if (wait := self.throttle.take(address, "login")) > 0:
                if len(self._blocked) > 10_000:  # bounded: forget the addresses free again
                    self._blocked = {a: t for a, t in self._blocked.items() if t > now}
                self._blocked[address] = now + wait
            raise
        return issued.access_token, issued.expires_in


def session_cookie(token: str, max_age: int, *, secure: bool) -> Cookie:
    """The session cookie: HttpOnly, SameSite=Strict, only sent to the console's paths."""
    return Cookie(
        key=SESSION_COOKIE,
        value=token,
        path=PATH,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=secure,
    )


def login_nonce_cookie(nonce: str, *, secure: bool) -> Cookie:
    """The login form's CSRF nonce (double-submit: the form carries the same value)."""
    return Cookie(
        key=LOGIN_COOKIE,
        value=nonce,
        path=PATH,
        max_age=3600,
        httponly=True,
        samesite="strict",
        secure=secure,
    )


def cleared(response: Response[Any]) -> Response[Any]:
    """``response`` deleting the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path=PATH)
    return response


def is_https(request: AnyRequest) -> bool:
    """True when the request came over TLS (the cookies are then marked Secure)."""
    return request.url.scheme == "https"
