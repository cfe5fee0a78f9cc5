"""GL export file: one CSV row per journal line, safe to open in a spreadsheet."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest

from careweave.erp.gl_export import GL_EXPORT_COLUMNS, read_gl_export, write_gl_export
from careweave.exceptions import CsvError
from careweave.model.erp import GlSegments, JournalLine, JournalRequest


def journal(key: str, amount: str, memo: str = "") -> JournalRequest:
    return JournalRequest(
        business_key=key,
        entity="10",
        posting_date=dt.date(2026, 11, 27),
        description="Supply cost, case " + key,
        lines=[
            JournalLine(GlSegments("10", "4010", "61000", "CARD"), debit=Decimal(amount)),
            JournalLine(GlSegments("10", "8400", "14000"), credit=Decimal(amount), memo=memo),
        ],
    )


def test_export_round_trips_and_balances():
    journals = [journal("J1", "1450"), journal("J2", "85.5")]
    out = io.StringIO(newline="")
    assert write_gl_export(journals, out, {"J1": "JE-0000001"}) == 4
    text = out.getvalue()
    assert text.startswith(",".join(GL_EXPORT_COLUMNS) + "\r\n")
    rows = read_gl_export(io.StringIO(text, newline=""))
    assert [(r.business_key, r.line_no, r.journal_id) for r in rows] == [
        ("J1", 1, "JE-0000001"),
        ("J1", 2, "JE-0000001"),
        ("J2", 1, ""),
        ("J2", 2, ""),
    ]
    assert rows[0].account_string == "10-4010-61000-CARD-000"
    assert rows[0].debit == Decimal("1450.00") and rows[1].credit == Decimal("1450.00")
    assert sum(r.debit for r in rows) == sum(r.credit for r in rows) == Decimal("1535.50")
    raw = list(csv.reader(io.StringIO(text, newline="")))
    assert raw[1][GL_EXPORT_COLUMNS.index("debit")] == "1450.00"


def test_formula_like_text_is_neutralised_and_read_back_unchanged():
    out = io.StringIO(newline="")
    write_gl_export([journal("J1", "1", memo='=HYPERLINK("http://x")')], out)
    raw = list(csv.reader(io.StringIO(out.getvalue(), newline="")))
    assert raw[2][GL_EXPORT_COLUMNS.index("memo")].startswith("'=")
    rows = read_gl_export(io.StringIO(out.getvalue(), newline=""))
    assert rows[1].memo == '=HYPERLINK("http://x")'


def test_reading_a_foreign_file_fails_clearly():
    with pytest.raises(CsvError, match="not a GL export header"):
        read_gl_export(io.StringIO("a,b\n1,2\n"))
