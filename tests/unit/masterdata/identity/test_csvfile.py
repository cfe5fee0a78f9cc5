"""The matcher's CSV file: columns in any order, optional identifier columns, per-line problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from careweave.exceptions import CsvError
from careweave.masterdata.identity import PatientMatcher, read_patient_file


def test_columns_in_any_order_extra_ones_ignored_and_identifiers_read(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text(
        "\ufeffssn,phone,postcode,city,address,sex,birth_date,family,given,id,note,"
        "assigning_authority,mrn\n"
        ",,,,,F,19840703,Smith,Ann,A1,hello,EHR,M100\n"
        "\n"
        ",,,,,F,1984-13-03,Smith,Ann,A2,,EHR,M100\n",
        encoding="utf-8",
    )
    patients = read_patient_file(path)
    first, _ = patients.records
    assert (first.id, first.given, first.birth_date, first.identifiers) == (
        "A1", "Ann", "19840703", (("EHR", "M100"),)
    )  # fmt: skip
    assert patients.lines == [2, 4]  # the blank line is skipped, the numbering is the file's
    assert patients.warnings == [
        f"{path}:4: birth date '1984-13-03' is not a calendar date; matched without it"
    ]
    result = PatientMatcher().match(patients.records)
    assert [(p.a, p.b, p.reason) for p in result.pairs] == [("A1", "A2", "same identifier")]
    assert result.records[1].problems and not result.records[1].birth_date


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b"id,given,family,birth_date,sex,address,city,postcode,phone,ssn\nA,\xff\n")
    with pytest.raises(CsvError, match="not UTF-8"):
        read_patient_file(path)
