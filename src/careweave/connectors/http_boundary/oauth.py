"""OAuth2 client-credentials bearer tokens: fetched once, shared, refreshed before they expire.

How the client proves who it is at the token endpoint is a strategy (:class:`BaseClientAuth`):
:class:`ClientSecretAuth` sends a client secret (``client_secret_post``), :class:`PrivateKeyJwtAuth`
a JWT signed with the client's private key (``private_key_jwt``, RFC 7523, as SMART backend
services require). :class:`OAuth2TokenCache` holds the token, whichever strategy got it:

- concurrent callers that find no valid token share one token request (single flight), and its
  failure too;
- a token is replaced ``leeway`` seconds (at most half its life) before it expires;
- a caller whose request was answered 401 calls :meth:`~OAuth2TokenCache.invalidate`, and the
  next :meth:`~OAuth2TokenCache.get` fetches a new token.
"""

from __future__ import annotations

import abc
import asyncio
import time
import uuid
from collections.abc import Callable

import httpx
import jwt
import msgspec
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from careweave.connectors.http_boundary.errors import error_for_response, excerpt, send
from careweave.exceptions import PermanentDeliveryError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
"""The ``client_assertion_type`` of a JWT bearer client assertion (RFC 7523)."""

ASSERTION_LIFETIME = 300.0
"""Seconds a client assertion is valid: SMART allows no more than five minutes."""

PrivateKey = RSAPrivateKey | EllipticCurvePrivateKey


class BaseClientAuth(abc.ABC):
    """How a client authenticates a client-credentials token request."""

    client_id: str
    credential: str
    """What the client presents, for messages (``"client credentials"``, ``"client assertion"``)."""

    @abc.abstractmethod
    def form(self, token_url: str) -> dict[str, str]:
        """The client-authentication fields of a token request sent to ``token_url``."""


class ClientSecretAuth(BaseClientAuth):
    """``client_id`` and ``client_secret`` in the form (``client_secret_post``)."""

    credential = "client credentials"

    def __init__(self, client_id: str, secret: str) -> None:
        self.client_id = client_id
        self._secret = secret

    def __repr__(self) -> str:
        return f"ClientSecretAuth(client_id={self.client_id!r})"

    def form(self, token_url: str) -> dict[str, str]:
        """The client id and secret."""
        return {"client_id": self.client_id, "client_secret": self._secret}


def signed_client_assertion(
    client_id: str,
    audience: str,
    key: PrivateKey,
    *,
    algorithm: str,
    key_id: str = "",
    now: float,
    jti: str | None = None,
) -> str:
    """A JWT (``iss`` = ``sub`` = client id, ``aud`` = the token URL) signed with ``key``."""
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "jti": jti or uuid.uuid4().hex,
        "iat": int(now),
        "exp": int(now + ASSERTION_LIFETIME),
    }
    headers = {"kid": key_id, "typ": "JWT"} if key_id else {"typ": "JWT"}
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


class PrivateKeyJwtAuth(BaseClientAuth):
    """A fresh signed client assertion per token request (``private_key_jwt``).

    ``clock`` returns wall-clock seconds: the assertion's ``iat`` and ``exp`` are epoch times.
    """

    credential = "client assertion"

    def __init__(
        self,
        client_id: str,
        key: PrivateKey,
        *,
        algorithm: str = "RS384",
        key_id: str = "",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client_id = client_id
        self._key = key
        self._algorithm = algorithm
        self._key_id = key_id
        self._clock = clock

    def form(self, token_url: str) -> dict[str, str]:
        """The assertion type and a new assertion whose audience is ``token_url``."""
        assertion = signed_client_assertion(
            self.client_id,
            token_url,
            self._key,
            algorithm=self._algorithm,
            key_id=self._key_id,
            now=self._clock(),
        )
        return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}


class _TokenAnswer(msgspec.Struct):
    access_token: str
    expires_in: float | None = None
    token_type: str = "bearer"  # noqa: S105 (the scheme name, not a secret)


class OAuth2TokenCache:
    """The current bearer token of one client at one token endpoint.

    ``token_url`` may be relative to the ``http`` client's base URL. ``clock`` is any clock that
    never goes back (tests pass their own to pass a token's expiry without sleeping).
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        token_url: str,
        client_auth: BaseClientAuth,
        *,
        scope: str = "",
        leeway: float = 60.0,
        default_lifetime: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._http = http
        self.token_url = token_url
        self.client_auth = client_auth
        self._scope = scope
        self._leeway = leeway
        self._default_lifetime = default_lifetime
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._inflight: asyncio.Task[str] | None = None
        self.fetched = 0
        """Tokens obtained so far (tests and metrics)."""

    async def get(self) -> str:
        """A token that is not about to expire, fetched when there is none."""
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        task = self._inflight
        if task is None:
            task = asyncio.get_running_loop().create_task(self._fetch())
            task.add_done_callback(_retrieve)
            self._inflight = task
        # Shielded: a caller that gives up does not cancel the request the others wait for.
        return await asyncio.shield(task)

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (a server answered 401 to it); a newer one fetched meanwhile is kept."""
        if self._token == token:
            self._token = None

    async def _fetch(self) -> str:
        try:
            return await self._request_token()
        finally:
            self._inflight = None

    async def _request_token(self) -> str:
        auth = self.client_auth
        what = f"token request of {auth.client_id!r}"
        form = {"grant_type": "client_credentials", **auth.form(self._absolute_token_url())}
        if self._scope:
            form["scope"] = self._scope
        started = self._clock()
        response = await send(self._http, "POST", self.token_url, what=what, data=form)
        if response.status_code in {400, 401, 403}:
            # RFC 6749 §5.2: invalid_client / unauthorized_client; retrying will not help.
            raise PermanentDeliveryError(
                f"{what}: the server refused the {auth.credential} of {auth.client_id!r} "
                f"({response.status_code}): {excerpt(response.text)}",
                status=response.status_code,
                response=excerpt(response.text, 500),
            )
        if not response.is_success:
            raise error_for_response(response, what)
        try:
            # strict=False: some servers send expires_in as a string.
            answer = msgspec.json.decode(response.content, type=_TokenAnswer, strict=False)
        except msgspec.DecodeError as exc:
            raise PermanentDeliveryError(f"{what}: malformed token answer: {exc}") from exc
        if answer.token_type.lower() != "bearer":
            raise PermanentDeliveryError(f"{what}: unsupported token type {answer.token_type!r}")
        lifetime = self._default_lifetime if answer.expires_in is None else answer.expires_in
        lifetime = max(0.0, lifetime)
        # Ahead of expiry by the leeway, but never later than half-way through a short-lived
        # token's life, so that it is neither fetched per request nor used at the last instant.
        self._refresh_at = started + lifetime - min(self._leeway, lifetime / 2)
        self._token = answer.access_token
        self.fetched += 1
        return answer.access_token

    def _absolute_token_url(self) -> str:
        # An assertion's audience is the full token endpoint URL, even when configured relative
        # (httpx appends a relative URL to the base URL's path).
        if self.token_url.startswith(("http://", "https://")) or not self._http.base_url.host:
            return self.token_url
        return f"{str(self._http.base_url).rstrip('/')}/{self.token_url.lstrip('/')}"


def _retrieve(task: asyncio.Task[str]) -> None:
    # Every waiter may have been cancelled: mark the failure as seen so that it is not logged as
    # "never retrieved"; the next get() starts a new request.
    if not task.cancelled():
        task.exception()
