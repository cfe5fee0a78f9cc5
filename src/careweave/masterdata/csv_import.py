"""Item master and cost-center mapping imported from CSV, validated row by row.

A file whose header lacks a required column is refused whole (:class:`CsvError`), since no row of
it can be read. Otherwise every row is checked (types, decimal costs, GTIN check digit, effective
dates, duplicates with overlapping effective dates) and the report lists each rejected row with
its line number (the header is line 1) and the reason; the valid rows load.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Generic, TextIO, TypeVar

import msgspec

from careweave.exceptions import CsvError
from careweave.masterdata.csv_fields import (
    parse_bool,
    parse_code,
    parse_cost,
    parse_date,
    parse_gtin,
    parse_item_number,
    parse_text,
    parse_uom,
)

RowT = TypeVar("RowT")


class ItemMasterRow(msgspec.Struct, frozen=True):
    """One item of the item master file."""

    item_number: str
    description: str
    uom: str
    standard_cost: Decimal
    effective_from: dt.date
    gtin: str | None = None
    manufacturer: str | None = None
    catalog_number: str | None = None
    consigned: bool = False
    effective_to: dt.date | None = None


class CostCenterMappingRow(msgspec.Struct, frozen=True):
    """Where a clinical department's costs go: entity, cost center, service line, group."""

    entity: str
    department_code: str
    cost_center: str
    effective_from: dt.date
    service_line: str | None = None
    physician_group: str | None = None
    effective_to: dt.date | None = None


class RejectedRow(msgspec.Struct, frozen=True):
    """A row that did not load, with its line in the file and why."""

    line: int
    reason: str
    column: str | None = None


class ImportReport(msgspec.Struct, Generic[RowT]):
    """The rows that loaded and the rows that did not."""

    accepted: list[RowT]
    rejected: list[RejectedRow]
    ignored_columns: list[str] = msgspec.field(default_factory=list)
    """Header columns the importer does not know (kept out of the load, reported here)."""


@dataclass(frozen=True, slots=True)
class Column:
    """A column of a flat file: its header name, its cell parser, whether a value is needed."""

    name: str
    parse: Callable[[str], Any]
    required: bool = True


ITEM_MASTER_COLUMNS = (
    Column("item_number", parse_item_number),
    Column("description", parse_text),
    Column("uom", parse_uom),
    Column("standard_cost", parse_cost),
    Column("effective_from", parse_date),
    Column("gtin", parse_gtin, required=False),
    Column("manufacturer", parse_text, required=False),
    Column("catalog_number", parse_text, required=False),
    Column("consigned", parse_bool, required=False),
    Column("effective_to", parse_date, required=False),
)

COST_CENTER_MAPPING_COLUMNS = (
    Column("entity", parse_code),
    Column("department_code", parse_code),
    Column("cost_center", parse_code),
    Column("effective_from", parse_date),
    Column("service_line", parse_code, required=False),
    Column("physician_group", parse_code, required=False),
    Column("effective_to", parse_date, required=False),
)


