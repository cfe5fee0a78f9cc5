"""careweave.sandbox.rcm: a simulated revenue-cycle platform (charges API, billed accounts)."""

from careweave.sandbox.rcm.api import (
    AccountLine,
    AdjustmentAmount,
    BatchResult,
    BilledAccount,
    BilledNotice,
    ChargeBatch,
    ChargeLine,
    ChargeRecord,
    Coverage,
    EncounterUpdate,
    LineResult,
    PatientDemographics,
    PostingResult,
    Receivable,
    RemittanceBatch,
    RemittancePosting,
)
from careweave.sandbox.rcm.app import RcmSimulator
from careweave.sandbox.rcm.claims import claim_for
from careweave.sandbox.rcm.state import RcmState, account_id_for, is_self_pay
from careweave.sandbox.serving import SimulatorServer

__all__ = [
    "AccountLine",
    "AdjustmentAmount",
    "BatchResult",
    "BilledAccount",
    "BilledNotice",
    "ChargeBatch",
    "ChargeLine",
    "ChargeRecord",
    "Coverage",
    "EncounterUpdate",
    "LineResult",
    "PatientDemographics",
    "PostingResult",
    "RcmSimulator",
    "RcmState",
    "Receivable",
    "RemittanceBatch",
    "RemittancePosting",
    "SimulatorServer",
    "account_id_for",
    "claim_for",
    "is_self_pay",
]
