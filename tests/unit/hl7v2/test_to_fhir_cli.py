"""``careweave hl7 to-fhir``: one Bundle per message, warnings and refusals on stderr, exit 3
when a message cannot be converted, exit 2 for a wrong option."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from careweave.cli import app

runner = CliRunner()

ADT = (
    "MSH|^~\\&|EHR|HOSP|LAB|HOSP|20240105103000||ADT^A01|CTRL-{n}|P|2.5.1\r"
    "PID|1||{n}^^^NIST MPI^MR||DOE^JANE||19800412|F\r"
    "PV1|1|O\r"
)
UNTYPED = "MSH|^~\\&|EHR|HOSP|LAB|HOSP|20240105103000|||CTRL-X|P|2.5.1\r"


def _file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "in.hl7"
    path.write_text(text, encoding="utf-8")
    return path


def test_each_message_of_a_file_becomes_a_bundle(tmp_path: Path) -> None:
    path = _file(tmp_path, ADT.format(n=1) + ADT.format(n=2))
    result = runner.invoke(app, ["hl7", "to-fhir", str(path), "--ndjson"])
    assert result.exit_code == 0, result.output
    bundles = [json.loads(line) for line in result.stdout.splitlines()]
    assert [b["identifier"]["value"] for b in bundles] == ["CTRL-1", "CTRL-2"]
    for n, bundle in enumerate(bundles, start=1):
        assert bundle["type"] == "message"
        patient = next(
            e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"
        )
        assert patient["identifier"][0] == {
            "type": {
                "coding": [
                    {"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}
                ]
            },
            "system": "urn:careweave:authority:nist-mpi",
            "value": str(n),
            "assigner": {"display": "NIST MPI"},
        }


def test_indented_output_is_one_json_document(tmp_path: Path) -> None:
    result = runner.invoke(app, ["hl7", "to-fhir", str(_file(tmp_path, ADT.format(n=1)))])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["resourceType"] == "Bundle"
    assert result.stdout.startswith("{\n  ")


def test_a_message_that_cannot_convert_exits_3_naming_it(tmp_path: Path) -> None:
    path = _file(tmp_path, ADT.format(n=1) + UNTYPED)
    result = runner.invoke(app, ["hl7", "to-fhir", str(path), "--ndjson"])
    assert result.exit_code == 3
    assert len(result.stdout.splitlines()) == 1  # the good one is still printed
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {path}: message 2 (control id CTRL-X): MSH-9 names no message type"]
    assert "Traceback" not in result.output


def test_warnings_name_what_was_left_out_unless_quiet(tmp_path: Path) -> None:
    path = _file(tmp_path, ADT.format(n=1).replace("19800412", "19801399") + "ZPD|1\r")
    result = runner.invoke(app, ["hl7", "to-fhir", str(path)])
    assert result.exit_code == 0
    warnings = result.stderr.splitlines()
    assert any("PID-7:" in w for w in warnings)
    assert any("not converted: ZPD" in w for w in warnings)
    quiet = runner.invoke(app, ["hl7", "to-fhir", str(path), "--quiet"])
    assert quiet.stderr == ""


def test_authorities_file_and_timezone(tmp_path: Path) -> None:
    path = _file(tmp_path, ADT.format(n=1).replace("PV1|1|O", "PV1|1|O" + "|" * 43 + "20240105"))
    table = tmp_path / "authorities.toml"
    table.write_text('[authorities]\n"NIST MPI" = "urn:oid:1.2.3"\n', encoding="utf-8")
    args = ["hl7", "to-fhir", str(path), "--ndjson", "--authorities", str(table)]
    result = runner.invoke(app, [*args, "--timezone", "America/Chicago"])
    assert result.exit_code == 0, result.output
    bundle = json.loads(result.stdout)
    resources = {e["resource"]["resourceType"]: e["resource"] for e in bundle["entry"]}
    assert resources["Patient"]["identifier"][0]["system"] == "urn:oid:1.2.3"
    assert bundle["timestamp"] == "2024-01-05T10:30:00-06:00"


def test_wrong_options_are_one_error_line_and_exit_2(tmp_path: Path) -> None:
    path = _file(tmp_path, ADT.format(n=1))
    bad = tmp_path / "bad.toml"
    bad.write_text('[authorities]\n"NIST MPI" = "NIST MPI"\n', encoding="utf-8")
    result = runner.invoke(app, ["hl7", "to-fhir", str(path), "--authorities", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: ") and "not an absolute URI" in result.stderr
    result = runner.invoke(app, ["hl7", "to-fhir", str(path), "--timezone", "Mars/Olympus"])
    assert result.exit_code == 2
    assert result.stderr == "error: --timezone 'Mars/Olympus' is not an IANA time zone\n"
