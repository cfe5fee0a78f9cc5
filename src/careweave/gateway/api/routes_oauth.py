"""Identity: OAuth2 client credentials at ``/v1/oauth/token``, the signing keys at
``/v1/oauth/jwks`` and ``/.well-known/jwks.json`` (public routes: they need no token)."""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import unquote_plus

import msgspec
from litestar import Response, get, post
from litestar.enums import RequestEncodingType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.params import Body

from careweave.gateway.api.groups import ApiGroup
from careweave.gateway.api.schemas import OAuthErrorOut, TokenOut
from careweave.gateway.api.security import Throttle
from careweave.gateway.api.tokens import TokenAuthority, TokenError
from careweave.gateway.http_common import AnyRequest, sender_of


class TokenRequest(msgspec.Struct, frozen=True, kw_only=True):
    """The client-credentials grant (RFC 6749 section 4.4), form-encoded."""

    grant_type: str = ""
    client_id: str = ""
    client_secret: str = ""
    scope: str | None = None


OAUTH = ApiGroup(
    name="oauth",
    title="identity",
    layer="identity",
    owner="integration-team",
    sla="a token is issued within 1 s (p99); keys rotate without downtime",
    description="OAuth2 client credentials (short-lived ES256 JWTs) and the keys that verify them",
    systems=("careweave token authority",),
    phi="none",
)
"""Identity: tokens and keys (public routes)."""

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def _refuse(status: int, error: str, description: str, **headers: str) -> Response[Any]:
    body = OAuthErrorOut(error=error, error_description=description)
    return Response(body, status_code=status, headers={**_NO_STORE, **headers})


def _basic(request: AnyRequest) -> tuple[str, str] | None:
    """Client id and secret from an HTTP Basic Authorization header (RFC 6749 section 2.3.1)."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    client_id, _, secret = decoded.partition(":")
    return unquote_plus(client_id), unquote_plus(secret)


def oauth_handlers(authority: TokenAuthority, throttle: Throttle) -> list[HTTPRouteHandler]:
    """The token endpoint and the JWKS."""

    @post(
        "/v1/oauth/token",
        status_code=200,
        tags=[OAUTH.title],
        opt={"group": OAUTH},
        responses={
            400: ResponseSpec(OAuthErrorOut, description="Grant or scope refused"),
            401: ResponseSpec(OAuthErrorOut, description="Unknown client or wrong secret"),
            429: ResponseSpec(OAuthErrorOut, description="Too many token requests"),
        },
    )
    async def token(
        request: AnyRequest,
        data: Annotated[TokenRequest, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Response[TokenOut | OAuthErrorOut]:
        """Issue an access token to a client (client credentials: ``client_id`` and
        ``client_secret`` in the form, or HTTP Basic)."""
        # Throttled by peer address: a guessed secret costs time like any other request.
        wait = throttle.take(sender_of(request).rsplit(":", 1)[0], "/v1/oauth/token")
        if wait > 0:
            return _refuse(429, "slow_down", "too many token requests", **{"Retry-After": "1"})
        if data.grant_type != "client_credentials":
            return _refuse(400, "unsupported_grant_type", "only client_credentials is supported")
        client_id, secret = _basic(request) or (data.client_id, data.client_secret)
        try:
            issued = authority.issue(client_id, secret, data.scope)
        except TokenError as exc:
            status = 401 if exc.error == "invalid_client" else 400
            return _refuse(status, exc.error, exc.description)
        out = TokenOut(
            access_token=issued.access_token, token_type="Bearer",  # noqa: S106
            expires_in=issued.expires_in, scope=issued.scope,
        )  # fmt: skip
        return Response(out, status_code=200, headers=_NO_STORE)

    @get(["/v1/oauth/jwks", "/.well-known/jwks.json"], tags=[OAUTH.title], opt={"group": OAUTH})
    async def jwks() -> dict[str, Any]:
        """The public keys careweave's tokens are signed with (current and previous)."""
        return authority.keys.jwks()

    return [token, jwks]
