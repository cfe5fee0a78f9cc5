"""The ``[api]`` section, hosted by the application: the API server and the guard the channels'
HTTP sources share with it.

Nothing here imports Litestar until the application starts (the commands that only build the
application, ``careweave crosswalk add`` among them, never serve the API, so they need neither
its server nor its clients' secrets).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import structlog

from careweave.connectors.http_source.api_config import ApiConfig
from careweave.exceptions import ConfigError

log = structlog.get_logger("careweave.api")

if TYPE_CHECKING:
    from careweave.gateway.api import ApiSecurity, ApiServer
    from careweave.gateway.api.context import ApiBackend


def check_api(config: ApiConfig, env: Mapping[str, str], settings_dir: Path) -> None:
    """What ``careweave check`` refuses in ``[api]``: a client secret or a console user's
    password unset in the environment (named), a key file that does not load."""
    for client in config.clients:
        if not env.get(client.secret_env):
            raise ConfigError(
                f"[api] client {client.id}: {client.secret_env} is not set in the environment"
            )
    for user in config.users:
        if not env.get(user.password_env):
            raise ConfigError(
                f"[api] user {user.name}: {user.password_env} is not set in the environment"
            )
    if config.key_file is not None:
        from careweave.gateway.api.keys import load_keys

        load_keys(_key_path(config, settings_dir))
    _check_lifecycle(config)


def _check_lifecycle(config: ApiConfig) -> None:
    """ConfigError naming an ``[api.lifecycle]`` entry for a group the API does not have."""
    if config.lifecycle:
        from careweave.gateway.api.app import lifecycle_policy

        lifecycle_policy(config)


def _key_path(config: ApiConfig, settings_dir: Path) -> Path:
    path = Path(config.key_file or "")
    return path if path.is_absolute() else settings_dir / path


class ApiHost:
    """The API of one application: its guard (built when the application starts) and server."""

    def __init__(self, config: ApiConfig, env: Mapping[str, str], settings_dir: Path) -> None:
        _check_lifecycle(config)  # refused while building, before anything opens
        if config.tls is not None:
            from careweave.connectors.tls import listener_files

            try:
                listener_files(config.tls, settings_dir)  # unusable files stop check and run
            except ConfigError as exc:
                raise ConfigError(f"api: tls: {exc}") from exc
        self.config = config
        self._env = env
        self._settings_dir = settings_dir
        self.security: ApiSecurity | None = None
        self.server: ApiServer | None = None

    def prepare(self) -> None:
        """Read the clients' secrets and the keys (ConfigError naming what is missing)."""
        if self.security is None:
            from careweave.gateway.api import build_security

            self.security = build_security(self.config, self._env, settings_dir=self._settings_dir)

    def guard(self) -> Any:
        """The guard the channels' HTTP sources use: the API's when it authenticates, else None."""
        if not self.config.authenticates:
            return None
        self.prepare()
        assert self.security is not None
        return self.security.guard

    @property
    def port(self) -> int | None:
        """The bound port while serving."""
        return self.server.port if self.server is not None else None

    async def start(self, backend: ApiBackend) -> None:
        """Serve the API on ``[api] host``/``port``."""
        from careweave.app.analytics import business_analytics
        from careweave.gateway.api import ApiServer

        self.prepare()
        assert self.security is not None
        # The console's dashboard reads the business analytics, computed in this layer.
        server = ApiServer(
            backend,
            self.config,
            self.security,
            analytics=business_analytics,
            settings_dir=self._settings_dir,
        )
        await server.start()
        self.server = server
        log.info(
            "listening", server="api", host=self.config.host, port=server.port, protocol="http"
        )

    async def stop(self) -> None:
        """Stop serving."""
        if self.server is not None:
            await self.server.stop()
            self.server = None
