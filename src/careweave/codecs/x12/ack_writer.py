"""Write the 999 implementation acknowledgment (005010X231A1) for a ValidationReport.

One 999 answers each inbound functional group; a TA1 goes first when the interchange envelope
itself was broken. Copies of bad data (IK404) are left out when they hold a delimiter.
"""

from __future__ import annotations

from datetime import datetime

from careweave.codecs.x12.control import ControlNumberSource
from careweave.codecs.x12.emitter import (
    Element,
    EnvelopeConfig,
    SegmentValues,
    TransactionBody,
    build_interchange,
    render_segment,
)
from careweave.codecs.x12.tokenizer import Delimiters
from careweave.codecs.x12.validation import GroupReport, ValidationReport

ACK_VERSION = "005010X231A1"


# IK303 holds at most four characters: "2010AA" is reported as "2010".
def _safe(value: str, delimiters: Delimiters) -> str:
    used = (delimiters.element, delimiters.component, delimiters.segment, delimiters.repetition)
    return "" if any(d and d in value for d in used) else value[:99]


def _segment_id(raw: str) -> str:
    return raw[:3] if len(raw) >= 2 else "UNK"


def _group_body(group: GroupReport, delimiters: Delimiters) -> TransactionBody:
    segments: list[SegmentValues] = [("AK1", [group.functional_id, group.control_number,
                                              group.version])]  # fmt: skip
    for transaction in group.transactions:
        segments.append(("AK2", [transaction.transaction_id, transaction.control_number,
                                 transaction.implementation]))  # fmt: skip
        for issue in transaction.issues:
            segments.append(
                ("IK3", [_segment_id(issue.segment_id), str(issue.position),
                         "" if issue.loop_id == "ST" else issue.loop_id[:4], issue.code])
            )  # fmt: skip
            for element in issue.elements:
                position: Element = (
                    (str(element.index), str(element.component))
                    if element.component
                    else str(element.index)
                )
                segments.append(("IK4", [position, "", element.code,
                                         _safe(element.value, delimiters)]))  # fmt: skip
        segments.append(("IK5", [transaction.status, *transaction.codes]))
    accepted = sum(1 for t in group.transactions if t.status in ("A", "E"))
    count = str(len(group.transactions))
    segments.append(("AK9", [group.status, count, count, str(accepted), *group.codes]))
    return TransactionBody("999", ACK_VERSION, segments)


def write_999(
    report: ValidationReport,
    config: EnvelopeConfig,
    numbers: ControlNumberSource,
    created: datetime,
) -> str:
    """The acknowledgment interchange for *report* (TA1 first when the ISA was rejected)."""
    d = config.delimiters
    bodies = [_group_body(group, d) for group in report.groups]
    text = build_interchange([("FA", ACK_VERSION, bodies)] if bodies else [], config, numbers,
                             created)  # fmt: skip
    if report.ta1_note is None:
        return text
    ta1 = render_segment(
        "TA1",
        [report.interchange_control_number, report.interchange_date or created.strftime("%y%m%d"),
         report.interchange_time or created.strftime("%H%M"), "R", report.ta1_note],
        d,
    ) + ("\n" if config.newline else "")  # fmt: skip
    header_end = text.index(d.segment) + len(d.segment) + (1 if config.newline else 0)
    return text[:header_end] + ta1 + text[header_end:]
