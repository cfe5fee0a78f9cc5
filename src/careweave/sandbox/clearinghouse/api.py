"""The simulated clearinghouse and payers' wire contract: 837 in; 999, 277CA and 835 out.

Files in:

- a drop directory (``ClearinghouseConfig.inbound``) polled for ``*.837``, ``*.x12``, ``*.edi``
  and ``*.txt`` files; each is moved to ``inbound/processed`` once answered;
- ``POST /837`` with the raw X12 as the body (any text content type) and an optional
  ``X-Filename`` header: answers ``SubmissionReceipt`` (201) once the 999 and 277CA are written.
  A file re-sent with an ``Idempotency-Key`` already answered gets the first receipt back.
  A file that is not X12 at all is answered with a 999/TA1 rejection, never a 5xx.
- ``GET /837``: ``list[ReceivedFile]``, every file taken in (HTTP or drop directory), each once;
  ``GET /837/{name}``: its raw content, as it arrived (what the reconciliation reads billed
  amounts from).

Files out, written to ``ClearinghouseConfig.outbound`` and readable over HTTP:

- ``GET /999``, ``GET /277``, ``GET /835``: ``list[OutboundFile]`` released so far (an 835 is
  released on its payment date: some are delayed by days; some claims of one submission are paid
  on two checks); optional ``?since=<sequence>`` returns files with a higher sequence only;
- ``GET /999/{name}``, ``GET /277/{name}``, ``GET /835/{name}``: the X12 text (404 when unknown or
  not yet released).
- ``POST /authorizations`` with a ``PriorAuthorization``: the payer records a prior
  authorization (a claim line whose code needs one gets CO-197 without it).
- ``GET /admin/claims``: ``list[AdjudicatedClaim]``, what the payers decided (for tests).

Adjudication is deterministic for a seed and a clock; every 835 balances by construction.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

import msgspec

FileKind = Literal["999", "277", "835"]


class OutboundFile(msgspec.Struct, frozen=True, kw_only=True):
    """A file the clearinghouse has released to the provider."""

    name: str
    kind: FileKind
    sequence: int
    """Release order across all kinds, from 1."""
    released: dt.date
    """The business date it was released (the 835 payment date)."""
    submission_id: str
    """The submission (inbound file) it answers."""
    size: int


class ReceivedFile(msgspec.Struct, frozen=True, kw_only=True):
    """An inbound file the clearinghouse took in, kept as it arrived."""

    name: str
    """``{submission_id}.837``: unique, whatever the sender called it."""
    submission_id: str
    sequence: int
    """Order of arrival, from 1."""
    received: dt.date
    filename: str
    """The sender's name for it (X-Filename or the dropped file's name), if any."""
    size: int


class SubmissionReceipt(msgspec.Struct, frozen=True, kw_only=True):
    """The clearinghouse's answer to an inbound 837 file."""

    submission_id: str
    accepted: bool
    """True when the 999 accepted every transaction set."""
    ack_999: str
    """Name of the 999 file."""
    status_277: str
    """Name of the 277CA file ("" when the whole file was rejected)."""
    claims_accepted: int
    claims_rejected: int
    problems: list[str]


class PriorAuthorization(msgspec.Struct, frozen=True, kw_only=True):
    """A payer's authorization of a procedure for a member over a period."""

    payer_id: str
    member_id: str
    procedure_code: str
    number: str
    start: dt.date
    end: dt.date


class LineDecision(msgspec.Struct, frozen=True, kw_only=True):
    """What the payer decided for one service line."""

    procedure_code: str
    charge: Decimal
    allowed: Decimal
    paid: Decimal
    adjustments: list[tuple[str, str, Decimal]]
    """(group, CARC, amount) triplets, e.g. ("CO", "45", 12.00), ("PR", "1", 50.00)."""
    remarks: list[str]
    """RARC codes (LQ*HE)."""


class AdjudicatedClaim(msgspec.Struct, frozen=True, kw_only=True):
    """A claim as the payer adjudicated it, and where its payment went."""

    claim_id: str
    payer_id: str
    payer_claim_id: str
    member_id: str
    status: str
    """CLP02: 1 processed as primary, 2 as secondary, 4 denied."""
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    lines: list[LineDecision]
    payment_date: dt.date
    trace_number: str
    """TRN02 of the check/EFT that pays it."""
    submission_id: str
