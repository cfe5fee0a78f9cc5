"""The engine end to end on SQLite: MLLP in over a real socket, ACK after commit, HTTP out."""

from __future__ import annotations

import asyncio
from pathlib import Path

from careweave.app import build_engine
from careweave.codecs.hl7v2 import parse_message
from careweave.connectors.mllp import MllpClient, ack_code
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.model.records import EffectState, MessageQuery, MessageState
from careweave.testing import RecordingHttpServer
from tests.integration.engine.helpers import adt, engine_settings, wait_for


async def test_messages_flow_through_and_duplicates_are_recognised(tmp_path: Path) -> None:
    with RecordingHttpServer() as downstream:
        settings = engine_settings(url=downstream.url)
        store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
        await store.open()
        engine = build_engine(settings, store)
        await engine.start()
        port = engine.listeners["adt"].port
        try:
            async with MllpClient("127.0.0.1", port) as client:
                for n in range(200):
                    ack = await client.send(adt(n))
                    assert ack_code(ack) == "AA"
                    assert parse_message(ack).get("MSA-2") == f"MSG{n:06d}"
                # a sender that lost the ACK re-sends: acknowledged again, not processed twice
                again = await client.send(adt(7))
                assert ack_code(again) == "AA"
            await wait_for(lambda: len(downstream.applied) == 200, 20, "200 deliveries")
            counts = await store.counts()
            assert counts["messages.processed"] == 200
            assert counts["messages.duplicates"] == 1
            for _ in range(100):  # outcomes are recorded in batches just after delivery
                if (await store.counts()).get("effects.delivered") == 200:
                    break
                await asyncio.sleep(0.05)
            assert (await store.counts()).get("effects.delivered") == 200
            assert downstream.duplicates == 0
        finally:
            await engine.stop()
            await store.close()


async def test_unreadable_message_is_stored_and_rejected(tmp_path: Path) -> None:
    with RecordingHttpServer() as downstream:
        store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
        await store.open()
        engine = build_engine(engine_settings(url=downstream.url), store)
        await engine.start()
        try:
            async with MllpClient("127.0.0.1", engine.listeners["adt"].port) as client:
                ack = await client.send(b"this is not HL7 at all")
                assert ack_code(ack) == "AR"
                assert b"MSH" in ack
                ok = await client.send(adt(1))
                assert ack_code(ok) == "AA"
            errors = await store.list_messages(MessageQuery(state=MessageState.ERROR))
            assert len(errors) == 1
            stored = await store.get_message(errors[0].id)
            assert stored.raw == b"this is not HL7 at all"
            assert stored.error is not None and "MSH" in stored.error
            await wait_for(lambda: len(downstream.applied) == 1, 10, "the good message")
            assert (await store.list_effects(state=EffectState.DEAD)) == []
        finally:
            await engine.stop()
            await store.close()
