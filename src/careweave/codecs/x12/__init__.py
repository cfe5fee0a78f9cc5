"""careweave.codecs.x12: X12 5010 tokenizer, emitter, 835/999/277CA readers, 837/999 writers."""

from careweave.codecs.x12.ack_writer import write_999
from careweave.codecs.x12.claim_writer import write_claims
from careweave.codecs.x12.claims import (
    Address,
    BillingProvider,
    Claim,
    ClaimSubmission,
    Drug,
    Organization,
    Person,
    ServiceLine,
    Subscriber,
)
from careweave.codecs.x12.control import (
    ControlNumberSource,
    InMemoryControlNumbers,
    StateControlNumbers,
)
from careweave.codecs.x12.document import ParsedTransaction, X12Document, read_document
from careweave.codecs.x12.emitter import EnvelopeConfig
from careweave.codecs.x12.loops import Loop, StructureIssue
from careweave.codecs.x12.remit_writer import write_remittances
from careweave.codecs.x12.remittance import (
    Adjustment,
    ClaimPayment,
    Imbalance,
    ProviderAdjustment,
    RemittanceAdvice,
    ServicePayment,
    parse_remittances,
)
from careweave.codecs.x12.responses import (
    ClaimStatusReport,
    FunctionalAcknowledgment,
    parse_277,
    parse_999,
)
from careweave.codecs.x12.tokenizer import Delimiters, Segment, tokenize
from careweave.codecs.x12.validation import ValidationReport, validate_interchange

__all__ = [
    "Address",
    "Adjustment",
    "BillingProvider",
    "Claim",
    "ClaimPayment",
    "ClaimStatusReport",
    "ClaimSubmission",
    "ControlNumberSource",
    "Delimiters",
    "Drug",
    "EnvelopeConfig",
    "FunctionalAcknowledgment",
    "Imbalance",
    "InMemoryControlNumbers",
    "Loop",
    "Organization",
    "ParsedTransaction",
    "Person",
    "ProviderAdjustment",
    "RemittanceAdvice",
    "Segment",
    "ServiceLine",
    "ServicePayment",
    "StateControlNumbers",
    "StructureIssue",
    "Subscriber",
    "ValidationReport",
    "X12Document",
    "parse_277",
    "parse_999",
    "parse_remittances",
    "read_document",
    "tokenize",
    "validate_interchange",
    "write_999",
    "write_claims",
    "write_remittances",
]
