"""``careweave fhir validate``."""

from __future__ import annotations

from typer.testing import CliRunner

from careweave.cli import app
from tests.conftest import corpus_path

runner = CliRunner()


def test_validate_bundle_prints_what_it_found():
    path = corpus_path("fhir-r4", "synthea-fhiry", "afhir.json")
    result = runner.invoke(app, ["fhir", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "Bundle (" in result.output and "Patient" in result.output and "valid" in result.output


def test_validate_ndjson():
    path = corpus_path("fhir-r4", "synthea-fhiry", "Device.ndjson")
    result = runner.invoke(app, ["fhir", "validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "Device" in result.output


def test_invalid_resource_exits_non_zero_naming_the_problem(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"resourceType": "Patient", "id": "p9", "gender": "bogus"}')
    result = runner.invoke(app, ["fhir", "validate", str(bad)])
    assert result.exit_code == 1
    assert "Patient/p9" in result.output and "gender" in result.output


def test_missing_file_exits_non_zero(tmp_path):
    result = runner.invoke(app, ["fhir", "validate", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "cannot read" in result.output
