"""``careweave audit`` as an auditor runs it, in its own process, on SQLite and PostgreSQL.

Acceptance 3 of the governance issue: altering one audit row (its detail, its actor, or deleting a
row from the middle) makes ``careweave audit verify`` exit 1 naming that row; an intact chain exits
0 with one line. The tamperer bypasses the append-only guard as an attacker with file or superuser
access would: dropping the SQLite triggers, or disabling the PostgreSQL ones.
"""

from __future__ import annotations

import asyncio
import getpass
import json
import re
import sqlite3
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from careweave.config import load_settings
from careweave.engine.store.audit_verify import verify_chain
from careweave.engine.store.base import BaseStore
from careweave.engine.store.factory import build_store
from careweave.model.audit import AuditAction, AuditEntry
from careweave.model.records import MessageState, Processing
from tests.integration.cli.test_erp_cli import careweave
from tests.integration.store.builders import message


class Deployment:
    """A settings file and direct access to its database, to tamper with it."""

    def __init__(self, backend: str, tmp_path: Path, postgres_url: str | None) -> None:
        self.backend = backend
        self.config = tmp_path / "careweave.toml"
        self.db = tmp_path / "data" / "careweave.db"
        self.url = postgres_url
        self.schema = f"cw_audit_{uuid.uuid4().hex[:12]}"
        engine = f'data_dir = "{tmp_path / "data"}"\n'
        if backend == "postgres":
            engine += f'database_url = "{postgres_url}"\ndatabase_schema = "{self.schema}"\n'
        self.config.write_text(f"[engine]\n{engine}")

    def store(self) -> BaseStore:
        return build_store(load_settings(self.config, {}).engine, env={})

    def tamper(self, statement: str) -> None:
        """Run ``statement`` on the audit table past its append-only guard."""
        if self.backend == "sqlite":
            with sqlite3.connect(self.db) as conn:
                conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
                conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
                conn.execute(statement)
            return
        assert self.url is not None
        with psycopg.connect(self.url, autocommit=True) as pg:
            pg.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
            pg.execute("ALTER TABLE audit_log DISABLE TRIGGER USER")
            pg.execute(statement)

    def drop(self) -> None:
        if self.backend == "postgres" and self.url is not None:
            with psycopg.connect(self.url, autocommit=True) as pg:
                pg.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema))
                )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def deployment(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Deployment]:
    """A deployment holding one stored message and a chain of five entries."""
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else None
    deployed = Deployment(request.param, tmp_path, url)
    store = deployed.store()
    await store.open()
    try:
        await store.ingest(message(), Processing(state=MessageState.PROCESSED))
        actors = ("ana", "raj", "lee", "kim", "bo")
        for n, actor in enumerate(actors, start=1):
            entry = AuditEntry(
                actor=actor,
                action=AuditAction.CASE_RESOLVE,
                subject=f"case:{n}",
                detail={"parked": str(n)},
            )
            await store.append_audit(entry)
    finally:
        await store.close()
    try:
        yield deployed
    finally:
        deployed.drop()


async def verify(deployment: Deployment) -> tuple[int, str, str]:
    return await careweave("audit", "verify", "--config", str(deployment.config))


async def test_an_intact_chain_holds_and_a_phi_read_joins_it(deployment: Deployment) -> None:
    code, out, err = await verify(deployment)
    assert code == 0, err
    assert re.fullmatch(r"audit chain holds: 5 entries, head [0-9a-f]{12}\n", out)

    # Reading a message's raw content (PHI) from the CLI is audited as the OS user.
    code, out, err = await careweave("messages", "show", "1", "--config", str(deployment.config))
    assert code == 0 and "MSH|" in out, err
    code, out, err = await careweave(
        "audit", "list", "--config", str(deployment.config), "--json", "--limit", "2"
    )
    assert code == 0, err
    newest = json.loads(out)
    assert [e["seq"] for e in newest] == [5, 6]
    assert (newest[1]["actor"], newest[1]["action"], newest[1]["subject"]) == (
        getpass.getuser(),
        "phi.read",
        "message:1",
    )
    assert newest[1]["prev_hash"] == newest[0]["hash"]
    code, out, err = await verify(deployment)
    assert (code, out.split(",")[0]) == (0, "audit chain holds: 6 entries"), err


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        (
            """UPDATE audit_log SET detail = '{"parked": "0"}' WHERE seq = 3""",
            "entry 3 (lee, case.resolve): hash mismatch",
        ),
        ("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2", "entry 2 (mallory, case.resolve)"),
        ("DELETE FROM audit_log WHERE seq = 3", "entry 4 (kim, case.resolve): link mismatch"),
    ],
    ids=["detail", "actor", "deleted"],
)
async def test_an_altered_row_is_named(deployment: Deployment, statement: str, named: str) -> None:
    deployment.tamper(statement)
    code, out, err = await verify(deployment)
    assert code == 1, out
    assert out == ""
    assert named in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


async def test_the_cli_beside_a_running_engine_extends_the_same_chain(tmp_path: Path) -> None:
    """SQLite shared mode: the engine's process keeps appending while CLI processes append too."""
    deployed = Deployment("sqlite", tmp_path, None)
    store = deployed.store()
    await store.open()  # holds the file as a running engine does
    try:
        await store.ingest(message(), Processing(state=MessageState.PROCESSED))
        done = asyncio.Event()

        async def engine_side() -> None:
            n = 0
            while not done.is_set() or n == 0:
                n += 1
                entry = AuditEntry(
                    actor="careweave", action=AuditAction.MESSAGE_REPLAY, subject=f"message:{n}"
                )
                await store.append_audit(entry)
                await asyncio.sleep(0)  # let the CLI processes' results in

        async def cli_side() -> list[tuple[int, str, str]]:
            show = ("messages", "show", "1", "--config", str(deployed.config))
            try:
                return list(await asyncio.gather(*(careweave(*show) for _ in range(3))))
            finally:
                done.set()

        _, results = await asyncio.gather(engine_side(), cli_side())
        assert all(code == 0 for code, _out, _err in results), results
        report = await verify_chain(store)
        entries = await store.audit_entries(limit=1_000_000)
    finally:
        await store.close()
    assert (report.entries, report.broken) == (len(entries), None)
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    reads = [i for i, e in enumerate(entries) if e.action == "phi.read"]
    assert len(reads) == 3
    # The engine went on appending after each CLI read: the two writers really interleaved.
    assert entries[-1].actor == "careweave" and reads[0] > 0
