"""The patient index in the engine: ADT registrations, an A40 merge, an A47, and a reviewer's CLI.

Messages go through ``engine.receive_hl7`` of an application built from settings (the channel runs
the ``patient-index`` flow); the index is read back from the store's business state; the review
queue and a decision go through the documented commands, beside the stored state.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import msgspec

from careweave.app import build_application
from careweave.config import parse_settings
from careweave.engine.store.base import BaseStore
from careweave.masterdata.identity.online import Person, Review
from careweave.model.state import StateTable

SETTINGS = """
[engine]
data_dir = "{data_dir}"
log_level = "error"

[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
flows = ["patient-index"]
source = {{ type = "mllp", port = 0 }}

[[channels.destinations]]
name = "stream"
payload = "events"
event_types = ["PatientIndexed", "PersonsMerged", "PatientMatchReview"]
connector = {{ type = "null" }}

[[channels]]
name = "mpi"
format = "mpi-decision"
flows = ["patient-index"]
source = {{ type = "mllp", port = 0 }}
"""


def _adt(control: str, trigger: str, pid: str, extra: str = "") -> bytes:
    return (
        f"MSH|^~\\&|EPIC|RBH||CW|20261103101500||ADT^{trigger}|{control}|P|2.5.1\r"
        f"EVN|{trigger}|20261103101500\r"
        f"{pid}\r"
        f"PV1|1|I|3N^301^A^RBH||||||||||||||||V{control}^^^RBH^VN\r"
        f"{extra}"
    ).encode()


JANE = "PID|1||E100^^^EPIC^MR||DOE^JANE||19700314|F|||12 ELM ST^^OSHKOSH^WI^54901"
JANE_CLINIC = "PID|1||P7^^^RBPG^MR||DOE^JANE||19700314|F|||12 ELM STREET^^OSHKOSH^WI^54901"
EMILY = "PID|1||E101^^^EPIC^MR||DOE^EMILY||19700314|F|||12 ELM ST^^OSHKOSH^WI^54901"
BOB = "PID|1||C9^^^CERNER^MR||KING^ROBERT||19500102|M|||1 MAIN ST^^FOND DU LAC^WI^54935"
UNKNOWN = "PID|1||C10^^^CERNER^MR||UNKNOWN^MALE||19000101|M"  # a trauma alias, merged later


async def _persons(store: BaseStore) -> dict[str, Person]:
    rows = await store.state_rows(StateTable.MPI_PERSONS)
    return {k: msgspec.json.decode(v, type=Person) for k, v in rows}


async def test_registrations_merges_and_decisions_change_the_index_in_their_commit(
    tmp_path: Path,
) -> None:
    settings_file = tmp_path / "careweave.toml"
    settings_file.write_text(SETTINGS.format(data_dir=tmp_path))
    application = build_application(
        parse_settings(settings_file.read_text()),
        settings_dir=tmp_path,
        env={},
        middleware=[],
    )
    async with application:
        engine, store = application.engine, application.store
        for n, pid in enumerate((JANE, JANE_CLINIC, EMILY, BOB), start=1):
            await engine.receive_hl7("ehr", _adt(f"M{n}", "A04", pid))
        # An A40: the trauma alias C10 is ROBERT KING (C9), as registration found out later...
        await engine.receive_hl7("ehr", _adt("M5", "A04", UNKNOWN))
        before = {k: p for k, p in (await _persons(store)).items() if p.merged_into is None}
        assert (
            len({k for k, p in before.items() if {"CERNER|C9", "CERNER|C10"} & set(p.records)}) == 2
        )
        await engine.receive_hl7(
            "ehr", _adt("M6", "A40", BOB, "MRG|C10^^^CERNER^MR\r").replace(b"PV1|", b"PV2|")
        )
        # ... and an A47 gives Jane's Epic record a corrected MRN.
        await engine.receive_hl7(
            "ehr", _adt("M7", "A47", JANE.replace("E100^", "E100A^"), "MRG|E100^^^EPIC^MR\r")
        )
        persons = {k: p for k, p in (await _persons(store)).items() if p.merged_into is None}
        by_record = {r: k for k, p in persons.items() for r in p.records}
        assert by_record["EPIC|E100"] == by_record["RBPG|P7"]  # linked on arrival
        assert by_record["EPIC|E101"] != by_record["EPIC|E100"]  # a twin-like pair: review
        assert by_record["CERNER|C9"] == by_record["CERNER|C10"]  # merged by the A40
        identifiers = dict(await store.state_rows(StateTable.MPI_IDENTIFIERS))
        assert json.loads(identifiers["EPIC|E100A"]) == "EPIC|E100"
        events = await store.list_events("PersonsMerged")
        assert len(events) == 1

    # The review queue and a decision, through the CLI beside the stored state.
    command = [sys.executable, "-m", "careweave", "mpi"]
    listed = subprocess.run(
        [*command, "reviews", "--config", str(settings_file), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    reviews = [Review(**r) for r in json.loads(listed.stdout)]
    # EMILY against both of JANE's records (same family, birth date and home: twins or sisters).
    assert {(r.a, r.b) for r in reviews} == {("EPIC|E101", "EPIC|E100"), ("EPIC|E101", "RBPG|P7")}
    for review in reviews:
        decided = subprocess.run(
            [*command, "decide", review.a, review.b, "--distinct", "--config", str(settings_file)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert decided.returncode == 0, decided.stderr
        assert "distinct applied" in decided.stdout
    again = subprocess.run(
        [*command, "reviews", "--config", str(settings_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "no possible match is waiting for review" in again.stdout
    wrong = subprocess.run(
        [*command, "decide", "EPIC|NOPE", "X|Y", "--link", "--config", str(settings_file)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert wrong.returncode == 1 and wrong.stderr.startswith("error:"), wrong.stderr
    assert "no review of EPIC|NOPE and X|Y" in wrong.stderr
