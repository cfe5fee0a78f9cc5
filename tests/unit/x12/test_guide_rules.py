"""The generated guide rules, ``x12 validate --json`` and the checks the issue lists."""

from __future__ import annotations

import gzip
import importlib.util
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from careweave.cli.app import app
from careweave.codecs.x12 import generate_rules
from careweave.codecs.x12.ack_writer import write_999
from careweave.codecs.x12.control import InMemoryControlNumbers
from careweave.codecs.x12.emitter import EnvelopeConfig
from careweave.codecs.x12.guide_rules import RULES_FILE, SegmentSpec, find_guide, load_rules
from careweave.codecs.x12.guide_validation import validate_against_guides
from careweave.codecs.x12.validation import validate_interchange
from tests.conftest import ROOT

runner = CliRunner()
SAMPLES = ROOT / "examples" / "samples"
COMMITTED = ROOT / "src" / "careweave" / "codecs" / "x12" / RULES_FILE


def test_regenerating_the_rules_gives_the_committed_file() -> None:
    if importlib.util.find_spec("pyx12") is None:
        pytest.skip("pyx12 (a dev dependency) is not installed: its maps are the source")
    folder = generate_rules.default_map_folder()
    assert generate_rules.encode_rules(generate_rules.build_rules(folder)) == COMMITTED.read_bytes()


def test_the_rules_say_how_to_regenerate_them() -> None:
    raw = json.loads(gzip.decompress(COMMITTED.read_bytes()))
    assert raw["_regenerate"] == generate_rules.REGENERATE
    assert "python -m careweave.codecs.x12.generate_rules" in raw["_regenerate"]


