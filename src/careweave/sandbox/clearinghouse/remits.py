"""Put adjudicated claims on checks and write each check as an 835 RemittanceAdvice.

A payer pays a submission's claims ``payment_lag_days`` after receipt; some claims are delayed by
a few more days, some checks are split in two, some carry prompt-pay interest (PLB L6). Every
advice balances by construction: BPR02 = sum CLP04 - sum PLB, CLP03 - CLP04 = sum CAS.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib
from decimal import Decimal

from careweave.codecs.x12.remittance import (
    Adjustment,
    ClaimPayment,
    Party,
    ProviderAdjustment,
    RemarkCode,
    RemittanceAdvice,
    ServicePayment,
)
from careweave.sandbox.clearinghouse.adjudication import ClaimVerdict, cents
from careweave.sandbox.clearinghouse.payers import PayerRules

# SBR09 (837) and CLP06 (835) share most claim filing codes; the 835 has no "CI" or "BL".
_CLP06 = {"CI": "12", "BL": "12", "11": "ZZ"}
_CLP06_VALID = frozenset(
    ("12", "13", "14", "15", "16", "17", "AM", "CH", "DS", "HM", "LM", "MA", "MB", "MC", "OF",
     "TV", "VA", "WC", "ZZ")
)  # fmt: skip


def filing_indicator(sbr09: str) -> str:
    """CLP06 for a claim sent with SBR09 *sbr09*."""
    code = _CLP06.get(sbr09, sbr09)
    return code if code in _CLP06_VALID else "ZZ"


class Check:
    """One payment (check) from a payer: its trace number, date and the claims it pays."""

    def __init__(self, rules: PayerRules, trace_number: str, payment_date: dt.date) -> None:
        self.rules = rules
        self.trace_number = trace_number
        self.payment_date = payment_date
        self.verdicts: list[ClaimVerdict] = []
        self.interest = Decimal(0)

    @property
    def paid(self) -> Decimal:
        """What the claims on this check pay, interest included."""
        return sum((v.paid for v in self.verdicts), Decimal(0)) + self.interest


def _payer_tin(payer_id: str) -> str:
    """TRN03: ``1`` and a nine-digit id derived from the payer id (stable across runs)."""
    return f"1{zlib.crc32(payer_id.encode()) % 1_000_000_000:09d}"


class PaymentPlanner:
    """Decides the checks for each submission; deterministic for a seed and an input order."""

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._checks = 0

    def _trace(self, rules: PayerRules) -> str:
        self._checks += 1
        return f"{rules.check_prefix}{self._seed:03d}{self._checks:07d}"

    def plan(
        self, rules: PayerRules, verdicts: list[ClaimVerdict], received: dt.date, submission: str
    ) -> list[Check]:
        """The checks paying *verdicts* of one payer for one submission, by payment date."""
        rng = random.Random(f"{self._seed}:{submission}:{rules.payer_id}")
        base = received + dt.timedelta(days=rules.payment_lag_days)
        by_date: dict[dt.date, list[ClaimVerdict]] = {}
        for verdict in verdicts:
            delayed = rng.random() < rules.delayed_share
            day = base + dt.timedelta(days=rng.randint(1, rules.max_delay_days) if delayed else 0)
            by_date.setdefault(day, []).append(verdict)
        checks: list[Check] = []
        for day in sorted(by_date):
            claims = by_date[day]
            parts = [claims]
            if len(claims) > 1 and rng.random() < rules.split_share:
                cut = rng.randint(1, len(claims) - 1)
                parts = [claims[:cut], claims[cut:]]
            for part in parts:
                check = Check(rules, self._trace(rules), day)
                check.verdicts = part
                paid = check.paid
                if paid > 0 and rng.random() < rules.interest_share:
                    check.interest = max(cents(paid * rules.interest_rate), Decimal("0.01"))
                checks.append(check)
        return checks


def _service(verdict: ClaimVerdict, index: int) -> ServicePayment:
    submitted = verdict.claim.lines[index]
    decision = verdict.lines[index]
    if submitted.procedure_code:
        qualifier, code = "HC", submitted.procedure_code
    else:
        qualifier, code = "NU", submitted.revenue_code
    dates = {"472": f"{submitted.service_date:%Y%m%d}"} if submitted.service_date else {}
    return ServicePayment(
        qualifier, code, list(submitted.modifiers), decision.charge, decision.paid,
        submitted.revenue_code if submitted.procedure_code else "", submitted.units, 0,
        dates=dates, adjustments=[Adjustment(g, r, a) for g, r, a in decision.adjustments],
        remarks=[RemarkCode("HE", code) for code in decision.remarks],
    )  # fmt: skip


def claim_payment(verdict: ClaimVerdict) -> ClaimPayment:
    """The CLP loop of one adjudicated claim, with an SVC per line."""
    claim = verdict.claim
    patient = Party("QC", claim.patient_last, "MI", claim.member_id, claim.patient_first)
    served = [line.service_date for line in claim.lines if line.service_date is not None]
    period = {"232": f"{min(served):%Y%m%d}", "233": f"{max(served):%Y%m%d}"} if served else {}
    return ClaimPayment(
        claim.claim_id, verdict.status, claim.charge, verdict.paid,
        verdict.patient_responsibility, filing_indicator(claim.filing_indicator), verdict.payer_claim_id,
        claim.facility_code, claim.frequency, 0, patient=patient, dates=period,
        lines=[_service(verdict, i) for i in range(len(claim.lines))],
    )  # fmt: skip


def advice_for(check: Check) -> RemittanceAdvice:
    """The 835 for one check (BPR C/CHK, or H/NON when nothing is paid)."""
    first = check.verdicts[0].claim
    payment = check.paid
    advice = RemittanceAdvice(
        "", "C" if payment > 0 else "H", payment, "C", "CHK" if payment > 0 else "NON",
        f"{check.payment_date:%Y%m%d}", check.trace_number, _payer_tin(check.rules.payer_id),
        Party("PR", check.rules.name), Party("PE", first.billing_name, "XX", first.billing_npi),
    )  # fmt: skip
    advice.claims = [claim_payment(v) for v in check.verdicts]
    if check.interest:
        # PLB amounts reduce the payment; interest paid to the provider is negative.
        advice.provider_adjustments = [
            ProviderAdjustment(first.billing_npi, f"{check.payment_date.year}1231", "L6",
                               check.verdicts[0].claim.claim_id, -check.interest, 0)
        ]  # fmt: skip
    return advice
