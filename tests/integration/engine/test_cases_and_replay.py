"""Exception cases: a flow parks work it cannot do; fixing the cause once replays every parked message.

A toy flow stands in for the domain flows: it forwards admissions to a bed board, but only for nursing
units it knows; an unknown unit parks the admission on one case per unit. Other admissions go on.
Adding the unit and resolving the case replays the parked messages, and the audit trail shows it all.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from careweave.app import build_engine, builtin_registries
from careweave.config import parse_settings
from careweave.connectors.mllp import MllpClient, ack_code
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.flows import BaseFlow, FlowOutput
from careweave.flows.registry import FlowRegistry
from careweave.model.base import BusinessEvent
from careweave.model.clinical import PatientAdmitted
from careweave.model.records import CaseState, MessageState, NewCase
from careweave.testing import RecordingHttpServer
from tests.integration.engine.helpers import wait_for


class KnownUnits:
    """The toy master data: nursing units the bed board knows."""

    def __init__(self, units: set[str]) -> None:
        self.units = units


class BedBoardFlow(BaseFlow):
    name = "test-bed-board"
    handles = (PatientAdmitted,)

    def __init__(self, units: KnownUnits) -> None:
        self.units = units

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        assert isinstance(event, PatientAdmitted)
        unit = (
            event.encounter.location.point_of_care
            if event.encounter and event.encounter.location
            else ""
        )
        if unit not in self.units.units:
            out.park(
                NewCase(
                    case_key=f"unit-miss:{unit}",
                    reason_code="UNKNOWN_UNIT",
                    owning_team="patient-access",
                    summary=f"nursing unit {unit} is not on the bed board",
                    suggested_fix=f"add unit {unit} to the bed board",
                    payload_reference=event.idempotency_key,
                    sla_hours=4,
                )
            )
            return
        out.send(
            "bed-board", f"bed:{event.idempotency_key}", event, ordering_key=event.ordering_key()
        )


def admit(n: int, unit: str) -> bytes:
    return (
        f"MSH|^~\\&|EPIC|HOSP|CW|CWF|20260101120000||ADT^A01^ADT_A01|ADM{n:04d}|P|2.5.1\r"
        f"EVN|A01|20260101120000\r"
        f"PID|1||MRN{n:04d}^^^HOSP^MR||DOE^JANE||19800101|F\r"
        f"PV1|1|I|{unit}^101^1^HOSP||||1234567893^SMITH^ANN|||||||||||V{n:04d}\r"
    ).encode()


async def test_parked_work_is_replayed_once_the_cause_is_fixed(tmp_path: Path) -> None:
    units = KnownUnits({"4N", "5S"})
    with RecordingHttpServer() as bed_board:
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
connector = {{ type = "http", url = "{bed_board.url}/beds" }}
"""
        )
        store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
        await store.open()
        flows = FlowRegistry({"test-bed-board": lambda _services: BedBoardFlow(units)})
        engine = build_engine(
            settings, store, registries=replace(builtin_registries(), flows=flows)
        )
        await engine.start()
        try:
            async with MllpClient("127.0.0.1", engine.listeners["adt"].port) as client:
                for n in range(10):
                    unit = "ICU7" if n % 3 == 0 else "4N"  # 0, 3, 6, 9 go to an unknown unit
                    assert ack_code(await client.send(admit(n, unit))) == "AA"
            await wait_for(lambda: len(bed_board.applied) == 6, 10, "the six known-unit admissions")

            cases = await store.list_cases()
            assert len(cases) == 1
            case = cases[0]
            assert case.case_key == "unit-miss:ICU7"
            assert case.owning_team == "patient-access"
            assert len(case.message_ids) == 4
            assert case.sla_due_at > case.opened_at
            for message_id in case.message_ids:
                assert (await store.get_message(message_id)).state is MessageState.PARKED
            lineage = await store.lineage(case.message_ids[0])
            assert lineage.case_ids == [case.id]

            units.units.add("ICU7")  # the fix, once
            replayed = await engine.resolve_case(case.id, actor="jdoe", resolution="ICU7 added")
            assert replayed == 4
            await wait_for(lambda: len(bed_board.applied) == 10, 10, "the parked admissions")

            closed = await store.get_case(case.id)
            assert closed.state is CaseState.RESOLVED
            actions = [e.action for e in closed.audit]
            assert actions[0] == "opened" and actions.count("linked") == 4
            assert actions[-2:] == ["resolved", "replayed"]
            assert closed.audit[-2].actor == "jdoe"
            for message_id in case.message_ids:
                assert (await store.get_message(message_id)).state is MessageState.PROCESSED
            assert await store.list_cases() == []
            # Replaying again does not send twice: the effects are already delivered.
            await engine.replay_message(case.message_ids[0], reason="again")
            await asyncio.sleep(0.3)
            requests, _ = bed_board.snapshot()
            assert len(requests) == 10
        finally:
            await engine.stop()
            await store.close()
