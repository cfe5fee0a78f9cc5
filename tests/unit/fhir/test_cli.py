"""``careweave fhir validate``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from careweave.cli import app
from tests.conftest import corpus_path

runner = CliRunner()


def test_validate_bundle_prints_what_it_found():
    path = corpus_path("fhir-r4", "synthea-fhiry", "afhir.json")
    result = runner.invoke(app, ["fhir", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "Bundle (" in result.output and "Patient" in result.output and "valid" in result.output


def test_validate_ndjson_names_the_line_of_each_problem():
    # fhiry's Device export is FHIR STU3: Device.udi was renamed udiCarrier in R4.
    path = corpus_path("fhir-r4", "synthea-fhiry", "Device.ndjson")
    result = runner.invoke(app, ["fhir", "validate", str(path)])
    assert result.exit_code == 1, result.output
    assert "line 1: Device.udi: unknown element 'udi'" in result.output


def test_validate_ndjson_of_valid_resources(tmp_path):
    lines = tmp_path / "patients.ndjson"
    lines.write_text(
        '{"resourceType": "Patient", "id": "a"}\n\n{"resourceType": "Patient", "id": "b"}\n'
    )
    result = runner.invoke(app, ["fhir", "validate", str(lines)])
    assert result.exit_code == 0, result.output
    assert "2  Patient" in result.output and "valid, 2 resource(s)" in result.output


def test_json_output_lists_every_problem_with_its_path(tmp_path):
    bad = tmp_path / "claim.json"
    bad.write_text(
        json.dumps(
            {
                "resourceType": "Claim",
                "status": "active",
                "created": "2014-13-45",
                "item": [{"productOrService": {"text": "x"}}],
            }
        )
    )
    result = runner.invoke(app, ["fhir", "validate", str(bad), "--json"])
    assert result.exit_code == 1, result.output
    answer = json.loads(result.output)
    assert answer["valid"] is False
    paths = {issue["path"] for issue in answer["issues"]}
    assert {"Claim.created", "Claim.item[0].sequence", "Claim.patient"} <= paths
    assert all(set(issue) == {"path", "message"} for issue in answer["issues"])


def test_json_output_for_a_valid_file():
    path = corpus_path("fhir-r4", "hl7-r4-examples", "ExplanationOfBenefit-EB3500.json")
    result = runner.invoke(app, ["fhir", "validate", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {"valid": True, "issues": []}


def test_a_file_that_is_not_json_is_invalid(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    result = runner.invoke(app, ["fhir", "validate", str(bad), "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["issues"][0]["path"] == "$"


def test_invalid_resource_exits_non_zero_naming_the_problem(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Patient", "id": "p9", "gender": "bogus"}')
    result = runner.invoke(app, ["fhir", "validate", str(bad)])
    assert result.exit_code == 1
    assert "Patient/p9" in result.output
    assert "Patient.gender: 'bogus' is not in the required value set" in result.output


def test_missing_file_exits_non_zero(tmp_path):
    result = runner.invoke(app, ["fhir", "validate", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert result.output.startswith("error: cannot read")
    assert "Traceback" not in result.output


def test_absurdly_nested_json_is_a_problem_not_a_traceback(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text('{"resourceType": "Questionnaire", "item": ' + "[" * 5000 + "]" * 5000 + "}")
    result = runner.invoke(app, ["fhir", "validate", str(deep), "--json"])
    assert result.exit_code == 1, result.output
    assert json.loads(result.output)["issues"][0]["path"] == "$"


def test_a_directory_is_one_error_line(tmp_path):
    result = runner.invoke(app, ["fhir", "validate", str(tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith("error: cannot read") and len(result.output.splitlines()) == 1
