"""``careweave x12`` commands, the tokenizer's delimiter handling and the public surface."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

import careweave.codecs.x12 as x12
from careweave.cli.app import app
from careweave.codecs.x12.tokenizer import tokenize
from careweave.exceptions import X12Error
from tests.conftest import corpus_path

runner = CliRunner()
MEDICARE = ("x12", "linuxforhealth-x12", "835_005010X221A1", "medicare-part-a.835")


def test_parse_json_for_an_835() -> None:
    result = runner.invoke(app, ["x12", "parse", str(corpus_path(*MEDICARE)), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["payment"] == "150000.00"
    assert payload["balanced"] is True
    first = payload["claims"][0]
    assert {k: first[k] for k in ("id", "status", "charge", "paid")} == {
        "id": "666123", "status": "1", "charge": "211366.97", "paid": "138018.40",
    }  # fmt: skip
    assert first["adjustments"] == [{"group": "CO", "reason": "45", "amount": "73348.57"}]
    assert payload["plb"] == [{"provider": "6543210903", "reason": "CV", "reference": "CP",
                               "amount": "-1.27"}]  # fmt: skip
    assert Decimal(payload["payment"]) == sum(
        Decimal(c["paid"]) for c in payload["claims"]
    ) - Decimal("-1.27")


def test_parse_prints_a_loop_tree() -> None:
    result = runner.invoke(app, ["x12", "parse", str(corpus_path(*MEDICARE))])
    assert result.exit_code == 0
    assert "[2100] Claim payment information" in result.output
    assert "   15 CLP*666123*1*211366.97" in result.output
    assert "balanced" in result.output


def test_validate_exits_nonzero_with_positions() -> None:
    path = corpus_path("x12", "imsweb-x12-parser", "837_5010", "x12_segment_errors.txt")
    result = runner.invoke(app, ["x12", "validate", str(path)])
    assert result.exit_code == 1
    # Positions count within the transaction set (ST is 1), as a 999's IK302 does.
    assert "segment 10 (REF) [5]: REF used 2 times, max 1" in result.output
    assert "segment 23 (SE) [4]" in result.output


def test_validate_flags_an_unbalanced_835() -> None:
    path = corpus_path("x12", "linuxforhealth-x12", "835_005010X221A1", "tertiary-payment.835")
    result = runner.invoke(app, ["x12", "validate", str(path)])
    assert result.exit_code == 1
    assert "segment 20 (SVC)" in result.output


def test_validate_accepts_a_valid_file_and_prints_the_999() -> None:
    path = corpus_path("x12", "linuxforhealth-x12", "837_005010X222A2", "demo.example1.837")
    result = runner.invoke(app, ["x12", "validate", str(path), "--ack"])
    assert result.exit_code == 0, result.output
    assert "IK5*A~" in result.output and result.output.strip().endswith("valid")


def test_parse_reports_unreadable_input(tmp_path) -> None:
    bad = tmp_path / "bad.txt"
    bad.write_text("GS*HC*X~")
    result = runner.invoke(app, ["x12", "parse", str(bad)])
    assert result.exit_code == 2
    assert "segment 1 (GS)" in result.output


def test_different_separators_and_newlines() -> None:
    path = corpus_path("x12", "imsweb-x12-parser", "837_5010", "x12_valid_different_separators.txt")
    delimiters, segments = tokenize(path.read_bytes())
    assert (delimiters.element, delimiters.component, delimiters.segment) == ("~", "^", "_")
    assert delimiters.repetition is None  # ISA11 "U" is a code, not a separator
    assert [s.id for s in segments[:3]] == ["ISA", "GS", "ST"]
    assert segments[-1].id == "IEA" and segments[-1].position == len(segments)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("", r"segment 1 \(<empty>\)"),
        ("ISA*00*", "fewer than 16 elements"),
        (
            "ISA*00*          *00*          *ZZ*A*ZZ*B*250101*1200*^*00501*000000001*0*P*:",
            "ends before",
        ),
    ],
)
def test_unreadable_isa_is_a_clear_error(data: str, message: str) -> None:
    with pytest.raises(X12Error, match=message):
        tokenize(data)


def test_public_surface() -> None:
    assert set(x12.__all__) >= {
        "parse_remittances", "write_claims", "write_999", "validate_interchange", "parse_999",
        "parse_277", "read_document", "write_remittances", "ControlNumberSource",
    }  # fmt: skip
    assert all(hasattr(x12, name) for name in x12.__all__)
