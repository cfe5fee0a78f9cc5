"""Payer rules and clearinghouse settings: fee schedules, benefits, edits, payment habits."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import msgspec


class NecessityRule(msgspec.Struct, frozen=True, kw_only=True):
    """A procedure is medically necessary only with a diagnosis starting with one of the prefixes;
    without one the line is denied CO-50 with the remark given."""

    procedure_code: str
    diagnosis_prefixes: tuple[str, ...]
    remark: str = "N115"


class PayerRules(msgspec.Struct, frozen=True, kw_only=True):
    """How one payer adjudicates and pays."""

    payer_id: str
    """The payer id claims name in NM1*PR (2010BB)."""
    name: str
    fee_schedule: dict[str, Decimal] = msgspec.field(default_factory=dict)
    """Allowed amount per unit, by procedure code."""
    default_allowed_ratio: Decimal = Decimal("0.60")
    """Allowed amount as a share of the charge for a code not on the fee schedule."""
    deductible: Decimal = Decimal("500.00")
    """Per member and calendar year: patient responsibility PR-1 until met."""
    coinsurance: Decimal = Decimal("0.20")
    """Share of the allowed amount after the deductible: patient responsibility PR-2."""
    authorization_required: tuple[str, ...] = ()
    """Procedure codes that need a prior authorization (CO-197 without one)."""
    necessity: tuple[NecessityRule, ...] = ()
    timely_filing_days: int = 90
    """Claims received more than this many days after the first service date: CO-29."""
    payment_lag_days: int = 14
    """Days from receipt to the payment date (the 835 release)."""
    delayed_share: float = 0.1
    """Share of claims whose payment is delayed by 1..max_delay_days more."""
    max_delay_days: int = 7
    split_share: float = 0.25
    """Share of checks whose claims are split across two checks."""
    interest_share: float = 0.1
    """Share of checks carrying prompt-pay interest (PLB L6)."""
    interest_rate: Decimal = Decimal("0.01")
    check_prefix: str = "CHK"


def _fees(pairs: str) -> dict[str, Decimal]:
    """``"99213=92.00 99214=131.00"`` as a fee schedule."""
    return {code: Decimal(amount) for code, amount in (p.split("=") for p in pairs.split())}


# Allowed per unit for the codes the EHR simulator charges (and a few the tests use).
_COMMERCIAL_FEES = _fees(
    "93458=980.00 92928=1150.00 33207=7800.00 33208=8100.00 C1874=2400.00 99213=92.00 "
    "99214=131.00 99284=165.00 G0463=128.00 93000=17.50 93005=9.50 80053=14.00 84484=12.50 "
    "85025=10.00 36415=3.00 J1644=0.60 J2250=0.45 J3010=1.10 Q9967=0.20"
)
_MEDICARE_FEES = _fees(
    "93458=842.00 92928=980.00 33207=6900.00 33208=7150.00 99213=88.00 99214=125.00 "
    "99284=140.00 G0463=119.00 93000=16.00 93005=8.00 80053=10.56 84484=9.80 85025=7.77 "
    "36415=3.00 J1644=0.48 J2250=0.39 J3010=0.95 Q9967=0.16"
)
_CARDIAC_NECESSITY = (
    NecessityRule(procedure_code="93458", diagnosis_prefixes=("I20", "I21", "I25", "R07", "R94")),
    NecessityRule(procedure_code="92928", diagnosis_prefixes=("I20", "I21", "I25")),
)
_ECG_NECESSITY = NecessityRule(procedure_code="93000",
                               diagnosis_prefixes=("I", "R00", "R07", "R55", "R94", "Z01"))  # fmt: skip


def _commercial(payer_id: str, name: str, **changes: object) -> PayerRules:
    rules = PayerRules(
        payer_id=payer_id, name=name, fee_schedule=_COMMERCIAL_FEES,
        authorization_required=("93458", "92928", "33207", "33208", "C1874"),
        necessity=_CARDIAC_NECESSITY,
    )  # fmt: skip
    return msgspec.structs.replace(rules, **changes)


def _medicare(payer_id: str, name: str) -> PayerRules:
    return PayerRules(
        payer_id=payer_id, name=name, fee_schedule=_MEDICARE_FEES, deductible=Decimal("257.00"),
        default_allowed_ratio=Decimal("0.45"), timely_filing_days=365,
        necessity=(*_CARDIAC_NECESSITY, _ECG_NECESSITY), split_share=0.0, interest_share=0.2,
    )  # fmt: skip


def _medicaid(payer_id: str, name: str) -> PayerRules:
    return PayerRules(
        payer_id=payer_id, name=name, deductible=Decimal(0), coinsurance=Decimal(0),
        default_allowed_ratio=Decimal("0.40"), timely_filing_days=180, payment_lag_days=21,
        delayed_share=0.3,
    )  # fmt: skip


def sample_payers() -> tuple[PayerRules, ...]:
    """The payers of the EHR simulator's population (Medicare A, BCBS, Aetna, UHC, Medicaid)
    and of the X12 claim fixtures (60054, Medicare B 00435, Medicaid SKCA0). Self-pay (SELF) is
    not a payer: such claims are rejected on the 277CA."""
    return (
        _medicare("00431", "MEDICARE PART A"),
        _medicare("00435", "MEDICARE PART B"),
        _commercial("47198", "BLUE CROSS BLUE SHIELD WI", deductible=Decimal("750.00")),
        _commercial("60054", "AETNA"),
        _commercial("87726", "UNITEDHEALTHCARE", coinsurance=Decimal("0.15"), payment_lag_days=10),
        _medicaid("WIMCD", "WISCONSIN MEDICAID"),
        _medicaid("SKCA0", "STATE MEDICAID"),
    )


class ClearinghouseConfig(msgspec.Struct, frozen=True, kw_only=True):
    """Where files come in and go out, who the clearinghouse is, and the payers behind it."""

    inbound: Path
    """The drop directory polled for 837 files."""
    outbound: Path
    """Where 999, 277CA and 835 files are written."""
    payers: tuple[PayerRules, ...] = msgspec.field(default_factory=sample_payers)
    seed: int = 1
    """Same seed, same files in the same order: same decisions, delays and splits."""
    clearinghouse_id: str = "CWCLEARING"
    clearinghouse_name: str = "CAREWEAVE CLEARINGHOUSE"
    usage: str = "P"
    """ISA15 of what it writes."""
