"""The committed FHIR R4 rules are exactly what the generator writes from the specification."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

from careweave.codecs.fhir import generate_rules
from careweave.codecs.fhir.rules import RULES_FILE, load_rules
from tests.conftest import corpus_path

COMMITTED = Path(generate_rules.__file__).with_name(RULES_FILE)


def test_regenerating_from_the_core_package_gives_the_committed_file(tmp_path):
    definitions = corpus_path("fhir-r4", "r4-core-definitions")
    out = tmp_path / RULES_FILE
    assert generate_rules.main([str(definitions), str(out)]) == 0
    assert out.read_bytes() == COMMITTED.read_bytes(), (
        f"the committed rules are stale: run {generate_rules.REGENERATE}"
    )


def test_committed_rules_cover_every_r4_resource_type_and_say_how_to_regenerate():
    data = json.loads(gzip.decompress(COMMITTED.read_bytes()))
    assert data["regenerate"] == generate_rules.REGENERATE
    rules = load_rules()
    # R4 4.0.1 defines 146 concrete resource types (Resource and DomainResource are abstract).
    assert len(rules.resources) == 146
    assert {"Claim", "ClaimResponse", "ExplanationOfBenefit", "CoverageEligibilityRequest"} <= set(
        rules.resources
    )
    assert {"Resource", "DomainResource"}.isdisjoint(rules.resources)
    gender = rules.value_sets["http://hl7.org/fhir/ValueSet/administrative-gender"]
    assert gender == {
        "http://hl7.org/fhir/administrative-gender": {"male", "female", "other", "unknown"}
    }


def test_generator_refuses_a_folder_without_definitions(tmp_path, capsys):
    assert generate_rules.main([str(tmp_path), str(tmp_path / "out.json.gz")]) == 2
    assert capsys.readouterr().out.startswith("error: no StructureDefinition")
    assert not (tmp_path / "out.json.gz").exists()
