"""careweave.revenue: revenue-cycle rules for charges, denial work and reconciliation.

::

    validator = ChargeValidator(ChargeValidationConfig(), Icd10CmCodeSet(), clock)
    result = validator.validate(charge_line_from_event(event, entity="RHS-HOSP1"))
    case = validation_case(result)              # None when the charge may be billed
    outcome = ledger.record(line)               # duplicates, credits netted, orphans held
    outcome = ChargeBook(out.state).record(line, item)  # the same, kept in business state
    item = open_work_item(denied)               # a ClaimDenied -> a denial work item

What an 835 means (its finance events, each adjustment's kind and denial category) is the 835
mapping's to decide: :mod:`careweave.mappings.x12_remittance` and :mod:`careweave.mappings.adjustments`.
"""

from careweave.revenue.charge_book import ChargeBook, EncounterCharges, encounter_positions
from careweave.revenue.charge_cases import (
    REVENUE_INTEGRITY_TEAM,
    ledger_case,
    validation_case,
)
from careweave.revenue.charge_events import charge_line_from_event
from careweave.revenue.charge_lag import ChargeLag, ChargeLagPolicy, Clock, measure_charge_lag
from careweave.revenue.charge_ledger import (
    ChargeLedger,
    ChargePosition,
    LedgerOutcome,
    LedgerOutcomeKind,
    LedgerSnapshot,
    PositionStatus,
    charge_key,
    net_charges,
)
from careweave.revenue.charge_rules import ChargeValidationConfig, ChargeValidator
from careweave.revenue.denial_work import (
    AppealPolicy,
    age_days,
    aging_bucket,
    appeal_deadline,
    is_appeal_overdue,
    open_work_item,
    opens_work_item,
    transition,
    write_off_posting,
)
from careweave.revenue.diagnoses import DiagnosisCodeSet, DiagnosisStatus, Icd10CmCodeSet
from careweave.revenue.identifiers import NdcError, is_valid_npi, normalize_ndc, npi_problem

__all__ = [
    "REVENUE_INTEGRITY_TEAM",
    "AppealPolicy",
    "ChargeBook",
    "ChargeLag",
    "ChargeLagPolicy",
    "ChargeLedger",
    "ChargePosition",
    "ChargeValidationConfig",
    "ChargeValidator",
    "Clock",
    "DiagnosisCodeSet",
    "DiagnosisStatus",
    "EncounterCharges",
    "Icd10CmCodeSet",
    "LedgerOutcome",
    "LedgerOutcomeKind",
    "LedgerSnapshot",
    "NdcError",
    "PositionStatus",
    "age_days",
    "aging_bucket",
    "appeal_deadline",
    "charge_key",
    "charge_line_from_event",
    "encounter_positions",
    "is_appeal_overdue",
    "is_valid_npi",
    "ledger_case",
    "measure_charge_lag",
    "net_charges",
    "normalize_ndc",
    "npi_problem",
    "open_work_item",
    "opens_work_item",
    "transition",
    "validation_case",
    "write_off_posting",
]
