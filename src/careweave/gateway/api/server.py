"""The API as the application runs it: settings and secrets -> keys, token authority, guard,
Litestar application, uvicorn server on ``[api] host``/``port`` (``port = 0``: a free one)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from careweave.connectors.http_source.api_config import ApiConfig
from careweave.connectors.http_source.config import HttpSourceConfig
from careweave.gateway.api.app import build_api_app
from careweave.gateway.api.context import ApiBackend
from careweave.gateway.api.keys import KeyRing, load_keys
from careweave.gateway.api.security import ApiSecurity, Throttle
from careweave.gateway.api.tokens import TokenAuthority, client_secrets, user_passwords
from careweave.gateway.console import AnalyticsReader


def build_security(
    config: ApiConfig, env: Mapping[str, str], *, settings_dir: Path | None = None
) -> ApiSecurity:
    """The guard for ``config``: client secrets and console users' passwords from ``env``
    (ConfigError naming an unset one), keys loaded from ``key_file`` or generated."""
    if config.key_file is not None:
        path = Path(config.key_file)
        keys = KeyRing(load_keys(path if path.is_absolute() else (settings_dir or Path()) / path))
    else:
        keys = KeyRing.generated(config.key_rotation)
    authority = TokenAuthority(
        config, client_secrets(config, env), keys, passwords_by_user=user_passwords(config, env)
    )
    return ApiSecurity(authority, Throttle(config.rate, config.burst))


class ApiServer:
    """The API served by uvicorn inside the application's event loop."""

    def __init__(
        self,
        backend: ApiBackend,
        config: ApiConfig,
        security: ApiSecurity,
        *,
        analytics: AnalyticsReader | None = None,
        settings_dir: Path | None = None,
    ) -> None:
        from careweave.connectors.http_source.server import HttpSource

        self.config = config
        self.security = security
        self.app = build_api_app(backend, config, security.authority, security, analytics=analytics)
        listen = HttpSourceConfig(
            host=config.host, port=config.port, max_body_bytes=config.max_body_bytes, tls=config.tls
        )
        self.server = HttpSource(listen, self.app, name="api", settings_dir=settings_dir)

    @property
    def port(self) -> int:
        """The port served (the bound one when the settings said 0)."""
        return self.server.port

    @property
    def base_url(self) -> str:
        """``http://host:port``."""
        return self.server.base_url

    async def start(self) -> None:
        """Bind and serve."""
        await self.server.start()

    async def stop(self) -> None:
        """Stop serving."""
        await self.server.stop()
