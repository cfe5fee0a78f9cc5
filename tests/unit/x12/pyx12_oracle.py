"""pyx12 4.0.0 as a test oracle: its validator and its segment reader."""

from __future__ import annotations

import io
import json
import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyx12.params
import pyx12.x12file
import pyx12.x12n_document


def pyx12_errors(source: str | Path) -> list[str]:
    """Every error pyx12's validator reports for an X12 file (empty when it validates)."""
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    out = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        pyx12.params.ParamsBase(), str(source), None, None, None, out
    )
    document: dict[str, Any] = json.loads(out.getvalue())
    errors: list[str] = []
    for interchange in document["interchanges"]:
        errors += [e["err_str"] for e in interchange["errors"]]
        for group in interchange["groups"]:
            errors += [e["err_str"] for e in group["errors"]]
            for transaction in group["transactions"]:
                errors += [e["err_str"] for e in transaction["errors"]]
                for segment in transaction["segments"]:
                    errors += [e["err_str"] for e in segment["errors"]]
                    for element in segment["elements"]:
                        errors += [e["err_str"] for e in element["errors"]]
    if not ok and not errors:
        errors.append("pyx12 reported the file invalid")
    return errors


def pyx12_remittance_totals(
    source: Path,
) -> tuple[list[Decimal], list[tuple[str, Decimal, Decimal]]]:
    """BPR02 of each 835 and (CLP01, CLP03, CLP04) of each claim, read by pyx12's X12Reader."""
    payments: list[Decimal] = []
    claims: list[tuple[str, Decimal, Decimal]] = []
    reader = pyx12.x12file.X12Reader(str(source))
    for segment in reader:
        if segment.get_seg_id() == "BPR":
            payments.append(Decimal(segment.get_value("BPR02")))
        elif segment.get_seg_id() == "CLP":
            claims.append((segment.get_value("CLP01"), Decimal(segment.get_value("CLP03")),
                           Decimal(segment.get_value("CLP04"))))  # fmt: skip
    return payments, claims


def pyx12_findings(source: str | Path) -> set[tuple[int, str, str | None, str]]:
    """pyx12's problems inside transaction sets: (position from ST, segment id, element, code).

    The element is written as careweave writes it (``CLM05-01``, ``BPR16``), None for a
    segment-level problem; the code is pyx12's IK3/IK4 error code.
    """
    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    out = io.StringIO()
    pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), str(source), None, None, None, out)
    found: set[tuple[int, str, str | None, str]] = set()
    for interchange in json.loads(out.getvalue())["interchanges"]:
        for group in interchange["groups"]:
            for transaction in group["transactions"]:
                for segment in transaction["segments"]:
                    where = (segment["seg_count"], segment["seg_id"])
                    for error in segment["errors"]:
                        found.add((*where, None, error["err_cde"]))
                    for element in segment["elements"]:
                        ref = f"{segment['seg_id']}{element['ele_pos']:02d}"
                        if element["subele_pos"]:
                            ref += f"-{element['subele_pos']:02d}"
                        for error in element["errors"]:
                            found.add((*where, ref, error["err_cde"]))
    return found
