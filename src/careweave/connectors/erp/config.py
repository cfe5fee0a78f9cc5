"""Settings of the ERP connector: the ``erp`` destination's ``connector`` table, as it is.

::

    [[channels.destinations]]
    name = "erp"
    payload = "none"
    connector = { type = "erp", base_url = "https://erp.example.org", client_id = "careweave" }

The OAuth2 client secret is never a setting: ``secret_env`` names the environment variable that
holds it, and :class:`~careweave.connectors.erp.ErpConnector` takes its value apart.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import msgspec

from careweave.connectors.base import ConnectorConfig, require_http_url

ApiVersion = Literal["v1", "v2"]


class ErpConfig(
    msgspec.Struct,
    ConnectorConfig,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="erp",
    tag_field="type",
):
    """How careweave reaches a cloud ERP's REST API (journals, inventory, requisitions, POs)."""

    flow_only: ClassVar[bool] = True

    base_url: str
    """Scheme, host and port of the ERP, e.g. ``https://erp.example.org``; API paths are appended."""
    client_id: Annotated[str, msgspec.Meta(min_length=1)]
    """OAuth2 client-credentials client id."""
    secret_env: Annotated[str, msgspec.Meta(min_length=1)] = "CAREWEAVE_ERP_SECRET"  # noqa: S105
    """Environment variable holding the OAuth2 client secret (never in the settings file)."""
    api_version: ApiVersion = "v2"
    """Which ERP API version to speak; moving from v1 to v2 is changing only this."""
    rate_limit: Annotated[float, msgspec.Meta(gt=0)] = 20.0
    """Requests per second this connector sends at most (match the ERP's per-client quota)."""
    rate_burst: Annotated[int, msgspec.Meta(ge=1)] = 1
    """Requests that may leave back to back before ``rate_limit`` spaces them."""
    batch_size: Annotated[int, msgspec.Meta(ge=1)] = 50
    """Records per bulk request."""
    connect_timeout: Annotated[float, msgspec.Meta(gt=0)] = 5.0
    """Seconds to open a connection before the attempt is a transient failure."""
    read_timeout: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    """Seconds to wait for an answer before the attempt is a transient failure."""
    token_path: str = "/oauth/token"  # noqa: S105 (a path, not a secret)
    """Path of the OAuth2 token endpoint."""
    token_refresh_leeway: Annotated[float, msgspec.Meta(ge=0)] = 5.0
    """Refresh a token this many seconds before it expires, so no request carries a stale one."""
    max_connections: Annotated[int, msgspec.Meta(ge=1)] = 10
    """Connections kept to the ERP at most."""

    def __post_init__(self) -> None:
        # Field constraints hold for parsed settings; these also hold for a struct built in code.
        require_http_url(self.base_url, "base_url")
        if self.api_version not in {"v1", "v2"}:
            raise ValueError(f"api_version must be 'v1' or 'v2', not {self.api_version!r}")
        if self.rate_limit <= 0 or self.rate_burst < 1 or self.batch_size < 1:
            raise ValueError(
                "the ERP connector needs rate_limit > 0, rate_burst >= 1, batch_size >= 1"
            )
        if not self.client_id:
            raise ValueError("the ERP connector needs a client_id")
