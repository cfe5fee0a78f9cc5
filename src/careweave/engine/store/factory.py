"""Build the store a configuration asks for: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from careweave.config import EngineConfig
from careweave.engine.store.base import BaseStore
from careweave.engine.store.phi_codec import codec_for
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore

SQLITE_FILE = "careweave.db"


def build_store(
    config: EngineConfig,
    *,
    read_only: bool = False,
    shared: bool = False,
    env: Mapping[str, str] | None = None,
) -> BaseStore:
    """The store backend for ``config`` (not yet opened).

    ``read_only`` opens SQLite for inspection beside a running engine, ``shared`` for writes beside
    it (replay, cases); PostgreSQL is shared by design and needs neither. ``env`` (the process
    environment when None) holds the PHI keyring ``phi_key_env`` names: ConfigError when it is
    configured but missing or malformed.
    """
    codec = codec_for(config, os.environ if env is None else env)
    if config.database_url:
        from careweave.engine.store.postgres import PostgresConfig, PostgresStore

        return PostgresStore(
            PostgresConfig(url=config.database_url, schema=config.database_schema, codec=codec)
        )
    return SqliteStore(
        SqliteConfig(
            path=Path(config.data_dir) / SQLITE_FILE,
            synchronous=config.synchronous,
            read_only=read_only,
            shared=shared,
            codec=codec,
        )
    )
