"""``[api]``: the governed HTTP API's settings (listener, OAuth2 clients, keys, limits).

::

    [api]
    host = "127.0.0.1"
    port = 27600                      # 0 picks a free port
    token_ttl = 300                   # seconds a token lives
    rate = 20.0                       # requests per second per client and route (token bucket)
    burst = 40
    max_body_bytes = 1048576          # a larger request body is refused with 413

    [[api.clients]]
    id = "ops-admin"
    role = "integration-admin"
    secret_env = "CAREWEAVE_API_ADMIN_SECRET"

    [[api.users]]                     # people who log in to the console at /console
    name = "dana"
    role = "supply-chain"
    password_env = "CAREWEAVE_CONSOLE_DANA_PASSWORD"

    [api.issuer]                      # optional: also accept an external identity provider's tokens
    issuer = "https://idp.example.org/"
    audience = "careweave"
    jwks_url = "https://idp.example.org/.well-known/jwks.json"

The settings live here, beside the other HTTP listener's settings (``HttpSourceConfig``), because
``careweave.config`` imports nothing above the engine; the server itself is
``careweave.gateway.api``. Secrets are named, never written: the composition root reads them from
the environment.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec

from careweave.connectors.base import require_http_url
from careweave.connectors.tls import ListenerTls
from careweave.model.catalog import LifecycleOverride

Role = Literal[
    "integration-admin", "supply-chain", "revenue-integrity", "finance", "auditor", "read-only"
]
"""The roles a client may hold; each grants a fixed set of scopes (``careweave.gateway.api.scopes``)."""

_CLIENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class ApiClientConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An OAuth2 client allowed the client-credentials grant."""

    id: str
    """The ``client_id`` (letters, digits, ``.``, ``_``, ``-``)."""
    secret_env: Annotated[str, msgspec.Meta(min_length=1)]
    """Environment variable holding the client secret."""
    role: Role | None = None
    """What the client may do; without a role it gets no scope at all."""

    def __post_init__(self) -> None:
        if not _CLIENT_ID.match(self.id):
            raise ValueError(f"client id {self.id!r} must be 1-64 letters, digits, '.', '_' or '-'")


class ApiUserConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A person who logs in to the operations console (``/console``) with a password."""

    name: str
    """The login name (letters, digits, ``.``, ``_``, ``-``); the actor of what the user does."""
    role: Role
    """What the user may do: the same roles, and so the same scopes, as the API's clients."""
    password_env: Annotated[str, msgspec.Meta(min_length=1)]
    """Environment variable holding the user's password."""

    def __post_init__(self) -> None:
        if not _CLIENT_ID.match(self.name):
            raise ValueError(
                f"user name {self.name!r} must be 1-64 letters, digits, '.', '_' or '-'"
            )


class ApiIssuerConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An external identity provider whose access tokens the API accepts too."""

    issuer: Annotated[str, msgspec.Meta(min_length=1)]
    """The ``iss`` its tokens carry."""
    audience: Annotated[str, msgspec.Meta(min_length=1)]
    """The ``aud`` they must name."""
    jwks_url: str
    """Where its signing keys are published."""
    algorithms: list[str] = msgspec.field(default_factory=lambda: ["RS256", "ES256"])
    """Signature algorithms accepted (never ``none``, never an HMAC one)."""

    def __post_init__(self) -> None:
        require_http_url(self.jwks_url, "jwks_url")
        if bad := [a for a in self.algorithms if not a.startswith(("RS", "ES", "PS", "Ed"))]:
            raise ValueError(f"algorithms {bad} are not public-key signature algorithms")


class ApiConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The HTTP API ``careweave run`` serves (process, domain and system APIs under ``/v1``)."""

    host: Annotated[str, msgspec.Meta(min_length=1)] = "127.0.0.1"
    """Address to bind."""
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 27600
    """Port to bind (0 picks a free one)."""
    audience: Annotated[str, msgspec.Meta(min_length=1)] = "careweave"
    """The ``aud`` of the tokens careweave issues (and ``iss`` is ``careweave``)."""
    token_ttl: Annotated[float, msgspec.Meta(gt=0, le=86_400)] = 300.0
    """Seconds a token issued at ``/v1/oauth/token`` is valid."""
    key_file: str | None = None
    """PEM file of EC P-256 private keys (the last is current, the one before it previous);
    relative to the settings file. Without it, keys are generated when the API starts."""
    key_rotation: Annotated[float, msgspec.Meta(gt=0)] = 86_400.0
    """Seconds before a generated signing key is replaced (the previous one still verifies)."""
    rate: Annotated[float, msgspec.Meta(gt=0)] = 20.0
    """Requests per second each client may make to each route, on average."""
    burst: Annotated[int, msgspec.Meta(ge=1)] = 40
    """Requests a client may make to a route at once before the rate applies."""
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1)] = 1_048_576
    """Largest accepted request body; a larger one is refused with 413."""
    tls: ListenerTls | None = None
    """Serve HTTPS with these PEM files, relative to the settings file (``client_ca``: mutual TLS)."""
    clients: list[ApiClientConfig] = msgspec.field(default_factory=list)
    """Clients allowed the client-credentials grant."""
    issuer: ApiIssuerConfig | None = None
    """An external identity provider whose tokens are accepted too."""
    users: list[ApiUserConfig] = msgspec.field(default_factory=list)
    """People who log in to the operations console (``/console``)."""
    session_ttl: Annotated[float, msgspec.Meta(gt=0, le=86_400)] = 28_800.0
    """Seconds a console login lasts (its session token's lifetime)."""
    lifecycle: dict[str, LifecycleOverride] = msgspec.field(default_factory=dict)
    """Lifecycle of API groups by name, replacing what their code declares
    (``[api.lifecycle] messages = { state = "deprecated", sunset = 2027-06-30, successor = ... }``;
    ``careweave catalog`` lists the group names)."""

    def __post_init__(self) -> None:
        ids = [c.id for c in self.clients]
        if len(set(ids)) != len(ids):
            raise ValueError(f"api client ids must be unique: {ids}")
        # A user's name is the actor of the audit entries it causes, as a client's id is: one
        # name must not stand for both.
        names = [u.name for u in self.users]
        if len(set(names)) != len(names) or set(names) & set(ids):
            raise ValueError(f"api user names must be unique and differ from client ids: {names}")

    @property
    def authenticates(self) -> bool:
        """True when tokens can be had (clients or an issuer): the HTTP sources then require one."""
        return bool(self.clients) or self.issuer is not None

    def secret_names(self) -> list[str]:
        """The environment variables the clients' secrets are read from."""
        return [c.secret_env for c in self.clients]

    def password_names(self) -> list[str]:
        """The environment variables the console users' passwords are read from."""
        return [u.password_env for u in self.users]
