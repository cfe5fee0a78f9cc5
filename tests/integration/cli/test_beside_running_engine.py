"""Inspection and replay from another process while an engine runs on the SQLite file.

An operator must not have to stop the engine to replay a dead letter: the CLI opens the file beside
the running engine (SQLite serialises the two writers) and the engine delivers the requeued effect
at its next poll.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from careweave.app import build_engine
from careweave.config import parse_settings
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.testing import RecordedRequest, RecordingHttpServer
from tests.integration.engine.helpers import adt, wait_for

CLI = [sys.executable, "-m", "careweave"]


async def _cli(*args: str) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *CLI,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "COLUMNS": "200"},
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_a_dead_letter_is_replayed_from_the_cli_while_the_engine_runs(
    tmp_path: Path,
) -> None:
    refusing = True

    def respond(request: RecordedRequest) -> tuple[int, bytes]:
        return (400, b"refused") if refusing else (200, b"ok")

    with RecordingHttpServer(respond=respond) as downstream:
        config = tmp_path / "careweave.toml"
        config.write_text(
            f"""
[engine]
data_dir = "{tmp_path / "data"}"

[[channels]]
name = "adt"
source = {{ type = "mllp", port = 0 }}

[[channels.destinations]]
name = "rcm"
connector = {{ type = "http", url = "{downstream.url}/in" }}
worker = {{ retry = {{ max_attempts = 1 }} }}
"""
        )
        settings = parse_settings(config.read_text())
        store = SqliteStore(SqliteConfig(path=tmp_path / "data" / "careweave.db"))
        await store.open()
        engine = build_engine(settings, store, middleware=[])
        await engine.start()
        try:
            await engine.receive_hl7("adt", adt(1))

            async def dead() -> int:
                return (await store.counts()).get("effects.dead", 0)

            for _ in range(200):
                if await dead() == 1:
                    break
                await asyncio.sleep(0.05)
            assert await dead() == 1

            code, out, err = await _cli(
                "deadletters", "list", "rcm", "--config", str(config), "--json"
            )
            assert code == 0, err
            assert len(json.loads(out)) == 1

            refusing = False
            code, out, err = await _cli("replay", "deadletters", "rcm", "--config", str(config))
            assert code == 0, err
            assert "Traceback" not in err
            # The running engine delivers what the other process put back in its queue.
            await wait_for(lambda: len(downstream.applied) == 1, 10, "the replayed delivery")
            for _ in range(100):
                counts = await store.counts()
                if counts.get("effects.delivered", 0) == 1:
                    break
                await asyncio.sleep(0.05)
            assert counts.get("effects.delivered", 0) == 1
            assert counts.get("effects.dead", 0) == 0
        finally:
            await engine.stop()
            await store.close()
