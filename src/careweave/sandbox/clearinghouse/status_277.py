"""Write the 277CA claim acknowledgment (005010X214) for the claims of one inbound 837.

One transaction set: information source (the clearinghouse), receiver (the submitter) with the
batch totals, billing provider, then one patient level per claim with its STC: ``A2:20``
accepted for adjudication (with the payer's claim number), or ``A3:<code>[:<entity>]`` rejected.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

import msgspec

from careweave.codecs.x12.control import ControlNumberSource
from careweave.codecs.x12.emitter import (
    EnvelopeConfig,
    SegmentValues,
    TransactionBody,
    build_interchange,
)
from careweave.sandbox.clearinghouse.intake import SubmittedClaim

VERSION = "005010X214"


class ClaimAcknowledgment(msgspec.Struct, frozen=True, kw_only=True):
    """One claim's front-end verdict: accepted (with a payer claim id) or rejected (STC code)."""

    claim: SubmittedClaim
    accepted: bool
    status: tuple[str, ...]
    """STC01 components: ``("A2", "20")`` or e.g. ``("A3", "116")``, ``("A3", "164", "IL")``."""
    payer_claim_id: str = ""
    reason: str = ""


def _amount(value: Decimal) -> str:
    return format(value, "f")


def _totals(acks: Sequence[ClaimAcknowledgment], counts: tuple[str, str]) -> list[SegmentValues]:
    """QTY (accepted, rejected counts with the level's qualifiers) and AMT YU/YY totals."""
    accepted = [a.claim.charge for a in acks if a.accepted]
    rejected = [a.claim.charge for a in acks if not a.accepted]
    segments: list[SegmentValues] = []
    if accepted:
        segments.append(("QTY", [counts[0], str(len(accepted))]))
    if rejected:
        segments.append(("QTY", [counts[1], str(len(rejected))]))
    if accepted:
        segments.append(("AMT", ["YU", _amount(sum(accepted, Decimal(0)))]))
    if rejected:
        segments.append(("AMT", ["YY", _amount(sum(rejected, Decimal(0)))]))
    return segments


def _body(
    acks: Sequence[ClaimAcknowledgment], submitter: tuple[str, str], batch: str,
    clearinghouse: tuple[str, str], created: dt.datetime,
) -> TransactionBody:  # fmt: skip
    day = f"{created:%Y%m%d}"
    total = _amount(sum((a.claim.charge for a in acks), Decimal(0)))
    first = acks[0].claim
    segments: list[SegmentValues] = [
        ("BHT", ["0085", "08", batch, day, f"{created:%H%M}", "TH"]),
        ("HL", ["1", "", "20", "1"]),
        ("NM1", ["AY", "2", clearinghouse[0], "", "", "", "", "46", clearinghouse[1]]),
        ("TRN", ["1", batch]),
        ("DTP", ["050", "D8", day]),
        ("DTP", ["009", "D8", day]),
        ("HL", ["2", "1", "21", "1"]),
        ("NM1", ["41", "2", submitter[0], "", "", "", "", "46", submitter[1]]),
        ("TRN", ["2", batch]),
        ("STC", [("A1", "19"), day, "WQ", total]),
        *_totals(acks, ("90", "AA")),
        ("HL", ["3", "2", "19", "1"]),
        ("NM1", ["85", "2", first.billing_name, "", "", "", "", "XX", first.billing_npi]),
        ("TRN", ["1", "0"]),
        ("STC", [("A1", "19"), "", "WQ", total]),  # STC02 is not used at this level
        *_totals(acks, ("QA", "QC")),
    ]  # fmt: skip
    for number, ack in enumerate(acks, start=4):
        claim = ack.claim
        segments.append(("HL", [str(number), "3", "PT"]))
        segments.append(("NM1", ["QC", "1", claim.patient_last, claim.patient_first, "", "", "",
                                 "MI", claim.member_id]))  # fmt: skip
        segments.append(("TRN", ["2", claim.claim_id]))
        action = "WQ" if ack.accepted else "U"
        segments.append(("STC", [ack.status, day, action, _amount(claim.charge)]))
        if ack.payer_claim_id:
            segments.append(("REF", ["1K", ack.payer_claim_id]))
        dates = [ln.service_date for ln in claim.lines if ln.service_date is not None]
        if dates:
            start, end = min(dates), max(dates)
            if start == end:
                segments.append(("DTP", ["472", "D8", f"{start:%Y%m%d}"]))
            else:
                segments.append(("DTP", ["472", "RD8", f"{start:%Y%m%d}-{end:%Y%m%d}"]))
    return TransactionBody("277", VERSION, segments)


def write_277ca(
    acks: Sequence[ClaimAcknowledgment],
    *,
    submitter: tuple[str, str],
    batch: str,
    clearinghouse: tuple[str, str],
    config: EnvelopeConfig,
    numbers: ControlNumberSource,
    created: dt.datetime,
) -> str:
    """One interchange with one 277CA answering *acks* (submitter and clearinghouse: name, id)."""
    body = _body(acks, submitter, batch, clearinghouse, created)
    return build_interchange([("HN", VERSION, [body])], config, numbers, created)
