"""The matcher's CSV file: ``id,given,family,birth_date,sex,address,city,postcode,phone,ssn``.

Every column must be in the header (in any order; other columns are ignored, except optional
``assigning_authority`` and ``mrn``, which feed the deterministic same-identifier rule); any value
may be empty. A malformed file (missing columns, an empty or repeated id, a row with more values
than the header) is refused with the line named. A birth date that cannot be read is not a reason
to drop the patient: the row is matched on its other fields and the problem is reported per line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from careweave.exceptions import CsvError
from careweave.masterdata.identity.dates import parse_birth_date
from careweave.masterdata.identity.records import PatientRecord

COLUMNS = ("id", "given", "family", "birth_date", "sex", "address", "city", "postcode", "phone",
           "ssn")  # fmt: skip
"""The required header columns."""


@dataclass
class PatientFile:
    """Records read from a file, and the per-line problems that did not stop the reading."""

    records: list[PatientRecord]
    warnings: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    """The file line of each record."""


def read_patient_file(path: Path) -> PatientFile:
    """Read ``path``; raises :class:`~careweave.exceptions.CsvError` naming the line."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return _read(path, csv.reader(handle))
    except UnicodeDecodeError as exc:
        raise CsvError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise CsvError(f"{path}: {exc}") from None


def _read(path: Path, rows: Iterator[list[str]]) -> PatientFile:
    header = next(rows, None)
    if header is None:
        raise CsvError(f"{path}: empty file, expected the header {','.join(COLUMNS)}")
    names = [h.strip().lower() for h in header]
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise CsvError(f"{path}:1: header lacks column(s) {', '.join(missing)}")
    position = {name: names.index(name) for name in (*COLUMNS, "assigning_authority", "mrn")
                if name in names}  # fmt: skip
    result = PatientFile(records=[])
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=2):
        if not any(v.strip() for v in row):
            continue
        if len(row) > len(names):
            raise CsvError(f"{path}:{number}: {len(row)} values for {len(names)} columns")
        values = {name: row[i].strip() if i < len(row) else "" for name, i in position.items()}
        record_id = values["id"]
        if not record_id:
            raise CsvError(f"{path}:{number}: empty id")
        if record_id in seen:
            raise CsvError(f"{path}:{number}: id {record_id!r} repeats line {seen[record_id]}")
        seen[record_id] = number
        try:
            parse_birth_date(values["birth_date"])
        except ValueError as exc:
            result.warnings.append(f"{path}:{number}: {exc}; matched without it")
        result.records.append(PatientRecord.from_row(values))
        result.lines.append(number)
    return result
