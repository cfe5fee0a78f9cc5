"""A payer's adjudication of one claim: claim edits, line pricing, benefits, denials.

Claim-level denials (every line gets the same CARC): CO-18 duplicate claim, CO-29 timely filing,
CO-16 missing information. Line-level: CO-197 authorization missing, CO-50 medical necessity.
Paid lines: allowed = fee schedule x units (or a share of the charge), CO-45 for the rest,
PR-1 deductible then PR-2 coinsurance. Each line balances by construction: charge - paid = CAS.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from careweave.sandbox.clearinghouse.api import LineDecision, PriorAuthorization
from careweave.sandbox.clearinghouse.intake import SubmittedClaim, SubmittedLine
from careweave.sandbox.clearinghouse.payers import PayerRules

CENT = Decimal("0.01")
_STATUS = {"P": "1", "S": "2", "T": "3"}


def cents(value: Decimal) -> Decimal:
    """Round half-up to the cent."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class ClaimVerdict:
    """What the payer decided for one claim, before it is put on a check."""

    def __init__(
        self, claim: SubmittedClaim, payer_claim_id: str, lines: list[LineDecision]
    ) -> None:
        self.claim = claim
        self.payer_claim_id = payer_claim_id
        self.lines = lines
        self.paid = sum((line.paid for line in lines), Decimal(0))
        self.patient_responsibility = sum(
            (a[2] for line in lines for a in line.adjustments if a[0] == "PR"), Decimal(0)
        )
        denied = all(line.paid == 0 for line in lines) and self.patient_responsibility == 0
        self.status = "4" if denied else _STATUS.get(claim.responsibility, "1")


def _denied(line: SubmittedLine, reason: str, remarks: list[str]) -> LineDecision:
    return LineDecision(
        procedure_code=line.procedure_code, charge=line.charge, allowed=Decimal(0),
        paid=Decimal(0), adjustments=[("CO", reason, line.charge)], remarks=remarks,
    )  # fmt: skip


class Adjudicator:
    """Adjudicates claims for a set of payers, remembering deductibles met and claims seen."""

    def __init__(self, payers: tuple[PayerRules, ...]) -> None:
        self.payers = {p.payer_id: p for p in payers}
        self._authorizations: list[PriorAuthorization] = []
        self._seen_ids: set[tuple[str, str]] = set()
        self._seen_services: set[tuple[str, ...]] = set()
        self._deductible_met: dict[tuple[str, str, int], Decimal] = {}
        self._issued = 0

    def authorize(self, authorization: PriorAuthorization) -> None:
        """Record a prior authorization the payer granted."""
        self._authorizations.append(authorization)

    def _authorized(self, payer: str, claim: SubmittedClaim, line: SubmittedLine) -> bool:
        if claim.prior_authorization:
            return True
        when = line.service_date
        return any(
            a.payer_id == payer and a.member_id == claim.member_id
            and a.procedure_code == line.procedure_code
            and (when is None or a.start <= when <= a.end)
            for a in self._authorizations
        )  # fmt: skip

    def _claim_denial(
        self, rules: PayerRules, claim: SubmittedClaim, received: dt.date
    ) -> tuple[str, list[str]] | None:
        """The CARC and remarks denying the whole claim, or None."""
        identity = (rules.payer_id, claim.claim_id)
        services = (rules.payer_id, claim.member_id, str(claim.first_service_date),
                    *sorted(f"{ln.procedure_code}/{ln.charge}" for ln in claim.lines))  # fmt: skip
        duplicate = claim.frequency == "1" and (
            identity in self._seen_ids or services in self._seen_services
        )
        self._seen_ids.add(identity)
        self._seen_services.add(services)
        if duplicate:
            return "18", ["N522"]
        first = claim.first_service_date
        if first is not None and (received - first).days > rules.timely_filing_days:
            return "29", []
        if not claim.diagnoses:
            return "16", ["MA130", "M76"]
        if claim.kind == "professional" and any(not ln.procedure_code for ln in claim.lines):
            return "16", ["MA130", "M51"]
        return None

    def _price(self, rules: PayerRules, claim: SubmittedClaim, line: SubmittedLine) -> LineDecision:
        fee = rules.fee_schedule.get(line.procedure_code)
        if fee is not None:
            allowed = cents(fee * line.units)
        else:
            allowed = cents(line.charge * rules.default_allowed_ratio)
        allowed = min(allowed, line.charge)
        year = (line.service_date or dt.date.min).year
        key = (rules.payer_id, claim.member_id, year)
        met = self._deductible_met.get(key, Decimal(0))
        deductible = min(max(rules.deductible - met, Decimal(0)), allowed)
        self._deductible_met[key] = met + deductible
        coinsurance = cents((allowed - deductible) * rules.coinsurance)
        adjustments = [
            (group, reason, amount)
            for group, reason, amount in (
                ("CO", "45", line.charge - allowed), ("PR", "1", deductible),
                ("PR", "2", coinsurance),
            )
            if amount
        ]  # fmt: skip
        return LineDecision(
            procedure_code=line.procedure_code, charge=line.charge, allowed=allowed,
            paid=allowed - deductible - coinsurance, adjustments=adjustments, remarks=[],
        )  # fmt: skip

    def _line(self, rules: PayerRules, claim: SubmittedClaim, line: SubmittedLine) -> LineDecision:
        code = line.procedure_code
        if code in rules.authorization_required and not self._authorized(
            rules.payer_id, claim, line
        ):
            return _denied(line, "197", ["M62"])
        for rule in rules.necessity:
            if rule.procedure_code == code and not any(
                d.startswith(rule.diagnosis_prefixes) for d in claim.diagnoses
            ):
                return _denied(line, "50", [rule.remark])
        return self._price(rules, claim, line)

    def adjudicate(self, claim: SubmittedClaim, received: dt.date) -> ClaimVerdict:
        """Decide *claim*, received on *received*; the payer must be known (see ``payers``)."""
        rules = self.payers[claim.payer_id]
        self._issued += 1
        payer_claim_id = f"{rules.payer_id}{received:%y%m%d}{self._issued:07d}"
        denial = self._claim_denial(rules, claim, received)
        if denial is not None:
            reason, remarks = denial
            return ClaimVerdict(claim, payer_claim_id,
                                [_denied(line, reason, remarks) for line in claim.lines])  # fmt: skip
        return ClaimVerdict(
            claim, payer_claim_id, [self._line(rules, claim, ln) for ln in claim.lines]
        )
