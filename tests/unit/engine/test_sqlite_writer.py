"""Group commit: many jobs, one transaction; a failing job fails alone."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from careweave.engine.store.sqlite_writer import SqliteWriter
from careweave.exceptions import StoreError


def _writer(path: Path) -> SqliteWriter:
    def connect() -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("CREATE TABLE IF NOT EXISTS t (v INTEGER UNIQUE)")
        return conn

    writer = SqliteWriter(connect)
    writer.start()
    return writer


async def test_concurrent_jobs_share_commits_and_a_bad_one_fails_alone(tmp_path: Path) -> None:
    writer = _writer(tmp_path / "w.db")
    try:

        def insert(v: int) -> Callable[[sqlite3.Connection], int]:
            return lambda c: int(c.execute("INSERT INTO t VALUES (?)", (v,)).rowcount)

        jobs = [writer.run(insert(v)) for v in range(200)]
        jobs.append(writer.run(insert(5)))  # violates the unique index
        results = await asyncio.gather(*jobs, return_exceptions=True)
        assert results[:200] == [1] * 200
        assert isinstance(results[200], StoreError) and "UNIQUE" in str(results[200])
        assert writer.batches < 200  # commits were shared
        count = await writer.run(lambda c: c.execute("SELECT COUNT(*) FROM t").fetchone()[0])
        assert count == 200
    finally:
        writer.stop()


async def test_unopenable_database_is_a_store_error(tmp_path: Path) -> None:
    writer = SqliteWriter(lambda: sqlite3.connect(tmp_path / "missing" / "x.db"))
    with pytest.raises(StoreError):
        writer.start()
