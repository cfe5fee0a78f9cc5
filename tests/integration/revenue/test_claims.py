"""The RCM connector against the platform simulator, and a claim run through the engine.

Charges delivered together travel in one batch and each effect gets its own line's answer. A claim
run is a message: killed after its commit and before delivery, it is delivered once after the
restart (an 837 pyx12 accepts); sent again or replayed, it registers, numbers and bills nothing
twice; the 999/277CA answers that come back are linked to the claims in the register.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from careweave.app import build_engine
from careweave.codecs.x12 import Address, BillingProvider, EnvelopeConfig, Organization
from careweave.config import parse_settings
from careweave.connectors.rcm import RcmAccountsClient, RcmDestination, RcmDestinationConfig
from careweave.engine.clock import ManualClock
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.exceptions import PermanentDeliveryError
from careweave.flows.claim_register import registered_claims
from careweave.flows.claim_run_report import claim_run_report
from careweave.flows.claim_submission import CLAIM_RUN_CONTENT_TYPE, claim_run_request
from careweave.flows.claims import ClaimsConfig, claim_id_for
from careweave.flows.services import FlowServices
from careweave.mappings.x12_decode import X12_CONTENT_TYPE
from careweave.model.rcm import (
    CHARGE_CONTENT_TYPE,
    ENCOUNTER_CONTENT_TYPE,
    RcmChargeLine,
    RcmCoverage,
    RcmEncounter,
    RcmEncounterUpdate,
    RcmPatient,
)
from careweave.model.records import Effect, EffectState, IngestResult, MessageState, Processing
from careweave.model.state import StateTable
from careweave.sandbox.clearinghouse import Clearinghouse, ClearinghouseConfig
from careweave.sandbox.rcm import RcmSimulator
from careweave.sandbox.serving import SimulatorServer
from tests.unit.x12.pyx12_oracle import pyx12_errors

DAY = dt.date(2025, 3, 3)
NOW = dt.datetime(2025, 3, 6, 18, tzinfo=dt.UTC)
COVERAGE = RcmCoverage(payer_id="60054", payer_name="ACME HEALTH PLAN", member_id="W123456789")
PATIENT = RcmPatient(
    last_name="MÜLLER", first_name="ZOË", birth_date=dt.date(1961, 5, 2), gender="F"
)


def effect(n: int, payload: msgspec.Struct, content_type: str) -> Effect:
    return Effect(
        id=n, message_id=1, destination="revenue-cycle", idempotency_key=f"k{n}",
        ordering_key=None, content_type=content_type, payload=msgspec.json.encode(payload),
        state=EffectState.IN_FLIGHT, attempts=0, created_at=NOW, next_attempt_at=NOW,
        last_error=None,
    )  # fmt: skip


def charge(n: int, encounter: str = "RBPG|900001", code: str = "99214") -> RcmChargeLine:
    return RcmChargeLine(
        line_key=f"{encounter}/{n}/1", encounter_id=encounter, patient_id="P1",
        service_date=DAY, procedure_code=code, quantity=Decimal(1),
        unit_amount=Decimal("185.00"), diagnoses=("I25.10",), entity="RBPG04",
        performing_npi="1234567893",
    )  # fmt: skip


def encounter(encounter_id: str, status: str = "final") -> RcmEncounterUpdate:
    return RcmEncounterUpdate(
        encounter_id=encounter_id,
        update=RcmEncounter(
            patient_id="P1", status=status, patient=PATIENT, coverage=COVERAGE,  # type: ignore[arg-type]
            entity="RBPG04", diagnoses=("I25.10",),
        ),
    )  # fmt: skip


@pytest.fixture
def rcm():
    simulator = RcmSimulator()
    with SimulatorServer(simulator.app, name="rcm") as server:
        yield simulator, server.base_url


async def test_charges_delivered_together_go_in_one_batch_with_an_answer_each(rcm) -> None:
    simulator, url = rcm
    destination = RcmDestination(RcmDestinationConfig(base_url=url, batch_window=0.05))
    try:
        results = await asyncio.gather(
            destination.deliver(effect(1, charge(1), CHARGE_CONTENT_TYPE)),
            destination.deliver(effect(2, charge(2, code="99213"), CHARGE_CONTENT_TYPE)),
            destination.deliver(effect(3, charge(3, code="9921"), CHARGE_CONTENT_TYPE)),
            return_exceptions=True,
        )
        assert destination.batches_sent == 1
        assert [getattr(r, "status", None) for r in results[:2]] == [200, 200]
        assert isinstance(results[2], PermanentDeliveryError)
        assert "9921" in str(results[2])
        # A re-delivery after a lost answer is answered, not applied twice.
        again = await destination.deliver(effect(1, charge(1), CHARGE_CONTENT_TYPE))
        assert "duplicate" in (again.response or "")
        assert simulator.state.lines_applied == 2
    finally:
        await destination.close()


async def test_an_unknown_effect_kind_is_refused_permanently(rcm) -> None:
    _simulator, url = rcm
    destination = RcmDestination(RcmDestinationConfig(base_url=url))
    try:
        with pytest.raises(PermanentDeliveryError, match="cannot send"):
            await destination.deliver(effect(1, charge(1), "application/hl7-v2"))
        with pytest.raises(PermanentDeliveryError, match="unreadable"):
            await destination.deliver(effect(2, charge(1), ENCOUNTER_CONTENT_TYPE))
    finally:
        await destination.close()


SETTINGS = """
[[channels]]
name = "claims"
format = "claim-run"
flows = ["claim-submission"]
source = {{ type = "mllp", port = 0 }}

