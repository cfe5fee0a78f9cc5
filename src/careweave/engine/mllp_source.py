"""An MLLP source's settings -> the listener's: limits, timeouts and the TLS context.

The TLS files are read here, when the engine is built, so that ``careweave check`` and
``careweave run`` refuse a wrong path or an unusable certificate with one ConfigError naming the
channel and the file, before any socket is opened.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from careweave.config import MllpSourceConfig, MllpTlsConfig
from careweave.connectors.mllp import MllpListenerConfig
from careweave.connectors.tls import server_context
from careweave.exceptions import ConfigError


def listener_config(
    channel: str, source: MllpSourceConfig, settings_dir: Path | None
) -> MllpListenerConfig:
    """The listener settings of ``channel``'s MLLP source; TLS paths start at ``settings_dir``
    (the settings file's folder; the working directory when None)."""
    try:
        context = _tls(source.tls, settings_dir) if source.tls is not None else None
    except ConfigError as exc:
        raise ConfigError(f"channel {channel}: source.tls: {exc}") from exc
    return MllpListenerConfig(
        host=source.host,
        port=source.port,
        max_frame_bytes=source.max_frame_bytes,
        read_timeout=source.read_timeout,
        idle_timeout=source.idle_timeout,
        max_connections=source.max_connections,
        max_connections_per_peer=source.max_connections_per_peer,
        tls=context,
    )


def _tls(tls: MllpTlsConfig, settings_dir: Path | None) -> ssl.SSLContext:
    base = settings_dir or Path.cwd()
    client_ca = base / tls.client_ca if tls.client_ca is not None else None
    return server_context(base / tls.cert, base / tls.key, client_ca)
