"""The simulated patient population: enterprise ids, MRNs per facility, demographics, coverage."""

from __future__ import annotations

import datetime as dt
import random

import msgspec


class Coverage(msgspec.Struct, frozen=True, kw_only=True):
    """The patient's primary insurance (IN1)."""

    payer_id: str
    payer_name: str
    plan_id: str
    plan_type: str
    """IN1-15 plan type: MC Medicare, MD Medicaid, HMO, PPO, SP self pay."""
    member_id: str
    group_number: str


class Patient(msgspec.Struct, frozen=True, kw_only=True):
    """One person known to the enterprise master patient index."""

    enterprise_id: str
    """EMPI id; also the key that keeps a patient's messages in order on one connection."""
    epic_mrn: str
    cerner_mrn: str
    practice_chart: str
    family: str
    given: str
    middle: str
    birth_date: dt.date
    sex: str
    street: str
    city: str
    state: str
    postal_code: str
    phone: str
    language: str
    coverage: Coverage


_FAMILY = ("JOHNSON", "WILLIAMS", "GARCIA", "MILLER", "DAVIS", "RODRIGUEZ", "MARTINEZ", "HERNANDEZ",
           "LOPEZ", "WILSON", "ANDERSON", "THOMAS", "TAYLOR", "MOORE", "JACKSON", "MARTIN", "LEE",
           "THOMPSON", "WHITE", "HARRIS", "CLARK", "LEWIS", "ROBINSON", "WALKER", "YOUNG",
           "ALLEN", "O'BRIEN", "MÜLLER", "NUÑEZ", "BJÖRKLUND",
           "VAN DER BERG", "SMITH-JONES", "NGUYEN", "KIM")  # fmt: skip
_GIVEN_F = ("MARY", "PATRICIA", "LINDA", "BARBARA", "ELIZABETH", "JENNIFER", "MARIA", "SUSAN",
            "MARGARET", "DOROTHY", "LISA", "NANCY", "KAREN", "BETTY", "HELEN", "ZOË",
            "RENÉE")  # fmt: skip
_GIVEN_M = ("JAMES", "JOHN", "ROBERT", "MICHAEL", "WILLIAM", "DAVID", "RICHARD", "JOSEPH",
            "CHARLES", "THOMAS", "CHRISTOPHER", "DANIEL", "PAUL", "MARK", "DONALD", "JOSÉ",
            "ANDRÉ")  # fmt: skip
_STREETS = ("MAIN ST", "OAK AVE", "RIVER RD", "LAKESHORE DR", "ELM ST", "MAPLE LN", "CEDAR CT",
            "2ND ST", "PARK AVE", "WASHINGTON BLVD", "HILLCREST DR", "MILL RD")  # fmt: skip
_CITIES = (("RIVERBEND", "WI", "54901"), ("LAKESHORE", "WI", "54902"), ("OSHKOSH", "WI", "54904"),
           ("APPLETON", "WI", "54911"), ("NEENAH", "WI", "54956"),
           ("FOND DU LAC", "WI", "54935"))  # fmt: skip
_PAYERS = (
    ("00431", "MEDICARE PART A", "MCR-A", "MC", 0.38),
    ("47198", "BLUE CROSS BLUE SHIELD WI", "BCBS-PPO", "PPO", 0.22),
    ("60054", "AETNA", "AET-HMO", "HMO", 0.12),
    ("87726", "UNITEDHEALTHCARE", "UHC-PPO", "PPO", 0.14),
    ("WIMCD", "WISCONSIN MEDICAID", "MCD-WI", "MD", 0.1),
    ("SELF", "SELF PAY", "SELF", "SP", 0.04),
)


def _coverage(rng: random.Random) -> Coverage:
    payer_id, name, plan, plan_type, _ = rng.choices(_PAYERS, weights=[p[4] for p in _PAYERS])[0]
    member = (
        f"{rng.randrange(1, 10)}{rng.choice('ACDEFGHJKMNPQRTUVWXY')}{rng.randrange(10**8):08d}"
        if plan_type == "MC"
        else f"{rng.choice('XYZW')}{rng.choice('ABCDEFGH')}{rng.randrange(10**9):09d}"
    )
    return Coverage(
        payer_id=payer_id,
        payer_name=name,
        plan_id=plan,
        plan_type=plan_type,
        member_id="" if plan_type == "SP" else member,
        group_number="" if plan_type in ("MC", "MD", "SP") else f"G{rng.randrange(10**6):06d}",
    )


def build_population(rng: random.Random, size: int, start: dt.date) -> tuple[Patient, ...]:
    """``size`` patients with unique enterprise ids and MRNs; older patients are more frequent."""
    patients = []
    for n in range(size):
        sex = rng.choice("FM")
        city, state, postal = rng.choice(_CITIES)
        age_days = int(rng.triangular(18 * 365, 95 * 365, 72 * 365))
        patients.append(
            Patient(
                enterprise_id=f"{100000000 + n * 7919 + rng.randrange(7919):09d}",
                epic_mrn=f"E{2000000 + n * 13 + rng.randrange(13):07d}",
                cerner_mrn=f"{800000 + n * 11 + rng.randrange(11):07d}",
                practice_chart=f"PG{30000 + n * 3 + rng.randrange(3)}",
                family=rng.choice(_FAMILY),
                given=rng.choice(_GIVEN_F if sex == "F" else _GIVEN_M),
                middle=rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.7 else "",
                birth_date=start - dt.timedelta(days=age_days),
                sex=sex,
                street=f"{rng.randrange(100, 9999)} {rng.choice(_STREETS)}",
                city=city,
                state=state,
                postal_code=postal,
                phone=f"920{rng.randrange(2000000, 9999999)}",
                language=rng.choices(("ENG", "SPA", "HMN"), weights=(0.9, 0.07, 0.03))[0],
                coverage=_coverage(rng),
            )
        )
    return tuple(patients)