[[channels.destinations]]
name = "clearinghouse"
payload = "none"
connector = {{ type = "file", directory = "{drop}", suffix = ".x12" }}
worker = {{ poll_interval = 0.02 }}

[[channels.destinations]]
name = "revenue-cycle"
payload = "none"
connector = {{ type = "null" }}
worker = {{ poll_interval = 0.02 }}

[[channels]]
name = "clearinghouse"
format = "x12"
mapping = "x12-claim-status"
flows = ["claim-acknowledgments", "claim-rejections"]
source = {{ type = "mllp", port = 0 }}
"""

CLAIMS_CONFIG = ClaimsConfig(
    submitter=Organization("RIVERBEND HEALTH", "RBH837", "BILLING", "9205550100"),
    receiver=Organization("CAREWEAVE CLEARINGHOUSE", "CWCLEARING"),
    envelope=EnvelopeConfig(sender_id="RBH837", receiver_id="CWCLEARING"),
    billing_providers={
        "RBPG04": BillingProvider(
            "RIVERBEND PHYSICIAN GROUP", "1234567893", "391234567",
            Address("100 RIVERBEND PKWY", "RIVERBEND", "WI", "549010001"),
        )
    },
)  # fmt: skip
ENCOUNTERS = ["RBPG|900001", "RBPG|900002"]


async def ready_encounters(url: str) -> None:
    """Two discharged encounters with two charges each at the platform: two ready accounts."""
    destination = RcmDestination(RcmDestinationConfig(base_url=url))
    try:
        for n, encounter_id in enumerate(ENCOUNTERS, start=1):
            await destination.deliver(
                effect(10 + n, encounter(encounter_id), ENCOUNTER_CONTENT_TYPE)
            )
            await destination.deliver(effect(20 + n, charge(n, encounter_id), CHARGE_CONTENT_TYPE))
            await destination.deliver(
                effect(30 + n, charge(n + 10, encounter_id, "93000"), CHARGE_CONTENT_TYPE)
            )
    finally:
        await destination.close()


class Process:
    """One engine process over the store file (a new one is a restart)."""

    def __init__(self, tmp_path: Path, rcm_url: str) -> None:
        settings = parse_settings(SETTINGS.format(drop=tmp_path / "in"))
        self.store = SqliteStore(SqliteConfig(path=tmp_path / "careweave.db"))
        self.engine = build_engine(
            settings,
            self.store,
            services=FlowServices(claims=CLAIMS_CONFIG, clock=ManualClock(NOW)),
            connector_overrides={
                "revenue-cycle": RcmDestination(RcmDestinationConfig(base_url=rcm_url))
            },
            middleware=[],
        )

    async def run(self, body: bytes, dedup_key: str) -> tuple[IngestResult, Processing]:
        return await self.engine.receive(
            "claims", body, content_type=CLAIM_RUN_CONTENT_TYPE, dedup_key=dedup_key
        )

    async def drained(self, destination: str) -> None:
        async def open_effects() -> int:
            found = await self.store.list_effects(destination=destination, limit=100)
            return sum(e.state in (EffectState.PENDING, EffectState.IN_FLIGHT) for e in found)

        deadline = asyncio.get_running_loop().time() + 20
        while await open_effects():
            assert asyncio.get_running_loop().time() < deadline, f"{destination} not drained"
            await asyncio.sleep(0.02)

    async def state(self) -> list[tuple[str, bytes]]:
        tables = (StateTable.CLAIMS, StateTable.CLAIM_LINES, StateTable.CONTROL_NUMBERS)
        return [row for table in tables for row in await self.store.state_rows(table)]

    async def stop(self) -> None:
        await self.engine.stop()
        await self.store.close()


async def test_a_claim_run_killed_between_commit_and_delivery_sends_its_837_once(
    rcm, tmp_path: Path
) -> None:
    simulator, url = rcm
    await ready_encounters(url)
    house = Clearinghouse(
        ClearinghouseConfig(inbound=tmp_path / "in", outbound=tmp_path / "out"),
        clock=ManualClock(NOW).now,
    )
    accounts = RcmAccountsClient(url)
    try:
        ready = await accounts.ready_accounts()
        body, key = claim_run_request(ready, "2025-03-06")

        # The run commits (claims registered, control numbers taken, 837 queued); the process
        # dies before its workers deliver anything.
        first = Process(tmp_path, url)
        await first.store.open()
        await first.engine.start(listen=False, deliver=False)
        committed, processing = await first.run(body, key)
        assert processing.state is MessageState.PROCESSED
        queued = await first.store.list_effects(destination="clearinghouse")
        assert [(e.idempotency_key, e.state) for e in queued] == [
            ("837:RBH837:000000001", EffectState.PENDING)
        ]
        registered = await first.state()
        await first.stop()
        assert not list((tmp_path / "in").glob("*.x12"))
        assert len(await accounts.ready_accounts()) == 2, "the platform was not told either"

        # Restarted, the caller sends the ready accounts again (it cannot know the run
        # committed): the same accounts are the same message; under another name they are
        # processed and bill nothing twice.
        second = Process(tmp_path, url)
        await second.store.open()
        again_body, again_key = claim_run_request(await accounts.ready_accounts(), "retry")
        again, _ = await second.run(again_body, again_key)
        assert again.duplicate and again.message_id == committed.message_id
        renamed, processing = await second.run(again_body, "claim-run:operator-resend")
        assert not renamed.duplicate and processing.effects == ()
        assert [e.event_type for e in processing.events] == [
            "ClaimRunRequested",
            "ClaimsAlreadySubmitted",
        ]
        assert await second.state() == registered
        # A replay of the run re-runs its flow: nothing new is queued, numbered or registered.
        assert await second.engine.replay_message(committed.message_id, reason="test") == 0
        assert await second.state() == registered

        # The workers start: the queued 837 and billed notices are delivered, once.
        await second.engine.start(listen=False)
        await second.drained("clearinghouse")
        await second.drained("revenue-cycle")
        [receipt] = house.poll()
        assert receipt.claims_accepted == 2 and receipt.accepted
        assert await accounts.ready_accounts() == []
        assert [a.claim_id for a in await accounts.accounts()] == [
            claim_id_for(e) for e in ENCOUNTERS
        ]
        assert len(await second.store.list_effects(destination="clearinghouse")) == 1

        # The 999 and 277CA come back as X12 messages and are linked to the register.
        for kind in ("999", "277"):
            for answer in house.files(kind):
                text = house.read(answer.kind, answer.name) or ""
                await second.engine.receive(
                    "clearinghouse",
                    text.encode(),
                    content_type=X12_CONTENT_TYPE,
                    dedup_key=f"{kind}:{answer.name}",
                )
        claims = registered_claims(await second.store.state_rows(StateTable.CLAIMS))
        assert [(c.claim_id, c.status) for c in claims] == [
            (claim_id_for(e), "acknowledged") for e in ENCOUNTERS
        ]
        assert sorted(line.line_key for c in claims for line in c.lines) == sorted(
            f"{e}/{n}/1" for i, e in enumerate(ENCOUNTERS, start=1) for n in (i, i + 10)
        )

        report = await claim_run_report(second.store, committed.message_id)
        [sent] = report.files
        assert (sent.claims, sent.lines, sent.total) == (2, 4, Decimal("740.00"))
        assert sent.delivery == "delivered" and report.problems == ()
        # The replay's pass is in the run's lineage too: it found both claims registered.
        assert report.already_submitted == tuple(claim_id_for(e) for e in ENCOUNTERS)
        path = tmp_path / "sent.x12"
        path.write_text(sent.text)
        assert pyx12_errors(path) == []
        await second.stop()
    finally:
        await accounts.close()
    assert simulator.state.lines_applied == 4
