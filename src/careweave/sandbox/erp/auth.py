"""OAuth2 client-credentials tokens of the simulated ERP.

Tokens are opaque random strings held in memory with their expiry; time comes from a clock the
caller passes, so tests can expire tokens without sleeping.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable

import msgspec


class IssuedToken(msgspec.Struct, frozen=True):
    """The body of a successful POST /oauth/token."""

    access_token: str
    expires_in: int
    token_type: str = "Bearer"  # noqa: S105 (the scheme name, not a secret)
    scope: str = "erp"


class TokenIssuer:
    """Issues bearer tokens to registered clients and tells who holds a token."""

    def __init__(self, clients: dict[str, str], ttl: float, clock: Callable[[], float]) -> None:
        self._clients = dict(clients)
        self._ttl = ttl
        self._clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()
        self.issued = 0

    def issue(self, client_id: str, client_secret: str) -> IssuedToken | None:
        """A new token, or None when the credentials are wrong."""
        expected = self._clients.get(client_id)
        if expected is None or not hmac.compare_digest(expected, client_secret):
            return None
        token = secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (client_id, self._clock() + self._ttl)
            self.issued += 1
        # Round down so a client trusting expires_in never holds an expired token.
        return IssuedToken(access_token=token, expires_in=max(1, int(self._ttl)))

    def client_of(self, token: str) -> tuple[str | None, str]:
        """``(client_id, "")`` for a live token, else ``(None, reason)``."""
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None:
                return None, "unknown access token"
            client_id, expires_at = entry
            if self._clock() >= expires_at:
                del self._tokens[token]
                return None, "the access token expired"
        return client_id, ""

    def revoke_all(self) -> None:
        """Forget every token (clients must authenticate again)."""
        with self._lock:
            self._tokens.clear()