def test_the_generator_refuses_a_folder_without_maps(tmp_path: Path, capsys) -> None:
    assert generate_rules.main([str(tmp_path), str(tmp_path / "out.json.gz")]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert not (tmp_path / "out.json.gz").exists()


def test_the_rules_carry_types_lengths_codes_and_hl_levels() -> None:
    rules = load_rules()
    guide = rules.guides["835 005010X221A1"]
    bpr = next(item for item in guide.tree.items if item.id == "BPR")
    assert isinstance(bpr, SegmentSpec)
    bpr16 = bpr.field(16)
    assert bpr16 is not None and (bpr16.type, bpr16.min, bpr16.max) == ("DT", 8, 8)
    professional = rules.guides["837 005010X222A1"]
    assert professional.hl_parents == {"20": [], "22": ["20"], "23": ["22"]}
    assert "11" in rules.external_codes["pos"]


@pytest.mark.parametrize(
    ("set_id", "version", "expected"),
    [
        ("837", "005010X222A1", "005010X222A1"),
        ("837", "005010X222A2", "005010X222A1"),  # a later errata reads under the A1 rules
        ("837", "005010X223A3", "005010X223A2"),
        ("277", "005010X214", "005010X214"),
    ],
)
def test_find_guide(set_id: str, version: str, expected: str) -> None:
    found = find_guide(set_id, version).guide
    assert found is not None and found.implementation == expected


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "in.x12"
    path.write_text(text)
    return path


def _wrapped(set_id: str, group: str, version: str, body: str) -> str:
    return (
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *250301*1200*^*"
        f"00501*000000001*0*T*:~GS*{group}*SENDER*RECEIVER*20250301*1200*1*X*{version}~"
        f"ST*{set_id}*0001~{body}SE*{body.count('~') + 2}*0001~GE*1*1~IEA*1*000000001~"
    )


def test_json_for_a_valid_file() -> None:
    result = runner.invoke(app, ["x12", "validate", str(SAMPLES / "claims.837"), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload == {
        "valid": True,
        "transaction_sets": [
            {"id": "837", "control_number": "0001", "guide_version": "005010X222A1", "valid": True}
        ],
        "errors": [],
    }


def test_json_for_an_invalid_file_names_position_element_and_code(tmp_path: Path) -> None:
    text = (SAMPLES / "remittance.835").read_text().replace("*20250321~", "*2025X321~", 1)
    result = runner.invoke(app, ["x12", "validate", str(_file(tmp_path, text)), "--json"])
    assert result.exit_code == 1
    payload = json.loads(result.output)
    assert payload["valid"] is False and payload["transaction_sets"][0]["valid"] is False
    assert [(e["segment_position"], e["segment_id"], e["element"], e["code"])
            for e in payload["errors"]] == [(2, "BPR", "BPR16", "8")]  # fmt: skip
    assert set(payload["errors"][0]) == {
        "segment_position", "segment_id", "element", "code", "message"
    }  # fmt: skip


def test_an_unsupported_set_is_named_not_counted(tmp_path: Path) -> None:
    # An 832 price catalog: a set careweave neither guides nor checks (the 850 now has checks).
    catalog = _wrapped("832", "SC", "005010", "BCT*PC*CAT1~")
    path = _file(tmp_path, catalog)
    result = runner.invoke(app, ["x12", "validate", str(path), "--json"])
    assert result.exit_code == 1
    (error,) = json.loads(result.output)["errors"]
    assert error["code"] == "unsupported"
    assert "832" in error["message"] and "not supported" in error["message"]
    text = runner.invoke(app, ["x12", "validate", str(path)])
    assert text.exit_code == 1
    assert "unsupported: 832 005010" in text.output
    assert "invalid: 0 problem(s)" not in text.output


def test_a_4010_claim_is_refused_with_the_5010_to_use(tmp_path: Path) -> None:
    text = (SAMPLES / "claims.837").read_text().replace("005010X222A1", "004010X098A1")
    result = runner.invoke(app, ["x12", "validate", str(_file(tmp_path, text)), "--json"])
    assert result.exit_code == 1
    (error,) = json.loads(result.output)["errors"]
    assert error["code"] == "unsupported"
    assert error["message"] == ("837 004010X098A1: 4010 is not supported; resubmit as 005010X222A1")


def test_an_element_the_guide_does_not_use_is_invalid() -> None:
    text = (SAMPLES / "claims.837").read_text()
    broken = text.replace("CLM*PG282990417*438***", "CLM*PG282990417*438**X*", 1)
    report = validate_against_guides(broken)
    assert [(e.element, e.code) for e in report.errors] == [("CLM04", "10")]


def test_a_missing_required_1000a_per_is_invalid() -> None:
    text = (SAMPLES / "remittance.835").read_text()
    broken = text.replace("PER*BL*PROVIDER SERVICES*TE*8005550137~\n", "", 1)
    report = validate_against_guides(broken)
    found = {(e.segment_id, e.code) for e in report.errors}
    assert ("PER", "3") in found
    assert ("SE", "4") in found  # SE01 still counts the removed segment: IK5 code 4


def test_text_output_keeps_its_summary_line(tmp_path: Path) -> None:
    text = (SAMPLES / "claims.837").read_text().replace("HI*ABK:I214", "HI*ABK>I214", 1)
    result = runner.invoke(app, ["x12", "validate", str(_file(tmp_path, text))])
    assert result.exit_code == 1
    assert "segment 22 (HI) HI01-01 [5]:" in result.output
    assert result.output.strip().splitlines()[-1].startswith("invalid: ")


def test_a_file_that_is_not_x12_is_one_error() -> None:
    report = validate_against_guides(b"hello")
    assert not report.valid and len(report.errors) == 1
    assert report.errors[0].code == "022"


def test_the_999_careweave_writes_passes_its_guide() -> None:
    broken = (SAMPLES / "claims.837").read_text().replace("HI*ABK:I214", "HI*ABK>I214", 1)
    for source in ((SAMPLES / "claims.837").read_text(), broken):
        ack = write_999(validate_interchange(source), EnvelopeConfig("CAREWEAVE", "SENDER"),
                        InMemoryControlNumbers(), datetime(2025, 3, 1, tzinfo=UTC))  # fmt: skip
        report = validate_against_guides(ack)
        assert report.errors == []
        assert [t.guide_version for t in report.transaction_sets] == ["005010X231A1"]
