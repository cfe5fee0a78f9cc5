"""Exception cases for charges that cannot be billed as captured.

An invalid, duplicate or unmatched charge is parked, not dropped: it becomes an exception case owned
by the revenue-integrity team, with the reason code of its first error, every problem in the
details, and a suggested fix per reason code.
"""

from __future__ import annotations

from careweave.model.exceptions_case import ExceptionCaseDraft
from careweave.model.revenue import ChargeReason, ChargeValidationResult
from careweave.revenue.charge_ledger import LedgerOutcome

REVENUE_INTEGRITY_TEAM = "revenue-integrity"

R = ChargeReason

#: What the revenue-integrity team usually does about each reason.
SUGGESTED_FIXES: dict[ChargeReason, str] = {
    R.MISSING_PROCEDURE_CODE: "Add the CPT/HCPCS code from the chargemaster item.",
    R.INVALID_PROCEDURE_CODE: "Correct the CPT/HCPCS code in the chargemaster or the charge.",
    R.INVALID_MODIFIER: "Correct the modifier: two letters or digits.",
    R.UNKNOWN_MODIFIER: "Confirm the modifier is current for the date of service.",
    R.TOO_MANY_MODIFIERS: "Keep the four payment-relevant modifiers, pricing modifiers first.",
    R.DUPLICATE_MODIFIER: "Remove the repeated modifier.",
    R.MISSING_DIAGNOSIS: "Link the charge to the encounter diagnosis that supports it.",
    R.INVALID_ICD10: "Replace with a current ICD-10-CM code.",
    R.ICD10_NOT_BILLABLE: "Code to the highest specificity: choose a billable child code.",
    R.INVALID_UNITS: "Correct the quantity: units must be positive.",
    R.FRACTIONAL_UNITS: "Round service units per the code's unit definition.",
    R.UNITS_EXCEED_MAX: "Check the quantity for a data-entry error.",
    R.INVALID_AMOUNT: "Correct the charge amount from the chargemaster price.",
    R.MISSING_REVENUE_CODE: "Map the chargemaster item to its UB-04 revenue code.",
    R.INVALID_REVENUE_CODE: "Correct the revenue code: four digits in 0100-0999.",
    R.UNKNOWN_REVENUE_CODE: "Confirm the revenue code with the chargemaster coordinator.",
    R.MISSING_NDC: "Add the NDC of the administered drug from the pharmacy record.",
    R.INVALID_NDC: "Correct the NDC to 11 digits (5-4-2) or a hyphenated layout.",
    R.AMBIGUOUS_NDC: "Send the NDC hyphenated or as 11 digits.",
    R.MISSING_NPI: "Add the rendering provider's NPI from the provider master.",
    R.NPI_FORMAT: "Correct the NPI from the provider master (NPPES).",
    R.NPI_CHECK_DIGIT: "Correct the NPI from the provider master (NPPES); a digit is wrong.",
    R.MISSING_PLACE_OF_SERVICE: "Derive the place of service from the encounter location.",
    R.INVALID_PLACE_OF_SERVICE: "Correct the place of service: two digits.",
    R.UNKNOWN_PLACE_OF_SERVICE: "Use a CMS place-of-service code.",
    R.SERVICE_DATE_IN_FUTURE: "Correct the service date.",
    R.LATE_CHARGE: "Check whether the claim already dropped; send a corrected claim if so.",
    R.DUPLICATE_CHARGE: "Credit the duplicate, or add a repeat modifier (76, 77, 91) if real.",
    R.ORPHAN_CREDIT: "Find the original charge; post the credit against it or void it.",
    R.CREDIT_EXCEEDS_CHARGE: "Reduce the credit to what is left of the original charge.",
}


def charge_payload_reference(line_id: str) -> str:
    """Where the engine finds the parked charge."""
    return f"charge:{line_id}"


def validation_case(result: ChargeValidationResult) -> ExceptionCaseDraft | None:
    """The exception case for an invalid charge, or None when the charge may be billed."""
    errors = result.errors
    if not errors:
        return None
    first = errors[0]
    fields = ", ".join(dict.fromkeys(p.field for p in errors))
    noun = "problem" if len(errors) == 1 else "problems"
    return ExceptionCaseDraft(
        case_key=f"charge-validation:{result.line_id}",
        reason_code=first.reason.value,
        owning_team=REVENUE_INTEGRITY_TEAM,
        summary=f"Charge {result.line_id}: {len(errors)} {noun} ({fields})",
        suggested_fix=" ".join(dict.fromkeys(SUGGESTED_FIXES[p.reason] for p in errors)),
        payload_reference=charge_payload_reference(result.line_id),
        details=tuple(
            f"{p.reason.value} {p.field}={p.value!r}: {p.message}" for p in result.problems
        ),
    )


def ledger_case(outcome: LedgerOutcome) -> ExceptionCaseDraft | None:
    """The exception case for a duplicate or refused credit, or None when the line stands."""
    if outcome.reason is None:
        return None
    original = f" (original {outcome.original_line_id})" if outcome.original_line_id else ""
    return ExceptionCaseDraft(
        case_key=f"charge-ledger:{outcome.line_id}",
        reason_code=outcome.reason.value,
        owning_team=REVENUE_INTEGRITY_TEAM,
        summary=f"Charge {outcome.line_id}: {outcome.message}{original}",
        suggested_fix=SUGGESTED_FIXES[outcome.reason],
        payload_reference=charge_payload_reference(outcome.line_id),
        details=(f"{outcome.reason.value}: {outcome.message}",),
    )
