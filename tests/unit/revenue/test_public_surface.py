"""The public surface of careweave.revenue is pinned: changing it is a deliberate act.

What an 835 means (remittance_events, classify_adjustment, DenialPolicy) is the 835 mapping's:
careweave.mappings.x12_remittance and careweave.mappings.adjustments, not part of this surface.
"""

from __future__ import annotations

import careweave.revenue as revenue

EXPECTED = {
    "REVENUE_INTEGRITY_TEAM", "AppealPolicy", "ChargeBook", "ChargeLag", "ChargeLagPolicy",
    "ChargeLedger", "ChargePosition", "ChargeValidationConfig", "ChargeValidator", "Clock",
    "DiagnosisCodeSet", "DiagnosisStatus", "EncounterCharges", "Icd10CmCodeSet", "LedgerOutcome",
    "LedgerOutcomeKind", "LedgerSnapshot", "NdcError", "PositionStatus", "age_days",
    "aging_bucket", "appeal_deadline", "charge_key", "charge_line_from_event",
    "encounter_positions", "is_appeal_overdue", "is_valid_npi", "ledger_case",
    "measure_charge_lag", "net_charges", "normalize_ndc", "npi_problem", "open_work_item",
    "opens_work_item", "transition", "validation_case", "write_off_posting",
}  # fmt: skip


def test_public_names():
    assert set(revenue.__all__) == EXPECTED
    for name in EXPECTED:
        assert getattr(revenue, name) is not None, name
