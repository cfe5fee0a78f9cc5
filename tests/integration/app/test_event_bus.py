"""The in-process event bus: a subscriber in the engine's process receives each business event of
the committed messages, through the outbox, once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from careweave.app import build_application
from careweave.config import parse_settings
from careweave.connectors.event_bus import event_bus
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.model.records import MessageQuery
from tests.integration.engine.helpers import adt

SETTINGS = """
[[channels]]
name = "adt"
mapping = "hl7v2-clinical"
source = { type = "mllp", port = 0 }
[[channels.destinations]]
name = "live"
payload = "events"
connector = { type = "bus" }
"""


async def test_a_subscriber_gets_the_events_of_each_committed_message_once(tmp_path: Path) -> None:
    application = build_application(
        parse_settings(SETTINGS),
        settings_dir=tmp_path,
        env={},
        store=SqliteStore(SqliteConfig(path=tmp_path / "cw.db")),
    )
    bus = event_bus(application.engine.workers["live"].connector)
    async with application, bus.subscribe(["PatientAdmitted"]) as admissions:
        await application.start(listen=False)
        for n in (1, 2, 1):  # the third is the first re-sent: acknowledged, not processed again
            await application.engine.receive_hl7("adt", adt(n, f"P{n:03d}"))
        received = [await asyncio.wait_for(admissions.get(), 10) for _ in range(2)]
        await application.stop()
        assert admissions.pending() == []
        messages = await application.store.list_messages(MessageQuery())
        stored = [
            (e.event_type, e.idempotency_key)
            for m in sorted(messages, key=lambda m: m.id)
            for e in (await application.store.lineage(m.id)).events
        ]
    # Two patients' events are delivered concurrently: the stream's order is per ordering key.
    assert sorted((e.event_type, e.key) for e in received) == sorted(stored)
    assert [e.event_type for e in received] == ["PatientAdmitted", "PatientAdmitted"]
