"""SMART backend services authentication: a signed JWT client assertion for an access token.

The client signs a short-lived JWT (``iss`` = ``sub`` = client id, ``aud`` = the token URL, a
unique ``jti``, ``exp`` at most five minutes ahead) with its private key and posts it as a
``client_credentials`` grant. The EHR verifies the signature with the public key registered for
the client. The token is cached until shortly before it expires; a 401 from the FHIR API makes
the caller :meth:`~SmartTokenSource.invalidate` it, and the next call fetches a new one.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from pathlib import Path

import httpx
import jwt
import msgspec
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from careweave.connectors.fhir_client.config import FhirClientConfig
from careweave.connectors.fhir_client.errors import error_for_exception, error_for_response
from careweave.exceptions import ConfigError, PermanentDeliveryError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
"""The ``client_assertion_type`` of a JWT bearer client assertion (RFC 7523)."""

ASSERTION_LIFETIME = 300.0
"""Seconds a client assertion is valid: SMART allows no more than five minutes."""

PrivateKey = RSAPrivateKey | EllipticCurvePrivateKey


class _TokenAnswer(msgspec.Struct):
    access_token: str
    expires_in: float = 300.0
    token_type: str = "bearer"  # noqa: S105 (the scheme name, not a secret)


def load_private_key(path: str) -> PrivateKey:
    """Read a PEM private key (RSA or EC) from ``path``."""
    try:
        key = load_pem_private_key(Path(path).read_bytes(), password=None)
    except OSError as exc:
        raise ConfigError(f"cannot read the FHIR client key {path}: {exc.strerror}") from exc
    except ValueError as exc:
        raise ConfigError(f"{path} is not a PEM private key: {exc}") from exc
    if not isinstance(key, RSAPrivateKey | EllipticCurvePrivateKey):
        raise ConfigError(f"{path}: only RSA (RS384) and EC P-384 (ES384) keys are supported")
    return key


def client_assertion(
    config: FhirClientConfig, key: PrivateKey, now: float, jti: str | None = None
) -> str:
    """The signed JWT that authenticates careweave at ``config.token_url``."""
    claims = {
        "iss": config.client_id,
        "sub": config.client_id,
        "aud": config.token_url,
        "jti": jti or uuid.uuid4().hex,
        "iat": int(now),
        "exp": int(now + ASSERTION_LIFETIME),
    }
    headers = {"kid": config.key_id, "typ": "JWT"} if config.key_id else {"typ": "JWT"}
    return jwt.encode(claims, key, algorithm=config.algorithm, headers=headers)


class SmartTokenSource:
    """Holds the current access token; concurrent callers share one fetch.

    ``clock`` returns wall-clock seconds (the assertion's ``iat``/``exp`` are epoch times);
    tests pass their own to move past a token's expiry without sleeping.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        config: FhirClientConfig,
        key: PrivateKey,
        clock: Callable[[], float],
    ) -> None:
        self._http = http
        self._config = config
        self._key = key
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.fetched = 0
        """How many tokens were fetched (tests and metrics)."""

    async def token(self) -> str:
        """A token that is not about to expire, fetched when needed."""
        if self._token is not None and self._clock() < self._refresh_at:
            return self._token
        async with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                await self._fetch()
            assert self._token is not None  # set by _fetch, or it raised
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (the server refused it); a newer one fetched meanwhile is kept."""
        if self._token == token:
            self._token = None

    async def _fetch(self) -> None:
        what = f"token request to {self._config.token_url}"
        now = self._clock()
        form = {
            "grant_type": "client_credentials",
            "scope": self._config.scope,
            "client_assertion_type": ASSERTION_TYPE,
            "client_assertion": client_assertion(self._config, self._key, now),
        }
        try:
            response = await self._http.post(self._config.token_url, data=form)
        except httpx.HTTPError as exc:
            raise error_for_exception(exc, what) from exc
        if response.status_code in {400, 401, 403}:
            raise PermanentDeliveryError(
                f"{what}: the server refused the client assertion of "
                f"{self._config.client_id!r} ({response.status_code}): {response.text[:300]}",
                status=response.status_code,
                response=response.text[:500],
            )
        if response.status_code != 200:
            raise error_for_response(response, what)
        try:
            answer = msgspec.json.decode(response.content, type=_TokenAnswer)
        except msgspec.DecodeError as exc:
            raise PermanentDeliveryError(f"{what}: malformed token answer: {exc}") from exc
        if answer.token_type.lower() != "bearer":
            raise PermanentDeliveryError(f"{what}: unsupported token type {answer.token_type!r}")
        # Refresh ahead of expiry by the leeway, but never later than half-way through a
        # short-lived token's life, so that it is neither fetched per request nor used too late.
        ahead = min(self._config.token_leeway, answer.expires_in / 2)
        self._token = answer.access_token
        self._refresh_at = now + answer.expires_in - ahead
        self.fetched += 1
