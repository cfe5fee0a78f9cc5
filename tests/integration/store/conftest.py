"""The ``store`` fixture: the same contract suite against every store backend.

SQLite runs on a file under ``tmp_path``. PostgreSQL runs on a fresh schema named for the test run,
dropped afterwards, so that parallel runs and other tests never see each other's rows.
"""

from __future__ import annotations

import base64
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from careweave.engine.store.aes_codec import AesGcmCodec
from careweave.engine.store.base import BaseStore
from careweave.engine.store.codec import PayloadCodec, PlainCodec
from careweave.engine.store.phi_keys import parse_keyring
from careweave.engine.store.postgres import PostgresConfig, PostgresStore
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore


class StoreFactory:
    """Opens stores of one backend for a test and cleans up after it."""

    def __init__(self, backend: str, tmp_path: Path, postgres_url: str | None) -> None:
        self.backend = backend
        self.tmp_path = tmp_path
        self.postgres_url = postgres_url
        self.schema = f"cw_test_{uuid.uuid4().hex[:12]}"
        self.opened: list[BaseStore] = []

    async def open(self, codec: PayloadCodec | None = None) -> BaseStore:
        """A new opened store (PostgreSQL: same schema each time, like another process)."""
        codec = codec or PlainCodec()
        store: BaseStore
        if self.backend == "sqlite":
            path = self.tmp_path / f"careweave-{len(self.opened)}.db"
            store = SqliteStore(SqliteConfig(path=path, codec=codec))
        else:
            assert self.postgres_url is not None
            store = PostgresStore(
                PostgresConfig(url=self.postgres_url, schema=self.schema, codec=codec)
            )
        await store.open()
        self.opened.append(store)
        return store

    def stored_raw(self, message_id: int) -> bytes | None:
        """The raw column as stored, bypassing the codec (of the first store opened)."""
        query = "SELECT raw FROM messages WHERE id = "
        if self.backend == "sqlite":
            with sqlite3.connect(self.tmp_path / "careweave-0.db") as conn:
                row = conn.execute(query + "?", (message_id,)).fetchone()
        else:
            assert self.postgres_url is not None
            with psycopg.connect(self.postgres_url) as pg:
                pg.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
                row = pg.execute(query + "%s", (message_id,)).fetchone()
        return None if row is None or row[0] is None else bytes(row[0])

    async def cleanup(self) -> None:
        """Close every store; drop the PostgreSQL schema."""
        for store in self.opened:
            await store.close()
        if self.backend == "postgres" and self.postgres_url is not None:
            with psycopg.connect(self.postgres_url, autocommit=True) as pg:
                pg.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema))
                )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def stores(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreFactory]:
    """A factory of stores of each backend in turn."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    factory = StoreFactory(request.param, tmp_path, url)
    try:
        yield factory
    finally:
        await factory.cleanup()


TEST_KEYRING = "k1:" + base64.b64encode(bytes(range(32))).decode()
"""A fixed PHI keyring for the tests (never a real key)."""


def aes_codec() -> AesGcmCodec:
    """The encryption-at-rest codec under :data:`TEST_KEYRING`."""
    return AesGcmCodec(parse_keyring(TEST_KEYRING, "test keyring"))


@pytest.fixture(params=["plain", "aes"])
async def store(stores: StoreFactory, request: pytest.FixtureRequest) -> BaseStore:
    """An opened store of each backend in turn, storing in clear and encrypted at rest: the
    contract holds either way."""
    return await stores.open(codec=aes_codec() if request.param == "aes" else None)
