"""Claims and 837 files for the clearinghouse tests, built with careweave's 837 writer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from careweave.codecs.x12 import EnvelopeConfig, InMemoryControlNumbers, write_claims
from careweave.codecs.x12.claims import (
    Address,
    BillingProvider,
    Claim,
    ClaimSubmission,
    Organization,
    Person,
    ServiceLine,
    Subscriber,
)
from careweave.sandbox.clearinghouse import Clearinghouse, ClearinghouseConfig

ACME = Organization("ACME HEALTH PLAN", "60054")
MEDICARE = Organization("MEDICARE PART B", "00435")
MEDICAID = Organization("STATE MEDICAID", "SKCA0")
SERVICE_DAY = dt.date(2026, 3, 2)
RECEIVED = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)
_ADDRESS = Address("1 MAIN ST", "SPRINGFIELD", "IL", "627011234")


def claim(
    claim_id: str, *lines: tuple[str, str], payer: Organization = ACME, member: str = "M100",
    diagnoses: tuple[str, ...] = ("I2510",), service: dt.date = SERVICE_DAY,
    frequency: str = "1", filing: str = "CI", responsibility: str = "P",
) -> Claim:  # fmt: skip
    """A claim with one service line per (procedure code, charge)."""
    person = Person("DOE", "JANE", dt.date(1958, 4, 2), "F", _ADDRESS)
    subscriber = Subscriber(person, member, payer, payer_responsibility=responsibility,
                            claim_filing=filing)  # fmt: skip
    service_lines = tuple(
        ServiceLine(Decimal(charge), Decimal(1), service, procedure_code=code, revenue_code="0481")
        for code, charge in (lines or (("99213", "150.00"),))
    )
    return Claim(claim_id, subscriber, diagnoses, service_lines, frequency=frequency)


def submission(*claims: Claim) -> ClaimSubmission:
    """The claims as one submission from a heart hospital."""
    provider = BillingProvider("REGIONAL HEART HOSPITAL", "1234567893", "371234567", _ADDRESS)
    return ClaimSubmission(
        Organization("CAREWEAVE REGIONAL", "CW0001", "BILLING OFFICE", "2175550100"),
        Organization("CAREWEAVE CLEARINGHOUSE", "CWCLEARING"), provider, tuple(claims),
    )  # fmt: skip


def x12_837(*claims: Claim, kind: str = "professional", start: int = 0) -> str:
    """An 837 interchange holding *claims*."""
    return write_claims(submission(*claims), kind, EnvelopeConfig("CW0001", "CWCLEARING"),  # type: ignore[arg-type]
                        InMemoryControlNumbers(start), RECEIVED)  # fmt: skip


class SettableClock:
    """A clock the test moves forward."""

    def __init__(self, now: dt.datetime = RECEIVED) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, days: int) -> None:
        """Move *days* forward."""
        self.now += dt.timedelta(days=days)


def make_clearinghouse(
    root: Path, seed: int = 1, now: dt.datetime = RECEIVED
) -> tuple[Clearinghouse, SettableClock]:
    """A clearinghouse with the sample payers, its directories under *root*, its clock at *now*."""
    clock = SettableClock(now)
    config = ClearinghouseConfig(inbound=root / "inbound", outbound=root / "outbound", seed=seed)
    return Clearinghouse(config, clock=clock), clock
