"""A folder as a channel's source: files stored once, moved after the commit, nothing dropped.

Real files in a temporary folder, a real engine built from settings with the embedded SQLite store;
the source is polled on demand (``poll_once``) so the tests do not wait on timers.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from careweave.app import Application, build_application
from careweave.config import parse_settings
from careweave.connectors.file_source import FileSource, FileSourceConfig
from careweave.model.records import MessageQuery, MessageState

SETTINGS = """
[engine]
data_dir = "{data_dir}"
log_level = "error"

[[channels]]
name = "remits"
format = "x12"
source = {{ type = "file", directory = "drop", pattern = "*.835", min_age = 0, max_bytes = {limit} }}

[[channels.destinations]]
name = "archive"
connector = {{ type = "null" }}
"""

REMIT = (
    b"ISA*00*          *00*          *ZZ*PAYER          *ZZ*RBH837         *261103*1200*^*00501*"
    b"000000001*0*P*:~GS*HP*PAYER*RBH837*20261103*1200*1*X*005010X221A1~ST*835*0001~"
    b"BPR*I*100*C*CHK************20261103~TRN*1*123*1999999999~N1*PR*PAYER~N1*PE*RBH*XX*1234567893~"
    b"LX*1~CLP*C1*1*100*100**MC*X1~SE*9*0001~GE*1*1~IEA*1*000000001~"
)


@asynccontextmanager
async def engine_on(tmp_path: Path, limit: int = 10_000) -> AsyncIterator[Application]:
    settings = parse_settings(SETTINGS.format(data_dir=tmp_path, limit=limit))
    application = build_application(settings, settings_dir=tmp_path, env={}, middleware=[])
    async with application:
        await application.start()
        yield application


def _source(application: Application) -> FileSource:
    return application.engine.file_sources["remits"]


async def test_a_dropped_file_is_stored_then_moved_and_a_second_copy_is_a_duplicate(
    tmp_path: Path,
) -> None:
    async with engine_on(tmp_path) as application:
        source, store = _source(application), application.store
        drop = tmp_path / "drop"
        (drop / "a.835").write_bytes(REMIT)
        (drop / "notes.txt").write_text("not a remittance")  # not the pattern: left alone
        assert await source.poll_once() == 1
        [message] = await store.list_messages(MessageQuery(channel="remits"))
        stored = await store.get_message(message.id)
        assert stored.raw == REMIT and stored.content_type == "application/edi-x12"
        assert stored.sender == "file:a.835"
        assert not (drop / "a.835").exists() and (drop / "processed" / "a.835").exists()
        assert (drop / "notes.txt").exists()
        # The same file again (a retransmission, or a crash before the move): no second message.
        (drop / "a.835").write_bytes(REMIT)
        assert await source.poll_once() == 1
        assert len(await store.list_messages(MessageQuery(channel="remits"))) == 1
        assert (drop / "processed" / "a.835.1").exists()


async def test_a_malformed_file_is_stored_in_error_and_the_next_file_still_goes(
    tmp_path: Path,
) -> None:
    async with engine_on(tmp_path) as application:
        source, store = _source(application), application.store
        drop = tmp_path / "drop"
        (drop / "1-bad.835").write_bytes(b"this is not X12")
        os.utime(drop / "1-bad.835", (time.time() - 10, time.time() - 10))  # older: taken first
        (drop / "2-good.835").write_bytes(REMIT)
        assert await source.poll_once() == 2
        found = {m.sender: m for m in await store.list_messages(MessageQuery(channel="remits"))}
        assert found["file:1-bad.835"].state is MessageState.ERROR
        assert found["file:1-bad.835"].error
        assert found["file:2-good.835"].state is not MessageState.ERROR
        assert sorted(p.name for p in (drop / "processed").iterdir()) == ["1-bad.835", "2-good.835"]


async def test_an_oversized_file_is_stored_cut_with_its_reason_and_moved_to_error(
    tmp_path: Path,
) -> None:
    async with engine_on(tmp_path, limit=64) as application:
        source, store = _source(application), application.store
        drop = tmp_path / "drop"
        (drop / "big.835").write_bytes(REMIT)
        await source.poll_once()
        [message] = await store.list_messages(MessageQuery(channel="remits"))
        stored = await store.get_message(message.id)
        assert stored.state is MessageState.ERROR and stored.raw == REMIT[:64]
        assert "more than max_bytes (64)" in (stored.error or "")
        assert (drop / "error" / "big.835").exists() and not (drop / "big.835").exists()


async def test_a_file_still_being_written_or_not_stored_stays_for_the_next_poll(
    tmp_path: Path,
) -> None:
    stored: list[str] = []
    accept = False

    async def handler(raw: bytes, name: str, key: str) -> bool:
        if accept:
            stored.append(name)
        return accept

    async def fragments(raw: bytes, name: str, reason: str) -> None:
        raise AssertionError("no fragment expected")

    folder = tmp_path / "in"
    config = FileSourceConfig(directory="in", min_age=30)
    source = FileSource(config, folder, handler, fragments)
    await source.start()
    try:
        (folder / "copying.835").write_bytes(REMIT)
        assert await source.poll_once() == 0  # modified just now: a copy may be in progress
        os.utime(folder / "copying.835", (time.time() - 60, time.time() - 60))
        assert await source.poll_once() == 0  # the store refused it: left in place, retried
        assert (folder / "copying.835").exists() and source.stats.retries >= 1
        accept = True
        assert await source.poll_once() == 1
        assert stored == ["copying.835"] and (folder / "processed" / "copying.835").exists()
    finally:
        await source.stop()