class RowRejected(ValueError):
    """A row-level problem, named by column."""

    def __init__(self, reason: str, column: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.column = column


class _EffectiveRanges:
    """Remembers the effective ranges seen per key to refuse overlapping duplicates."""

    def __init__(self, what: str) -> None:
        self._what = what
        self._seen: dict[tuple[str, ...], list[tuple[dt.date, dt.date, int]]] = {}

    def claim(self, key: tuple[str, ...], start: dt.date, end: dt.date | None, line: int) -> None:
        last = end or dt.date.max
        for other_start, other_end, other_line in self._seen.get(key, []):
            if start <= other_end and other_start <= last:
                raise RowRejected(
                    f"duplicate {self._what} {'/'.join(key)}: effective dates overlap line {other_line}"
                )
        self._seen.setdefault(key, []).append((start, last, line))


def _check_dates(start: dt.date, end: dt.date | None) -> None:
    if end is not None and end < start:
        raise RowRejected(f"effective_to {end} is before effective_from {start}", "effective_to")


def import_item_master(source: Path | TextIO) -> ImportReport[ItemMasterRow]:
    """Read an item master CSV; valid rows load, each bad row is reported with line and reason."""
    by_item = _EffectiveRanges("item_number")
    by_gtin = _EffectiveRanges("gtin")

    def build(line: int, cells: dict[str, Any]) -> ItemMasterRow:
        row = ItemMasterRow(**cells)
        _check_dates(row.effective_from, row.effective_to)
        by_item.claim((row.item_number,), row.effective_from, row.effective_to, line)
        if row.gtin is not None:
            # GTINs are normalised to 14 digits: 0088454111114 and 00088454111114 are one device.
            gtin14 = row.gtin.zfill(14)
            by_gtin.claim((gtin14,), row.effective_from, row.effective_to, line)
        return row

    return read_rows(source, ITEM_MASTER_COLUMNS, build)


def import_cost_center_mapping(source: Path | TextIO) -> ImportReport[CostCenterMappingRow]:
    """Read a department -> cost-center mapping CSV, row by row like :func:`import_item_master`."""
    by_department = _EffectiveRanges("department")

    def build(line: int, cells: dict[str, Any]) -> CostCenterMappingRow:
        row = CostCenterMappingRow(**cells)
        _check_dates(row.effective_from, row.effective_to)
        key = (row.entity, row.department_code)
        by_department.claim(key, row.effective_from, row.effective_to, line)
        return row

    return read_rows(source, COST_CENTER_MAPPING_COLUMNS, build)


def read_rows(
    source: Path | TextIO,
    columns: Sequence[Column],
    build: Callable[[int, dict[str, Any]], RowT],
) -> ImportReport[RowT]:
    """Parse each row's cells with ``columns`` and turn them into a record with ``build``."""
    lines = _open(source)
    try:
        header, line_no = next(lines)
    except StopIteration:
        raise CsvError("the file is empty: expected a header row") from None
    if isinstance(header, str):
        raise CsvError(f"line {line_no}: the header is unreadable ({header})")
    names = [h.strip().lstrip("\ufeff").lower() for h in header]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise CsvError(f"line {line_no}: header repeats column(s) {', '.join(doubled)}")
    known = {c.name for c in columns}
    missing = [c.name for c in columns if c.required and c.name not in names]
    if missing:
        raise CsvError(f"line {line_no}: header lacks required column(s) {', '.join(missing)}")
    report: ImportReport[RowT] = ImportReport(
        accepted=[], rejected=[], ignored_columns=[n for n in names if n not in known]
    )
    for row, line in lines:
        if isinstance(row, str):
            report.rejected.append(RejectedRow(line, row))
            continue
        if not any(cell.strip() for cell in row):
            continue
        try:
            if len(row) != len(names):
                raise RowRejected(f"row has {len(row)} fields, the header has {len(names)}")
            record = build(line, _parse_cells(dict(zip(names, row, strict=True)), columns))
        except RowRejected as exc:
            report.rejected.append(RejectedRow(line, exc.reason, exc.column))
        else:
            report.accepted.append(record)
    return report


def _parse_cells(raw: dict[str, str], columns: Sequence[Column]) -> dict[str, Any]:
    cells: dict[str, Any] = {}
    for column in columns:
        value = raw.get(column.name, "")
        if not value.strip():
            if column.required:
                raise RowRejected(f"{column.name} is required", column.name)
            continue
        try:
            cells[column.name] = column.parse(value)
        except ValueError as exc:
            raise RowRejected(f"{column.name}: {exc}", column.name) from None
    return cells


def _open(source: Path | TextIO) -> Iterator[tuple[list[str] | str, int]]:
    """Each row (or why it cannot be read) with the line it starts on.

    A row with broken quoting is a reason, not an exception: the reader goes on with the next
    line, so one bad row never hides the rest of the file. Undecodable bytes refuse the file.
    """
    if isinstance(source, Path):
        data = source.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise CsvError(f"line {line}: byte {exc.start} is not UTF-8 ({exc.reason})") from None
        stream: TextIO = io.StringIO(text, newline="")
    else:
        stream = source
    reader = csv.reader(stream, strict=True)
    previous_end = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield f"malformed CSV: {exc}", previous_end + 1
            previous_end = reader.line_num
            continue
        yield row, previous_end + 1
        previous_end = reader.line_num
