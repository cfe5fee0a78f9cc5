"""Issue 3, acceptance 4: a third-party MLLP client (python-hl7's) sends the whole HL7 v2 corpus to
careweave's listener and receives a correct ACK for each message: MSA-1 AA, MSA-2 = its MSH-10,
sender and receiver swapped, and the message stored byte for byte."""

from __future__ import annotations

import asyncio
from pathlib import Path

import hl7.client

from careweave.app import build_engine
from careweave.codecs.hl7v2 import is_enhanced_mode, parse_batch, parse_message
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.model.records import MessageQuery
from careweave.testing import RecordingHttpServer
from tests.integration.engine.helpers import engine_settings
from tests.unit.hl7v2.corpus import NOT_MESSAGES, hl7_files, is_batch, relative


def corpus_messages() -> list[bytes]:
    """Every message of the corpus (batches split), as the bytes a sender would send."""
    out: list[bytes] = []
    for path in hl7_files():
        if relative(path) in NOT_MESSAGES:
            continue
        data = path.read_bytes()
        if is_batch(data):
            out.extend(m.encode() for m in parse_batch(data))
        else:
            out.append(data)
    return out


def _send_all(port: int, messages: list[bytes]) -> list[bytes]:
    client = hl7.client.MLLPClient("127.0.0.1", port)
    try:
        return [client.send_message(m) for m in messages]
    finally:
        client.close()


async def test_python_hl7_client_gets_a_correct_ack_for_every_corpus_message(
    tmp_path: Path,
) -> None:
    messages = corpus_messages()
    assert len(messages) > 300
    with RecordingHttpServer() as downstream:
        store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db", synchronous="NORMAL"))
        await store.open()
        engine = build_engine(engine_settings(url=downstream.url), store, middleware=[])
        await engine.start(deliver=False)
        try:
            acks = await asyncio.to_thread(_send_all, engine.listeners["adt"].port, messages)
            stored = await store.list_messages(MessageQuery(limit=10_000))
        finally:
            await engine.stop()
            await store.close()

    raw_by_key: dict[str, bytes] = {}
    rejected = 0
    for message, answer in zip(messages, acks, strict=True):
        sent = parse_message(message)
        ack = parse_message(answer.strip(b"\x0b\x1c\r"))
        missing = [f for f in ("MSH-9", "MSH-10") if not sent.get_raw(f)]
        if missing:
            # MSH-9 routes the message and MSH-10 recognises a re-send: both are required. Such a
            # message is rejected with the HL7 code for a missing required field, and stored.
            assert ack.get("MSA-1") == "AR"
            assert missing[0] in ack.get("MSA-3")
            assert ack.get("ERR-3.1") == "101" or ack.get("ERR-1.4.1") == "101"
            rejected += 1
            continue
        expected = "CA" if is_enhanced_mode(sent.header) else "AA"  # commit ACK in enhanced mode
        assert ack.get("MSA-1") == expected, (
            sent.header.control_id,
            ack.get("ERR-8"),
            ack.get("MSA-3"),
        )
        assert ack.get_raw("MSA-2") == sent.header.control_id
        assert ack.get_raw("MSH-3") == sent.header.receiving_application
        assert ack.get_raw("MSH-5") == sent.header.sending_application
        assert ack.get_raw("MSH-4") == sent.header.receiving_facility
        raw_by_key.setdefault(sent.header.dedup_key(), message)  # the first is kept
    # Every distinct message is stored once, byte for byte; re-sent ones were recognised.
    assert len(stored) == len(raw_by_key) + rejected
    store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
    await store.open()
    try:
        for m in [m for m in stored if m.dedup_key is not None][:50]:
            full = await store.get_message(m.id)
            assert m.dedup_key is not None
            assert full.raw == raw_by_key[m.dedup_key]
    finally:
        await store.close()
