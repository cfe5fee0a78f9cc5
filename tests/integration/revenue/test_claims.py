"""The RCM connector against the platform simulator, and a claim run against the clearinghouse.

Charges delivered together travel in one batch and each effect gets its own line's answer; a claim
run bills each ready account once (837 files pyx12 accepts, control numbers persisted, every line
registered once), and the 999/277CA answers are linked back to the claims.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from careweave.codecs.x12 import (
    Address,
    BillingProvider,
    EnvelopeConfig,
    Organization,
    SqliteControlNumbers,
)
from careweave.connectors.rcm import (
    CHARGE_CONTENT_TYPE,
    ENCOUNTER_CONTENT_TYPE,
    RcmAccountsClient,
    RcmChargeLine,
    RcmCoverage,
    RcmDestination,
    RcmDestinationConfig,
    RcmEncounter,
    RcmEncounterUpdate,
    RcmPatient,
)
from careweave.engine.clock import ManualClock
from careweave.engine.records import Effect, EffectState
from careweave.exceptions import PermanentDeliveryError, ValidationError
from careweave.flows.claim_register import ClaimRegister, RegisteredClaim, RegisteredLine
from careweave.flows.claims import ClaimRun, ClaimsConfig, DropDirClaimSender, claim_id_for
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


async def test_a_claim_run_bills_each_ready_account_once_and_links_its_answers(
    rcm, tmp_path: Path
) -> None:
    _simulator, url = rcm
    destination = RcmDestination(RcmDestinationConfig(base_url=url))
    encounters = ["RBPG|900001", "RBPG|900002"]
    for n, encounter_id in enumerate(encounters, start=1):
        await destination.deliver(effect(10 + n, encounter(encounter_id), ENCOUNTER_CONTENT_TYPE))
        await destination.deliver(effect(20 + n, charge(n, encounter_id), CHARGE_CONTENT_TYPE))
        await destination.deliver(
            effect(30 + n, charge(n + 10, encounter_id, "93000"), CHARGE_CONTENT_TYPE)
        )
    await destination.close()
    clock = ManualClock(NOW)
    house = Clearinghouse(
        ClearinghouseConfig(inbound=tmp_path / "in", outbound=tmp_path / "out"), clock=clock.now
    )
    config = ClaimsConfig(
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
    accounts = RcmAccountsClient(url)
    register = ClaimRegister(tmp_path / "claims.db")
    numbers = SqliteControlNumbers(tmp_path / "control.db")
    run = ClaimRun(config, accounts, DropDirClaimSender(tmp_path / "in"), register, numbers, clock)
    try:
        first = await run.bill_ready()
        [submitted] = first.files
        assert first.problems == ()
        assert submitted.claims == 2 and submitted.lines == 4
        assert submitted.total == Decimal("740.00")
        assert "NM1*IL*1*MULLER*ZOE" in submitted.text  # X12 carries the unaccented name
        path = tmp_path / "sent.x12"
        path.write_text(submitted.text)
        assert pyx12_errors(path) == []
        # Billed accounts are no longer ready: a second run bills nothing.
        assert (await run.bill_ready()).files == ()
        claims = register.claims()
        assert [c.claim_id for c in claims] == [claim_id_for(e) for e in encounters]
        assert sorted(register.line_keys()) == sorted(
            f"{e}/{n}/1" for i, e in enumerate(encounters, start=1) for n in (i, i + 10)
        )
        # A line can only be on one claim.
        with pytest.raises(ValidationError, match="refused"):
            register.record(
                [
                    RegisteredClaim(
                        claim_id="OTHER", account_id="A", encounter_id="E", entity="RBPG04",
                        kind="professional", payer_id="60054", total=Decimal("185.00"),
                        file_name="x", link_key="1/1",
                        lines=(RegisteredLine(line_number=1, line_key=claims[0].lines[0].line_key,
                                              procedure_code="99214", amount=Decimal("185.00")),),
                    )
                ]
            )  # fmt: skip
        # The clearinghouse picks the file up from its drop directory and answers.
        [receipt] = house.poll()
        assert receipt.claims_accepted == 2
        links = [run.link_responses(house.read(f.kind, f.name) or "") for f in house.files("999")]
        links += [run.link_responses(house.read(f.kind, f.name) or "") for f in house.files("277")]
        assert sum(link.transactions_answered for link in links) == 2
        assert sum(link.claims_answered for link in links) == 2
        assert {c.status for c in register.claims()} == {"acknowledged"}
        # Control numbers are persisted: a new source over the same file continues after them.
        numbers.close()
        reopened = SqliteControlNumbers(tmp_path / "control.db")
        assert reopened.next("interchange") == 2
        reopened.close()
    finally:
        await accounts.close()
        register.close()
