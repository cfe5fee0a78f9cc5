"""OAuth2 client-credentials tokens for the ERP: obtained once, shared, refreshed before expiry."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
import msgspec

from careweave.connectors.erp.config import ErpConfig
from careweave.connectors.erp.failures import error_for_exception, error_for_response
from careweave.exceptions import PermanentDeliveryError


class _TokenAnswer(msgspec.Struct):
    access_token: str
    expires_in: float = 3600.0
    token_type: str = "Bearer"  # noqa: S105 (the scheme name, not a secret)


class AccessTokenCache:
    """Holds the current bearer token; concurrent callers share one refresh."""

    def __init__(
        self, http: httpx.AsyncClient, config: ErpConfig, clock: Callable[[], float]
    ) -> None:
        self._http = http
        self._config = config
        self._clock = clock
        self._token: str | None = None
        self._refresh_at = 0.0
        self._lock = asyncio.Lock()
        self.fetched = 0

    async def get(self) -> str:
        """A token that is not about to expire, fetching a new one when needed."""
        token = self._token
        if token is not None and self._clock() < self._refresh_at:
            return token
        async with self._lock:
            if self._token is None or self._clock() >= self._refresh_at:
                await self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (the ERP refused it); a newer token fetched meanwhile is kept."""
        if self._token == token:
            self._token = None

    async def _fetch(self) -> None:
        what = "ERP token request"
        form = {
            "grant_type": "client_credentials",
            "client_id": self._config.client_id,
            "client_secret": self._config.secret,
        }
        started = self._clock()
        try:
            response = await self._http.post(self._config.token_path, data=form)
        except httpx.HTTPError as exc:
            raise error_for_exception(exc, what) from exc
        if response.status_code in {400, 401, 403}:
            raise PermanentDeliveryError(
                f"{what}: the ERP refused the client credentials of {self._config.client_id!r} "
                f"({response.status_code})",
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
        # Refresh ahead of expiry by the configured leeway, but never later than half-way, so
        # short-lived tokens are not refreshed on every request nor used at the last instant.
        lifetime = answer.expires_in
        ahead = max(lifetime - self._config.token_refresh_leeway, lifetime / 2)
        self._token = answer.access_token
        self._refresh_at = started + ahead
        self.fetched += 1
