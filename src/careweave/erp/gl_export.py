"""The GL export file: journal lines as CSV, for ERPs (and auditors) that take files, not APIs."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from decimal import Decimal
from typing import TextIO

import msgspec

from careweave.exceptions import CsvError
from careweave.model.erp import JournalRequest

_CENT = Decimal("0.01")
# Spreadsheet programs run a cell that starts with these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class GlExportRow(msgspec.Struct, frozen=True):
    """One journal line of the GL export file."""

    business_key: str
    journal_id: str
    posting_date: dt.date
    entity: str
    line_no: int
    account_string: str
    cost_center: str
    account: str
    service_line: str
    physician_group: str
    debit: Decimal
    credit: Decimal
    currency: str
    description: str
    memo: str


GL_EXPORT_COLUMNS = tuple(GlExportRow.__struct_fields__)


def gl_export_rows(
    journals: Iterable[JournalRequest], journal_ids: Mapping[str, str] | None = None
) -> Iterator[GlExportRow]:
    """One row per journal line; ``journal_ids`` maps business keys to the ERP's document ids."""
    ids = journal_ids or {}
    for journal in journals:
        for line_no, line in enumerate(journal.lines, 1):
            seg = line.segments
            yield GlExportRow(
                business_key=journal.business_key,
                journal_id=ids.get(journal.business_key, ""),
                posting_date=journal.posting_date,
                entity=seg.entity,
                line_no=line_no,
                account_string=seg.to_account_string(),
                cost_center=seg.cost_center,
                account=seg.account,
                service_line=seg.service_line,
                physician_group=seg.physician_group,
                debit=line.debit.quantize(_CENT),
                credit=line.credit.quantize(_CENT),
                currency=journal.currency,
                description=journal.description,
                memo=line.memo,
            )


def write_gl_export(
    journals: Iterable[JournalRequest],
    out: TextIO,
    journal_ids: Mapping[str, str] | None = None,
) -> int:
    """Write the GL export CSV (header + one row per journal line); return the rows written."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(GL_EXPORT_COLUMNS)
    count = 0
    for row in gl_export_rows(journals, journal_ids):
        writer.writerow([_cell(getattr(row, name)) for name in GL_EXPORT_COLUMNS])
        count += 1
    return count


def read_gl_export(source: TextIO) -> list[GlExportRow]:
    """Read back a GL export file (reconciliation, tests); a bad row raises with its line."""
    reader = csv.DictReader(source)
    if tuple(reader.fieldnames or ()) != GL_EXPORT_COLUMNS:
        raise CsvError(f"line 1: not a GL export header: {reader.fieldnames}")
    rows: list[GlExportRow] = []
    for raw in reader:
        cells = {k: (v[1:] if v.startswith("'") else v) for k, v in raw.items()}
        try:
            rows.append(msgspec.convert(cells, GlExportRow, strict=False))
        except msgspec.ValidationError as exc:
            raise CsvError(f"line {reader.line_num}: {exc}") from None
    return rows


def _cell(value: object) -> str:
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    if text.startswith(_FORMULA_STARTS) or text.startswith("'"):
        return "'" + text
    return text
