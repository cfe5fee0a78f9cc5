"""A deterministic set of varied claims for the 837 generator tests and benchmarks."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from careweave.codecs.x12.claims import (
    Address,
    BillingProvider,
    Claim,
    ClaimSubmission,
    Drug,
    Organization,
    Person,
    ServiceLine,
    Subscriber,
)

PAYERS = (
    Organization("ACME HEALTH PLAN", "60054"),
    Organization("MEDICARE PART B", "00435"),
    Organization("STATE MEDICAID", "SKCA0"),
)
FILING = ("CI", "MB", "MC")
# HCPCS Level II codes (not CPT) and ICD-10-CM codes.
PROCEDURES = ("G0008", "J1745", "A4550", "L3908", "E0114", "G0439", "J3490", "Q4081")
DIAGNOSES = ("E119", "I10", "J449", "M545", "Z0000", "I2510", "N179", "K219", "F329", "R079")
REVENUE = ("0250", "0300", "0450", "0278", "0636", "0730")
NAMES = ("SMITH", "GARCIA", "NGUYEN", "OKAFOR", "MULLER", "TANAKA", "ROSSI", "KOWALSKI")
FIRST = ("ANA", "LUIS", "MEI", "CHIDI", "ELSA", "KENJI", "MARCO", "ZOFIA")


def _address(rng: random.Random, index: int) -> Address:
    return Address(f"{100 + index} MAIN ST", "SPRINGFIELD", "IL", f"62701{rng.randint(1000, 9999)}")


def _person(rng: random.Random, index: int, born: int) -> Person:
    return Person(
        NAMES[index % len(NAMES)], FIRST[(index * 3) % len(FIRST)],
        date(born, 1 + index % 12, 1 + index % 28), "MF"[index % 2], _address(rng, index),
    )  # fmt: skip


def make_claims(count: int, institutional: bool, seed: int = 7) -> tuple[Claim, ...]:
    """*count* claims with 1-4 lines, some with a dependent patient, some with an NDC drug."""
    rng = random.Random(seed)
    claims: list[Claim] = []
    for index in range(count):
        payer_index = index % len(PAYERS)
        subscriber = Subscriber(
            _person(rng, index, 1950 + index % 40), f"MBR{index:06d}", PAYERS[payer_index],
            group_number=f"GRP{index % 5}" if payer_index == 0 else "",
            claim_filing=FILING[payer_index],
        )  # fmt: skip
        start = date(2025, 1, 6) + timedelta(days=index)
        lines = []
        for number in range(1 + index % 4):
            drug = None
            code = PROCEDURES[(index + number) % len(PROCEDURES)]
            if code.startswith("J"):
                drug = Drug(f"0002814{number}01", Decimal(rng.randint(1, 5)))
            lines.append(
                ServiceLine(
                    Decimal(rng.randint(2000, 250000)) / 100, Decimal(1 + number % 3),
                    start + timedelta(days=number), procedure_code=code,
                    modifiers=("59",) if number == 1 else (),
                    revenue_code=REVENUE[(index + number) % len(REVENUE)],
                    diagnosis_pointers=(1, 2) if number % 2 else (1,), drug=drug,
                )
            )  # fmt: skip
        diagnoses = tuple(DIAGNOSES[(index + k) % len(DIAGNOSES)] for k in range(2 + index % 3))
        patient = _person(rng, index + 100, 2010 + index % 10) if index % 5 == 2 else None
        claims.append(
            Claim(
                f"CLM{index:05d}", subscriber, diagnoses, tuple(lines),
                facility_code=("13" if index % 2 else "11") if institutional
                else ("11", "22", "81")[index % 3],
                patient=patient,
            )
        )  # fmt: skip
    return tuple(claims)


def make_submission(count: int, institutional: bool, per_transaction: int = 12) -> ClaimSubmission:
    """A submission of *count* claims split into transactions of *per_transaction* claims."""
    return ClaimSubmission(
        Organization("CAREWEAVE REGIONAL", "CW0001", "BILLING OFFICE", "2175550100"),
        Organization("CLEARINGHOUSE INC", "CH0001"),
        BillingProvider(
            "REGIONAL HEART HOSPITAL", "1234567893", "371234567",
            Address("1 HOSPITAL DR", "SPRINGFIELD", "IL", "627011234"), "282N00000X",
        ),
        make_claims(count, institutional),
        claims_per_transaction=per_transaction,
    )  # fmt: skip
