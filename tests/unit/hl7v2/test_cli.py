"""Acceptance 4: ``careweave hl7 parse`` and ``careweave hl7 get`` through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from careweave.cli import app
from careweave.codecs.hl7v2 import parse_message
from tests.conftest import corpus_path

runner = CliRunner()


def _dft() -> Path:
    return corpus_path("hl7v2", "ms-fhir-converter", "messages", "DFT-P03-01.hl7")


def test_parse_shows_segments_and_named_fields() -> None:
    result = runner.invoke(app, ["hl7", "parse", str(_dft())])
    assert result.exit_code == 0, result.output
    assert "DFT^P03^DFT_P03" in result.output
    assert "Message Control ID" in result.output
    assert "Transaction Code" in result.output  # FT1-7
    assert "FT1-7" in result.output
    assert "Patient Name" in result.output


def test_parse_json_lists_raw_fields_with_the_segment_id_first() -> None:
    path = _dft()
    result = runner.invoke(app, ["hl7", "parse", str(path), "--json"])
    assert result.exit_code == 0, result.output
    segments = json.loads(result.output)
    message = parse_message(path.read_bytes())
    assert segments == [seg.fields() for seg in message]
    assert segments[0][:3] == ["MSH", "|", "^~\\&"]
    assert [seg[0] for seg in segments] == [seg.id for seg in message]


def test_parse_json_keeps_escapes(tmp_path: Path) -> None:
    file = tmp_path / "esc.hl7"
    file.write_bytes(b"MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5\rNTE|1||a \\T\\ b [x]\r")
    result = runner.invoke(app, ["hl7", "parse", str(file), "--json"])
    assert json.loads(result.output)[1] == ["NTE", "1", "", "a \\T\\ b [x]"]
    shown = runner.invoke(app, ["hl7", "parse", str(file)])
    assert "a \\T\\ b [x]" in shown.output
    assert "Z-segment" not in shown.output


def test_get_prints_one_line_per_path() -> None:
    path = _dft()
    message = parse_message(path.read_bytes())
    paths = ["MSH-10", "PID-5.1", "FT1-7.1", "PV1-19", "ZZZ-1"]
    result = runner.invoke(app, ["hl7", "get", str(path), *paths])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [message.get(p) for p in paths]
    assert result.output.splitlines()[0] == "MSG00001"


def test_get_raw_and_z_segment_names(tmp_path: Path) -> None:
    file = tmp_path / "z.hl7"
    file.write_bytes(b"MSH|^~\\&|A|B|C|D|2024||ADT^A01|1|P|2.5\nZPD|x\\F\\y\n")
    result = runner.invoke(app, ["hl7", "get", "--raw", str(file), "ZPD-1"])
    assert result.output == "x\\F\\y\n"
    assert runner.invoke(app, ["hl7", "get", str(file), "ZPD-1"]).output == "x|y\n"
    assert "Z-segment field 1" in runner.invoke(app, ["hl7", "parse", str(file)]).output


def test_batch_file_gives_every_message(tmp_path: Path) -> None:
    file = tmp_path / "batch.hl7"
    file.write_bytes(
        b"BHS|^~\\&|S\rMSH|^~\\&|A|B|C|D|1||ADT^A01|M1|P|2.5\r"
        b"MSH|^~\\&|A|B|C|D|1||ADT^A01|M2|P|2.5\rBTS|2\r"
    )
    assert runner.invoke(app, ["hl7", "get", str(file), "MSH-10"]).output == "M1\nM2\n"
    segments = json.loads(runner.invoke(app, ["hl7", "parse", "--json", str(file)]).output)
    assert [s[0] for s in segments] == ["MSH", "MSH"]


def test_errors_are_clear(tmp_path: Path) -> None:
    file = tmp_path / "bad.hl7"
    file.write_bytes(b"MSH|^~\\&|A\rP@D|1\r")
    result = runner.invoke(app, ["hl7", "parse", str(file)])
    assert result.exit_code == 1
    assert "segment 2 'P@D': invalid segment id" in result.output
    good = tmp_path / "good.hl7"
    good.write_bytes(b"MSH|^~\\&|A\r")
    bad_path = runner.invoke(app, ["hl7", "get", str(good), "pid-5"])
    assert bad_path.exit_code == 2
    assert "invalid HL7 path 'pid-5'" in bad_path.output
    missing = runner.invoke(app, ["hl7", "parse", str(tmp_path / "missing.hl7")])
    assert missing.exit_code == 2
