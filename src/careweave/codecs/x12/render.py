"""Views of parsed X12 for people and tools: an indented loop tree and JSON-ready dicts."""

from __future__ import annotations

from typing import Any

from careweave.codecs.x12.document import X12Document
from careweave.codecs.x12.loops import Loop
from careweave.codecs.x12.remittance import RemittanceAdvice
from careweave.codecs.x12.tokenizer import Delimiters, Segment


def tree_lines(loop: Loop, delimiters: Delimiters, depth: int = 0) -> list[str]:
    """The loop tree as indented lines: ``[2100] Claim payment information`` then segments."""
    pad = "  " * depth
    lines = [f"{pad}[{loop.id}] {loop.name}"]
    for item in loop.items:
        if isinstance(item, Segment):
            lines.append(f"{pad}  {item.position:>5} {delimiters.element.join(item.fields)}")
        else:
            lines.extend(tree_lines(item, delimiters, depth + 1))
    return lines


def document_lines(document: X12Document) -> list[str]:
    """Every transaction of *document* as a loop tree, with envelope headings."""
    lines: list[str] = []
    for interchange in document.interchanges:
        lines.append(f"interchange {interchange.control_number} "
                     f"{interchange.sender} -> {interchange.receiver}")  # fmt: skip
        for group in interchange.groups:
            lines.append(f"  group {group.control_number} {group.functional_id} {group.version}")
    for parsed in document.transactions:
        transaction = parsed.transaction
        lines.append(f"transaction {transaction.id} {transaction.control_number} "
                     f"{transaction.implementation}")  # fmt: skip
        lines.extend(tree_lines(parsed.tree, document.delimiters, 1))
    return lines


def loop_dict(loop: Loop) -> dict[str, Any]:
    """A loop tree as nested dicts (segments as element lists)."""
    return {
        "loop": loop.id,
        "name": loop.name,
        "items": [
            {"position": item.position, "segment": item.fields}
            if isinstance(item, Segment)
            else loop_dict(item)
            for item in loop.items
        ],
    }


def remittance_dict(advice: RemittanceAdvice) -> dict[str, Any]:
    """The 835 summary the CLI prints: payment, claims with adjustments and lines, PLB, balance."""
    return {
        "control_number": advice.control_number,
        "payment": str(advice.payment),
        "payment_date": advice.payment_date,
        "trace_number": advice.trace_number,
        "payer": advice.payer.name,
        "payee": advice.payee.name,
        "claims": [
            {
                "id": claim.id,
                "status": claim.status,
                "charge": str(claim.charge),
                "paid": str(claim.paid),
                "patient_responsibility": None
                if claim.patient_responsibility is None
                else str(claim.patient_responsibility),
                "adjustments": [
                    {"group": a.group, "reason": a.reason, "amount": str(a.amount)}
                    for a in claim.adjustments
                ],
                "remarks": [r.code for r in claim.remarks],
                "lines": [
                    {
                        "procedure": line.procedure_code,
                        "qualifier": line.procedure_qualifier,
                        "modifiers": line.modifiers,
                        "charge": str(line.charge),
                        "paid": str(line.paid),
                        "revenue_code": line.revenue_code,
                        "units": None if line.units is None else str(line.units),
                        "adjustments": [
                            {"group": a.group, "reason": a.reason, "amount": str(a.amount)}
                            for a in line.adjustments
                        ],
                        "remarks": [r.code for r in line.remarks],
                    }
                    for line in claim.lines
                ],
            }
            for claim in advice.claims
        ],
        "plb": [
            {
                "provider": p.provider_id,
                "reason": p.reason,
                "reference": p.reference,
                "amount": str(p.amount),
            }
            for p in advice.provider_adjustments
        ],
        "balanced": advice.balanced,
        "imbalances": [i.message for i in advice.imbalances],
    }
