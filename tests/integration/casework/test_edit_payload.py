"""Correcting one parked message: the corrected copy is processed and delivered, the original is
superseded (and never replayed), and the case is resolved once nothing is left parked on it.

The toy bed-board flow of the case tests parks admissions to units it does not know; here the
unit is wrong in the message itself, so the fix is an edited payload, not master data.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from careweave.app import build_engine, builtin_registries
from careweave.config import parse_settings
from careweave.engine.corrections import correct_payload
from careweave.engine.runtime import Engine
from careweave.engine.store.base import BaseStore
from careweave.exceptions import ValidationError
from careweave.flows.registry import FlowRegistry
from careweave.model.records import CaseState, MessageState
from careweave.testing import RecordingHttpServer
from tests.integration.engine.helpers import wait_for
from tests.integration.engine.test_cases_and_replay import BedBoardFlow, KnownUnits, admit


def bed_board_engine(store: BaseStore, url: str) -> Engine:
    settings = parse_settings(
        f"""
[[channels]]
name = "adt"
mapping = "hl7v2-clinical"
flows = ["test-bed-board"]
source = {{ type = "mllp", port = 0 }}
[[channels.destinations]]
name = "bed-board"
payload = "events"
event_types = ["NoSuchEvent"]
connector = {{ type = "http", url = "{url}/beds" }}
"""
    )
    units = KnownUnits({"4N"})
    flows = FlowRegistry({"test-bed-board": lambda _services: BedBoardFlow(units)})
    return build_engine(settings, store, registries=replace(builtin_registries(), flows=flows))


async def test_corrected_payloads_are_delivered_and_settle_the_case(store: BaseStore) -> None:
    with RecordingHttpServer() as bed_board:
        engine = bed_board_engine(store, bed_board.url)
        await engine.start(listen=False)
        try:
            first, _ = await engine.receive_hl7("adt", admit(1, "ICU7"))
            second, _ = await engine.receive_hl7("adt", admit(2, "ICU7"))
            await engine.receive_hl7("adt", admit(3, "4N"))
            await wait_for(lambda: len(bed_board.applied) == 1, 10, "the known-unit admission")
            (case,) = await store.list_cases()
            assert case.message_ids == [first.message_id, second.message_id]

            # Still wrong: the copy parks on the same case, which stays open.
            again = await correct_payload(
                engine, case.id, first.message_id, admit(1, "ICU7"), actor="ana"
            )
            assert (again.state, again.case_closed) == ("parked", False)
            assert (await store.get_case(case.id)).message_ids == [
                second.message_id,
                again.message_id,
            ]

            fixed = await correct_payload(
                engine, case.id, again.message_id, admit(1, "4N"), actor="ana"
            )
            assert (fixed.state, fixed.case_closed) == ("processed", False)
            await wait_for(lambda: len(bed_board.applied) == 2, 10, "the corrected admission")

            last = await correct_payload(
                engine, case.id, second.message_id, admit(2, "4N"), actor="raj"
            )
            assert last.case_closed
            await wait_for(lambda: len(bed_board.applied) == 3, 10, "the last correction")

            closed = await store.get_case(case.id)
            assert (closed.state, closed.resolution) == (
                CaseState.RESOLVED,
                "payload edited by raj",
            )
            assert [e.action for e in closed.audit].count("edited") == 3
            for superseded in (first.message_id, again.message_id, second.message_id):
                assert (await store.get_message(superseded)).state is MessageState.SUPERSEDED
            corrected = await store.get_message(last.message_id)
            assert corrected.state is MessageState.PROCESSED
            assert corrected.raw == admit(2, "4N")
            assert corrected.trace_id == (await store.get_message(second.message_id)).trace_id
            lineage = await store.lineage(last.message_id)
            assert lineage.replays[0].reason == (
                f"payload edited by raj: corrects message {second.message_id}"
            )
            # The superseded originals are not replayed by a later resolve.
            assert await engine.resolve_case(case.id, actor="ana", resolution="again") == 0
        finally:
            await engine.stop()


async def test_a_correction_that_cannot_be_read_or_applied_stores_nothing(
    store: BaseStore,
) -> None:
    engine = bed_board_engine(store, "http://127.0.0.1:9")
    parked, _ = await engine.receive_hl7("adt", admit(1, "ICU7"))
    (case,) = await store.list_cases()
    with pytest.raises(ValidationError, match="no readable MSH"):
        await correct_payload(engine, case.id, parked.message_id, b"PID|1||x\r", actor="ana")
    with pytest.raises(ValidationError, match="is empty"):
        await correct_payload(engine, case.id, parked.message_id, b"\r\n", actor="ana")
    other, _ = await engine.receive_hl7("adt", admit(2, "4N"))
    with pytest.raises(ValidationError, match="is not parked on exception case"):
        await correct_payload(engine, case.id, other.message_id, admit(2, "4N"), actor="ana")
    assert (await store.counts()).get("messages.superseded", 0) == 0
    assert (await store.get_case(case.id)).message_ids == [parked.message_id]
