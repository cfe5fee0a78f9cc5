"""Settings of the ERP connector."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import urlsplit

from careweave.exceptions import ConfigError

ApiVersion = Literal["v1", "v2"]


@dataclass(frozen=True, slots=True)
class ErpConfig:
    """How careweave reaches a cloud ERP's REST API."""

    base_url: str
    """Scheme, host and port of the ERP, e.g. ``https://erp.example.org``; API paths are appended."""
    client_id: str
    """OAuth2 client-credentials client id."""
    secret: str = field(repr=False)
    """OAuth2 client secret (never logged, never in repr)."""
    api_version: ApiVersion = "v2"
    """Which ERP API version to speak; moving from v1 to v2 is changing only this."""
    rate_limit: float = 20.0
    """Requests per second this connector sends at most (match the ERP's per-client quota)."""
    rate_burst: int = 1
    """Requests that may leave back to back before ``rate_limit`` spaces them."""
    batch_size: int = 50
    """Records per bulk request."""
    connect_timeout: float = 5.0
    """Seconds to open a connection before the attempt is a transient failure."""
    read_timeout: float = 30.0
    """Seconds to wait for an answer before the attempt is a transient failure."""
    token_path: str = "/oauth/token"  # noqa: S105 (a path, not a secret)
    """Path of the OAuth2 token endpoint."""
    token_refresh_leeway: float = 5.0
    """Refresh a token this many seconds before it expires, so no request carries a stale one."""
    max_connections: int = 10
    """Connections kept to the ERP at most."""

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ConfigError(f"ErpConfig.base_url {self.base_url!r} is not an http(s) URL")
        if self.api_version not in {"v1", "v2"}:
            raise ConfigError(
                f"ErpConfig.api_version must be 'v1' or 'v2', not {self.api_version!r}"
            )
        if self.rate_limit <= 0 or self.rate_burst < 1 or self.batch_size < 1:
            raise ConfigError("ErpConfig needs rate_limit > 0, rate_burst >= 1 and batch_size >= 1")
        if not self.client_id or not self.secret:
            raise ConfigError("ErpConfig needs a client_id and a secret")
