"""The FHIR R4 validator on the corpus: every official example passes, every broken copy fails.

fhir.resources (its R4B models, the closest it ships to R4) is the oracle for the broken copies:
where it rejects them, both agree; where it is lax (it accepts ``gender: "bogus"``, a required
binding it does not enforce), the specification wins and the test says so.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from pydantic import ValidationError

from careweave.codecs.fhir.documents import check_document
from careweave.codecs.fhir.validator import validate
from tests.conftest import corpus_names, corpus_path

EXAMPLES = ("fhir-r4", "hl7-r4-examples")
Json = dict[str, Any]


@pytest.mark.parametrize("name", corpus_names(*EXAMPLES, pattern="*.json"))
def test_every_official_r4_example_is_valid(name):
    resource = json.loads(corpus_path(*EXAMPLES, name).read_bytes())
    assert validate(resource) == []


@pytest.mark.parametrize("name", corpus_names("fhir-r4", "synthea-fhiry", pattern="*.json"))
def test_every_synthea_bundle_is_valid(name):
    report = check_document(corpus_path("fhir-r4", "synthea-fhiry", name).read_bytes())
    assert report.issues == []
    assert sum(report.found.values()) > 100  # the entries were walked, not just the Bundle


def test_the_synthea_ndjson_exports_are_stu3_and_named_as_such():
    # fhiry's NDJSON samples were written for FHIR STU3: these elements do not exist in R4.
    folder = ("fhir-r4", "synthea-fhiry")
    device = check_document(corpus_path(*folder, "Device.ndjson").read_bytes(), ndjson=True)
    assert [(i.path, i.message) for i in device.issues] == [
        ("line 1: Device.udi", "unknown element 'udi' in Device")
    ]
    allergy = check_document(
        corpus_path(*folder, "AllergyIntolerance.ndjson").read_bytes(), ndjson=True
    )
    assert "line 1: AllergyIntolerance.assertedDate" in {i.path for i in allergy.issues}
    assert _oracle_rejects(json.loads(corpus_path(*folder, "Device.ndjson").read_bytes()))


def _example(name: str) -> Json:
    data: Json = json.loads(corpus_path(*EXAMPLES, name).read_bytes())
    return data


def _drop(key: str) -> Callable[[Json], None]:
    return lambda resource: resource.pop(key)


def _set(key: str, value: object) -> Callable[[Json], None]:
    return lambda resource: resource.__setitem__(key, value)


def _replace(old: str, new: str, value: object) -> Callable[[Json], None]:
    def damage(resource: Json) -> None:
        del resource[old]
        resource[new] = value

    return damage


def _oracle_rejects(resource: Json) -> bool:
    try:
        get_fhir_model_class(resource["resourceType"]).model_validate(copy.deepcopy(resource))
    except ValidationError:
        return True
    return False


BROKEN: list[tuple[str, Callable[[Json], None], str, bool]] = [
    # (example, damage, the path careweave names, does fhir.resources reject it too?)
    ("Claim-100150.json", _drop("patient"), "Claim.patient", True),
    ("Claim-100150.json", _drop("insurance"), "Claim.insurance", True),
    ("Claim-100150.json", lambda r: r["item"][0].pop("sequence"), "Claim.item[0].sequence", True),
    ("Claim-100150.json", _set("created", "2014-13-45"), "Claim.created", True),
    ("ClaimResponse-R3500.json", _drop("outcome"), "ClaimResponse.outcome", True),
    ("ClaimResponse-R3500.json", _set("created", "2014-13-45"), "ClaimResponse.created", True),
    ("ExplanationOfBenefit-EB3500.json", _drop("insurer"), "ExplanationOfBenefit.insurer", True),
    (
        "ExplanationOfBenefit-EB3500.json",
        _set("created", "2014-13-45"),
        "ExplanationOfBenefit.created",
        True,
    ),
    (
        "CoverageEligibilityRequest-52345.json",
        _drop("purpose"),
        "CoverageEligibilityRequest.purpose",
        True,
    ),
    (
        "CoverageEligibilityResponse-E2500.json",
        _drop("request"),
        "CoverageEligibilityResponse.request",
        True,
    ),
    (
        "CoverageEligibilityResponse-E2500.json",
        _set("created", "2014-13-45"),
        "CoverageEligibilityResponse.created",
        True,
    ),
    ("Patient-example.json", _set("birthDate", "1980-13-40"), "Patient.birthDate", True),
    ("Patient-example.json", _set("bogusElement", "x"), "Patient.bogusElement", True),
    ("Encounter-example.json", _set("colour", "red"), "Encounter.colour", True),
    ("Observation-f001.json", _set("issuedBy", "x"), "Observation.issuedBy", True),
    (
        "Patient-example.json",
        lambda r: r["contact"][0].__setitem__("hobby", "x"),
        "Patient.contact[0].hobby",
        True,
    ),
    # A dateTime with a time and no zone (deceasedBoolean removed so only the format is wrong).
    (
        "Patient-example.json",
        _replace("deceasedBoolean", "deceasedDateTime", "2015-02-07T13:28:17"),
        "Patient.deceasedDateTime",
        True,
    ),
    (
        "Encounter-example.json",
        _set("period", {"start": "2015-02-07T13:28:17"}),
        "Encounter.period.start",
        True,
    ),
    # fhir.resources accepts a code outside a required binding: the specification does not.
    ("Patient-example.json", _set("gender", "bogus"), "Patient.gender", False),
]


@pytest.mark.parametrize(
    ("name", "damage", "path", "oracle_rejects"), BROKEN, ids=[f"{b[0]}:{b[2]}" for b in BROKEN]
)
def test_each_broken_variant_is_rejected_naming_its_path(name, damage, path, oracle_rejects):
    resource = _example(name)
    assert validate(resource) == []  # the untouched example is valid
    damage(resource)
    paths = {issue.path for issue in validate(resource)}
    assert path in paths, paths
    assert _oracle_rejects(resource) is oracle_rejects


def test_every_resource_type_with_an_example_rejects_an_unknown_element():
    seen: set[str] = set()
    for name in corpus_names(*EXAMPLES, pattern="*.json"):
        resource = _example(name)
        if resource["resourceType"] in seen:
            continue
        seen.add(resource["resourceType"])
        resource["notInR4"] = True
        assert f"{resource['resourceType']}.notInR4" in {i.path for i in validate(resource)}
    assert len(seen) >= 20
