"""SMART backend services authentication: a signed JWT client assertion for an access token.

The client signs a short-lived JWT (``iss`` = ``sub`` = client id, ``aud`` = the token URL, a
unique ``jti``, ``exp`` at most five minutes ahead) with its private key and posts it as a
``client_credentials`` grant. The EHR verifies the signature with the public key registered for
the client. Caching, refreshing and invalidating the token on a 401 are the shared
:class:`~careweave.connectors.http_boundary.OAuth2TokenCache`'s, with the
:class:`~careweave.connectors.http_boundary.PrivateKeyJwtAuth` strategy.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from careweave.connectors.fhir_client.config import FhirClientConfig
from careweave.connectors.http_boundary import (
    ASSERTION_LIFETIME,
    ASSERTION_TYPE,
    OAuth2TokenCache,
    PrivateKey,
    PrivateKeyJwtAuth,
    signed_client_assertion,
)
from careweave.exceptions import ConfigError

__all__ = [
    "ASSERTION_LIFETIME",
    "ASSERTION_TYPE",
    "PrivateKey",
    "SmartTokenSource",
    "client_assertion",
    "load_private_key",
]


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
    return signed_client_assertion(
        config.client_id,
        config.token_url,
        key,
        algorithm=config.algorithm,
        key_id=config.key_id,
        now=now,
        jti=jti,
    )


class SmartTokenSource(OAuth2TokenCache):
    """The token cache of a FHIR client: ``private_key_jwt`` at ``config.token_url``.

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
        auth = PrivateKeyJwtAuth(
            config.client_id, key, algorithm=config.algorithm, key_id=config.key_id, clock=clock
        )
        super().__init__(
            http,
            config.token_url,
            auth,
            scope=config.scope,
            leeway=config.token_leeway,
            clock=clock,
        )
