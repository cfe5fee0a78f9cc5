"""careweave.revenue: revenue-cycle rules for charges, denials and remittances.

::

    validator = ChargeValidator(ChargeValidationConfig(), Icd10CmCodeSet(), clock)
    result = validator.validate(charge_line_from_event(event, entity="RHS-HOSP1"))
    case = validation_case(result)              # None when the charge may be billed
    outcome = ledger.record(line)               # duplicates, credits netted, orphans held
    outcome = ChargeBook(out.state).record(line, item)  # the same, kept in business state
    events = remittance_events(advice)          # a parsed 835 -> finance events, idempotent
    item = open_work_item(denied)               # a ClaimDenied -> a denial work item
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
from careweave.revenue.denials import (
    DEFAULT_DENIAL_ROUTES,
    DenialPolicy,
    DenialRoute,
    classify_adjustment,
)
from careweave.revenue.diagnoses import DiagnosisCodeSet, DiagnosisStatus, Icd10CmCodeSet
from careweave.revenue.identifiers import NdcError, is_valid_npi, normalize_ndc, npi_problem
from careweave.revenue.remittance import default_entity, posted_total, remittance_events

__all__ = [
    "DEFAULT_DENIAL_ROUTES",
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
    "DenialPolicy",
    "DenialRoute",
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
    "classify_adjustment",
    "default_entity",
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
    "posted_total",
    "remittance_events",
    "transition",
    "validation_case",
    "write_off_posting",
]
