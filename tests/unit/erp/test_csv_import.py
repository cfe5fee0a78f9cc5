"""Item master and cost-center mapping imports: bad rows are reported, good rows load."""

import datetime as dt
import io
from decimal import Decimal

import pytest

from careweave.exceptions import CsvError
from careweave.masterdata.csv_import import import_cost_center_mapping, import_item_master

HEADER = (
    "item_number,description,gtin,manufacturer,catalog_number,uom,standard_cost,consigned,"
    "effective_from,effective_to\n"
)


def items(*rows: str) -> io.StringIO:
    return io.StringIO(HEADER + "".join(r + "\n" for r in rows), newline="")


def test_malformed_row_is_rejected_with_line_and_reason_and_the_rest_loads():
    report = import_item_master(
        items(
            "STENT-1,Coronary stent,4006381333931,CardioVasc,DES-3015,EA,1450.00,Y,2026-01-01,",
            "GW-1,Guidewire,4006381333932,WireCo,GW014,EA,85.50,N,2026-01-01,",
            "SUT-1,Suture,,Sutura,S30,BX,42.00,N,2026-01-01,2026-12-31",
        )
    )
    assert [r.item_number for r in report.accepted] == ["STENT-1", "SUT-1"]
    assert len(report.rejected) == 1
    bad = report.rejected[0]
    assert bad.line == 3
    assert bad.column == "gtin"
    assert "check digit 2, expected 1" in bad.reason
    stent = report.accepted[0]
    assert stent.standard_cost == Decimal("1450.00")
    assert stent.consigned is True
    assert stent.effective_to is None
    assert report.accepted[1].gtin is None
    assert report.accepted[1].effective_to == dt.date(2026, 12, 31)


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        (",Stent,,,,EA,1.00,N,2026-01-01,", "item_number", "item_number is required"),
        ("A1,Stent,,,,EA,abc,N,2026-01-01,", "standard_cost", "not a decimal amount"),
        ("A1,Stent,,,,EA,1.00,N,2026-13-01,", "effective_from", "not a date"),
        ("A1,Stent,,,,EA,1.00,N,2026-06-01,2026-05-01", "effective_to", "before effective_from"),
        ("A1,Stent,,,,EACH,1.00,N,2026-01-01,", "uom", "unit of measure"),
        ("A1,Stent,,,,EA,1.00,perhaps,2026-01-01,", "consigned", "true/false"),
        ("A1,Stent,,,,EA,1.00,N", None, "row has 8 fields, the header has 10"),
    ],
)
def test_each_kind_of_bad_row_names_its_problem(row, column, fragment):
    report = import_item_master(items("OK-1,Fine,,,,EA,1.00,N,2026-01-01,", row))
    assert [r.item_number for r in report.accepted] == ["OK-1"]
    (bad,) = report.rejected
    assert bad.line == 3
    assert bad.column == column
    assert fragment in bad.reason


def test_duplicates_with_overlapping_dates_are_rejected_but_successive_versions_load():
    report = import_item_master(
        items(
            "A1,Stent v1,,,,EA,100.00,N,2026-01-01,2026-06-30",
            "A1,Stent v2,,,,EA,110.00,N,2026-07-01,",
            "A1,Stent again,,,,EA,120.00,N,2026-08-01,",
            "B1,Other,00012345600012,,,EA,1.00,N,2026-01-01,",
            "C1,Same device,012345600012,,,EA,1.00,N,2026-01-01,",
        )
    )
    assert [r.description for r in report.accepted] == ["Stent v1", "Stent v2", "Other"]
    assert [(r.line, r.reason) for r in report.rejected] == [
        (4, "duplicate item_number A1: effective dates overlap line 3"),
        (6, "duplicate gtin 00012345600012: effective dates overlap line 5"),
    ]


def test_line_numbers_count_physical_lines_of_quoted_multiline_cells_and_skip_blanks():
    report = import_item_master(
        items(
            'A1,"Stent, drug-eluting\nsecond line",,,,EA,1.00,N,2026-01-01,',
            "",
            "B1,Bad cost,,,,EA,x,N,2026-01-01,",
        )
    )
    assert report.accepted[0].description == "Stent, drug-eluting\nsecond line"
    assert [r.line for r in report.rejected] == [5]


def test_broken_quoting_rejects_only_that_row():
    report = import_item_master(
        items('A1,"Stent"x,,,,EA,1.00,N,2026-01-01,', "B1,Fine,,,,EA,1.00,N,2026-01-01,")
    )
    assert [r.item_number for r in report.accepted] == ["B1"]
    assert report.rejected[0].line == 2
    assert "malformed CSV" in report.rejected[0].reason


def test_missing_required_column_refuses_the_file():
    with pytest.raises(CsvError, match=r"header lacks required column.*standard_cost"):
        import_item_master(io.StringIO("item_number,description,uom,effective_from\n"))


def test_empty_file_and_repeated_header_are_refused():
    with pytest.raises(CsvError, match="empty"):
        import_item_master(io.StringIO(""))
    with pytest.raises(CsvError, match="repeats column"):
        import_item_master(io.StringIO(HEADER.strip() + ",uom\n"))


def test_file_with_bom_crlf_and_extra_column(tmp_path):
    path = tmp_path / "items.csv"
    text = (
        "\ufeffItem_Number,Description,UOM,Standard_Cost,Effective_From,Bin\r\n"
        "A1,Stent,EA,10.5,2026-01-01,B-12\r\n"
    )
    path.write_bytes(text.encode("utf-8"))
    report = import_item_master(path)
    assert [r.item_number for r in report.accepted] == ["A1"]
    assert report.ignored_columns == ["bin"]


def test_undecodable_bytes_refuse_the_file_naming_the_line(tmp_path):
    path = tmp_path / "items.csv"
    path.write_bytes(HEADER.encode() + b"A1,St\xe9nt,,,,EA,1,N,2026-01-01,\n")
    with pytest.raises(CsvError, match=r"line 2: byte .* is not UTF-8"):
        import_item_master(path)


def test_cost_center_mapping():
    text = (
        "entity,department_code,cost_center,service_line,physician_group,effective_from,"
        "effective_to\n"
        "10,CATH,4010,CARD,PG1,2026-01-01,\n"
        "10,CATH,4011,CARD,PG1,2026-03-01,\n"
        "20,CATH,4010,CARD,,2026-01-01,\n"
        "20,OR-1,4020,SURG,,2026-01-01,\n"
    )
    report = import_cost_center_mapping(io.StringIO(text, newline=""))
    assert [(r.entity, r.cost_center) for r in report.accepted] == [("10", "4010"), ("20", "4010")]
    assert report.accepted[1].physician_group is None
    assert [(r.line, r.column) for r in report.rejected] == [(3, None), (5, "department_code")]
    assert "duplicate department 10/CATH" in report.rejected[0].reason
