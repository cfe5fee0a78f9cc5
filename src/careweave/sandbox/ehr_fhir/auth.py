"""The simulated EHR's token endpoint: SMART backend services client assertions, verified.

An assertion is accepted when its signature verifies against a key of the JWKS registered for
the client (found by ``kid``), ``iss`` and ``sub`` are the client id, ``aud`` is the token URL,
``exp`` is at most five minutes ahead and the ``jti`` was never seen. Tokens are opaque and
expire after ``token_ttl`` seconds; :meth:`TokenService.expire_all` makes every issued token
invalid at once (a test's way to see a client refresh on 401).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt

from careweave.exceptions import ValidationError

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = 300
CLOCK_SKEW = 30


class TokenRefused(ValidationError):
    """The token request is refused (OAuth error code and description)."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


@dataclass
class TokenService:
    """Issues and checks bearer tokens."""

    clock: Callable[[], float]
    token_ttl: float = 300.0
    clients: dict[str, jwt.PyJWKSet] = field(default_factory=dict)
    tokens: dict[str, float] = field(default_factory=dict)
    """Issued token -> expiry (clock seconds)."""
    seen_jti: set[str] = field(default_factory=set)
    issued: int = 0
    refused: list[str] = field(default_factory=list)
    """Why each refused token request was refused."""

    def register(self, client_id: str, jwks: Mapping[str, Any]) -> None:
        """Register a client's public keys."""
        self.clients[client_id] = jwt.PyJWKSet.from_dict(dict(jwks))

    def issue(self, form: Mapping[str, str], token_url: str) -> dict[str, Any]:
        """The token answer for a ``client_credentials`` request with a client assertion."""
        try:
            return self._issue(form, token_url)
        except TokenRefused as exc:
            self.refused.append(str(exc))
            raise

    def _issue(self, form: Mapping[str, str], token_url: str) -> dict[str, Any]:
        if form.get("grant_type") != "client_credentials":
            raise TokenRefused("unsupported_grant_type", "grant_type must be client_credentials")
        if form.get("client_assertion_type") != ASSERTION_TYPE:
            raise TokenRefused("invalid_request", f"client_assertion_type must be {ASSERTION_TYPE}")
        assertion = form.get("client_assertion", "")
        try:
            unverified = jwt.decode(assertion, options={"verify_signature": False})
            header = jwt.get_unverified_header(assertion)
        except jwt.PyJWTError as exc:
            raise TokenRefused("invalid_client", f"unreadable assertion: {exc}") from exc
        client_id = str(unverified.get("iss", ""))
        keys = self.clients.get(client_id)
        if keys is None:
            raise TokenRefused("invalid_client", f"unknown client {client_id!r}")
        try:
            key = keys[str(header.get("kid", ""))] if header.get("kid") else keys.keys[0]
        except KeyError:
            raise TokenRefused("invalid_client", f"no key {header.get('kid')!r}") from None
        try:
            claims = jwt.decode(
                assertion,
                key.key,
                algorithms=["RS384", "ES384"],
                audience=token_url,
                issuer=client_id,
                leeway=CLOCK_SKEW,
                options={
                    "require": ["exp", "jti", "iss", "sub", "aud"],
                    # times are checked below against the simulator's clock
                    "verify_exp": False,
                    "verify_iat": False,
                    "verify_nbf": False,
                },
            )
        except jwt.PyJWTError as exc:
            raise TokenRefused("invalid_client", f"assertion rejected: {exc}") from exc
        now = self.clock()
        if claims["sub"] != client_id:
            raise TokenRefused("invalid_client", "sub must equal iss (the client id)")
        if claims["exp"] < now - CLOCK_SKEW:
            raise TokenRefused("invalid_client", "assertion expired")
        if claims["exp"] > now + MAX_ASSERTION_LIFETIME + CLOCK_SKEW:
            raise TokenRefused("invalid_client", "assertion exp is more than 5 minutes ahead")
        if claims["jti"] in self.seen_jti:
            raise TokenRefused("invalid_client", f"jti {claims['jti']} was already used")
        self.seen_jti.add(claims["jti"])
        token = secrets.token_urlsafe(24)
        self.tokens[token] = now + self.token_ttl
        self.issued += 1
        return {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": int(self.token_ttl),
            "scope": form.get("scope", "system/*.read"),
        }

    def valid(self, authorization: str | None) -> bool:
        """Whether an Authorization header carries a live token."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return False
        expiry = self.tokens.get(authorization[7:].strip())
        return expiry is not None and self.clock() < expiry

    def expire_all(self) -> None:
        """Make every issued token invalid (the server restarted, keys rotated...)."""
        self.tokens.clear()
