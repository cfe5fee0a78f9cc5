"""The engine's command line against a real SQLite store filled by a real engine."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from pathlib import Path

from typer.testing import CliRunner

from careweave.app import build_engine
from careweave.cli import app
from careweave.config import parse_settings
from careweave.engine.clock import ManualClock
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.model.records import EffectState, MessageQuery, MessageState
from careweave.testing import RecordedRequest, RecordingHttpServer
from tests.integration.engine.helpers import adt, wait_for

runner = CliRunner()


def _config(tmp: Path, url: str, *, retention: str = "") -> Path:
    path = tmp / "careweave.toml"
    path.write_text(
        f"""
[engine]
data_dir = "{tmp / "data"}"

[[channels]]
name = "adt"
{retention}
source = {{ type = "mllp", port = 0 }}
owner = "integration-team"
sla = "ACK within 2 s"

[[channels.destinations]]
name = "rcm"
connector = {{ type = "http", url = "{url}/in" }}
worker = {{ retry = {{ max_attempts = 1 }} }}
owner = "revenue-integrity"
sla = "charges delivered within 15 min"
"""
    )
    return path


async def _fill(config: Path, downstream: RecordingHttpServer, count: int) -> None:
    settings = parse_settings(config.read_text())
    store = SqliteStore(SqliteConfig(path=Path(settings.engine.data_dir) / "careweave.db"))
    await store.open()
    engine = build_engine(settings, store, middleware=[])
    await engine.start()
    try:
        await engine.receive_hl7("adt", b"garbage, not HL7")
        for n in range(count):
            await engine.receive_hl7("adt", adt(n))
        await wait_for(lambda: len(downstream.requests) >= count, 10, "deliveries")
        for _ in range(50):
            if (await store.counts()).get("effects.in_flight", 0) == 0:
                break
            await asyncio.sleep(0.05)
    finally:
        await engine.stop()
        await store.close()


def test_check_names_the_problem(tmp_path: Path) -> None:
    good = _config(tmp_path, "http://127.0.0.1:1")
    result = runner.invoke(app, ["check", "--config", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 channel(s), 1 destination(s)" in result.output
    bad = tmp_path / "bad.toml"
    bad.write_text('[[channels]]\nname = "x"\nsource = { type = "mllp", port = "twenty" }\n')
    result = runner.invoke(app, ["check", "--config", str(bad)])
    assert result.exit_code == 2  # a settings mistake
    assert "channels[0].source.port" in result.output


def test_inspect_dead_letters_and_replay(tmp_path: Path) -> None:
    fail_first = {"on": True}

    def respond(r: RecordedRequest) -> tuple[int, bytes]:
        if fail_first["on"] and r.idempotency_key.endswith("MSG000002"):
            return 422, b"unknown attending physician"
        return 200, b"ok"

    with RecordingHttpServer(respond=respond) as downstream:
        config = _config(tmp_path, downstream.url)
        asyncio.run(_fill(config, downstream, 5))
        cfg = ["--config", str(config)]

        listed = runner.invoke(app, ["messages", "list", *cfg, "--json"])
        assert listed.exit_code == 0, listed.output
        messages = json.loads(listed.output)
        assert len(messages) == 6
        assert sum(m["state"] == MessageState.ERROR.value for m in messages) == 1

        errors = runner.invoke(app, ["messages", "list", *cfg, "--state", "error"])
        assert "unreadable MSH" in errors.output

        dead = json.loads(runner.invoke(app, ["deadletters", "list", "rcm", *cfg, "--json"]).output)
        assert len(dead) == 1 and "422" in dead[0]["last_error"]

        shown = runner.invoke(app, ["messages", "show", str(dead[0]["message_id"]), *cfg])
        assert shown.exit_code == 0
        assert "MSG000002" in shown.output and "dead" in shown.output

        fail_first["on"] = False
        replay = runner.invoke(app, ["replay", "deadletters", "rcm", *cfg, "--reason", "NPI fixed"])
        assert "1 dead letter(s) queued again" in replay.output

        async def redeliver() -> None:
            settings = parse_settings(config.read_text())
            store = SqliteStore(SqliteConfig(path=Path(settings.engine.data_dir) / "careweave.db"))
            await store.open()
            engine = build_engine(settings, store, middleware=[])
            await engine.start(listen=False)
            try:
                await wait_for(
                    lambda: any(k.endswith("MSG000002") for k in downstream.applied), 10, "replay"
                )
                await asyncio.sleep(0.2)
                assert await store.list_effects(state=EffectState.DEAD) == []
                lineage = await store.lineage(dead[0]["message_id"])
                assert [r.reason for r in lineage.replays] == ["NPI fixed"]
            finally:
                await engine.stop()
                await store.close()

        asyncio.run(redeliver())
        counts = json.loads(runner.invoke(app, ["deadletters", "count", *cfg]).output)
        assert counts["effects.delivered"] == 5


def test_retention_prunes_content_and_keeps_lineage(tmp_path: Path) -> None:
    with RecordingHttpServer() as downstream:
        config = _config(tmp_path, downstream.url, retention="retention_days = 30")
        asyncio.run(_fill(config, downstream, 3))

        async def prune() -> None:
            settings = parse_settings(config.read_text())
            store = SqliteStore(SqliteConfig(path=Path(settings.engine.data_dir) / "careweave.db"))
            await store.open()
            clock = ManualClock(dt.datetime.now(dt.UTC))
            engine = build_engine(settings, store, middleware=[], clock=clock)
            try:
                assert await engine.prune() == 0  # nothing is 30 days old yet
                clock.advance(31 * 86400)
                assert await engine.prune() == 4
                first = (await store.list_messages(MessageQuery()))[-1]
                full = await store.get_message(first.id)
                assert full.raw is None and full.state is MessageState.ERROR
                lineage = await store.lineage(first.id + 1)
                assert lineage.effects[0].state is EffectState.DELIVERED
                assert lineage.effects[0].payload is None
            finally:
                await store.close()

        asyncio.run(prune())
