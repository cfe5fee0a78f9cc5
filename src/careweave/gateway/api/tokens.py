"""Access tokens: careweave's own (ES256 JWTs from the key ring) and an external provider's.

:class:`TokenAuthority` issues a token to a client whose secret matches (``hmac.compare_digest``)
with the scopes its role allows, and verifies a bearer token: careweave's own by ``kid`` against the
key ring, another issuer's against its JWKS (pyjwt's ``PyJWKClient``, fetched in a thread). The
JOSE work is pyjwt's.
"""

from __future__ import annotations

import asyncio
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import jwt

from careweave.connectors.http_source.api_config import ApiConfig, ApiIssuerConfig
from careweave.exceptions import ConfigError
from careweave.gateway.api.keys import KeyRing
from careweave.gateway.api.scopes import parse_scopes, scopes_of

ISSUER = "careweave"
"""The ``iss`` of careweave's own tokens."""


@dataclass(frozen=True)
class Principal:
    """Who a verified token speaks for and what it may do."""

    client_id: str
    scopes: frozenset[str]


class TokenError(Exception):
    """A token request or a bearer token refused; ``error`` is the OAuth2 error code."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


@dataclass(frozen=True)
class IssuedToken:
    """What ``/v1/oauth/token`` answers."""

    access_token: str
    expires_in: int
    scope: str


def user_passwords(config: ApiConfig, env: Mapping[str, str]) -> dict[str, str]:
    """Each console user's password from the environment; ConfigError naming the first unset."""
    found: dict[str, str] = {}
    for user in config.users:
        value = env.get(user.password_env, "")
        if not value:
            raise ConfigError(
                f"[api] user {user.name}: {user.password_env} is not set in the environment"
            )
        found[user.name] = value
    return found


def client_secrets(config: ApiConfig, env: Mapping[str, str]) -> dict[str, str]:
    """Each client's secret from the environment; ConfigError naming the first variable unset."""
    found: dict[str, str] = {}
    for client in config.clients:
        value = env.get(client.secret_env, "")
        if not value:
            raise ConfigError(
                f"[api] client {client.id}: {client.secret_env} is not set in the environment"
            )
        found[client.id] = value
    return found


class _ExternalIssuer:
    def __init__(self, config: ApiIssuerConfig) -> None:
        self.config = config
        self._jwks = jwt.PyJWKClient(config.jwks_url, cache_keys=True, timeout=10)

    async def verify(self, token: str) -> dict[str, Any]:
        key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        claims: dict[str, Any] = jwt.decode(
            token,
            key.key,
            algorithms=self.config.algorithms,
            audience=self.config.audience,
            issuer=self.config.issuer,
            options={"require": ["exp", "iss", "aud"]},
        )
        return claims


class TokenAuthority:
    """Issues and verifies the API's access tokens."""

    def __init__(
        self,
        config: ApiConfig,
        secrets_by_client: Mapping[str, str],
        keys: KeyRing,
        *,
        passwords_by_user: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.keys = keys
        self._secrets = dict(secrets_by_client)
        self._roles = {c.id: c.role for c in config.clients}
        self._passwords = dict(passwords_by_user or {})
        self._user_roles = {u.name: u.role for u in config.users}
        self._clock = clock
        self._external = _ExternalIssuer(config.issuer) if config.issuer is not None else None

    def issue(self, client_id: str, client_secret: str, scope: str | None) -> IssuedToken:
        """A token for a client whose secret matches, with the scopes asked (all its role's when
        none is asked); TokenError ``invalid_client`` or ``invalid_scope`` otherwise."""
        known = self._secrets.get(client_id)
        # Compare against a stand-in for an unknown client too: the answer takes as long.
        expected = known if known is not None else secrets.token_urlsafe(32)
        if not hmac.compare_digest(expected.encode(), client_secret.encode()) or known is None:
            raise TokenError("invalid_client", "unknown client or wrong secret")
        allowed = {str(s) for s in scopes_of(self._roles.get(client_id))}
        asked = parse_scopes(scope) if scope else frozenset(allowed)
        if extra := sorted(asked - allowed):
            raise TokenError(
                "invalid_scope", f"scope not allowed for this client: {' '.join(extra)}"
            )
        return self._mint(client_id, asked, int(self.config.token_ttl))

    def login(self, user: str, password: str) -> IssuedToken:
        """A console session token for a user whose password matches, with every scope the user's
        role grants, valid ``session_ttl`` seconds; TokenError ``invalid_grant`` otherwise."""
        known = self._passwords.get(user)
        expected = known if known is not None else secrets.token_urlsafe(32)
        if not hmac.compare_digest(expected.encode(), password.encode()) or known is None:
            raise TokenError("invalid_grant", "unknown user or wrong password")
        scopes = frozenset(str(s) for s in scopes_of(self._user_roles.get(user)))
        return self._mint(user, scopes, int(self.config.session_ttl))

    def _mint(self, subject: str, scopes: frozenset[str], ttl: int) -> IssuedToken:
        now = int(self._clock())
        key = self.keys.current()
        granted = " ".join(sorted(scopes))
        claims = {
            "iss": ISSUER,
            "aud": self.config.audience,
            "sub": subject,
            "client_id": subject,
            "scope": granted,
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "jti": secrets.token_hex(12),
        }
        token = jwt.encode(claims, key.private, algorithm="ES256", headers={"kid": key.kid})
        return IssuedToken(token, ttl, granted)

    async def verify(self, token: str) -> Principal:
        """The principal of a valid bearer token; TokenError ``invalid_token`` otherwise."""
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise TokenError("invalid_token", f"malformed token: {exc}") from exc
        try:
            if unverified.get("iss") == ISSUER:
                key = self.keys.find(str(header.get("kid", "")))
                if key is None:
                    raise TokenError("invalid_token", "token signed with an unknown key")
                claims: dict[str, Any] = jwt.decode(
                    token,
                    key.public,
                    algorithms=["ES256"],
                    audience=self.config.audience,
                    issuer=ISSUER,
                    options={"require": ["exp", "iss", "aud", "sub"]},
                    leeway=5,
                )
            elif self._external is not None:
                claims = await self._external.verify(token)
            else:
                raise TokenError("invalid_token", "token from an issuer careweave does not trust")
        except jwt.PyJWTError as exc:
            raise TokenError("invalid_token", str(exc)) from exc
        client = claims.get("client_id") or claims.get("azp") or claims.get("sub") or ""
        raw_scopes = claims.get("scope", claims.get("scp", ""))
        return Principal(str(client), parse_scopes(raw_scopes))
