"""careweave.sandbox.clearinghouse: a simulated clearinghouse and payers (837 in; 999, 277CA,
835 out) with fee schedules, benefits, denials, split and delayed payments."""

from careweave.sandbox.clearinghouse.adjudication import Adjudicator, ClaimVerdict
from careweave.sandbox.clearinghouse.api import (
    AdjudicatedClaim,
    LineDecision,
    OutboundFile,
    PriorAuthorization,
    ReceivedFile,
    SubmissionReceipt,
)
from careweave.sandbox.clearinghouse.app import ClearinghouseSimulator
from careweave.sandbox.clearinghouse.intake import SubmittedClaim, SubmittedLine, claims_in
from careweave.sandbox.clearinghouse.payers import (
    ClearinghouseConfig,
    NecessityRule,
    PayerRules,
    sample_payers,
)
from careweave.sandbox.clearinghouse.service import Clearinghouse
from careweave.sandbox.clearinghouse.status_277 import ClaimAcknowledgment, write_277ca

__all__ = [
    "AdjudicatedClaim",
    "Adjudicator",
    "ClaimAcknowledgment",
    "ClaimVerdict",
    "Clearinghouse",
    "ClearinghouseConfig",
    "ClearinghouseSimulator",
    "LineDecision",
    "NecessityRule",
    "OutboundFile",
    "PayerRules",
    "PriorAuthorization",
    "ReceivedFile",
    "SubmissionReceipt",
    "SubmittedClaim",
    "SubmittedLine",
    "claims_in",
    "sample_payers",
    "write_277ca",
]
