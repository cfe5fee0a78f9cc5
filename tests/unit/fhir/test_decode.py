"""FHIR R4 structs: every corpus example of a modelled type decodes; bad input is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from careweave.codecs.fhir.bundle import Bundle, UnsupportedResource
from careweave.codecs.fhir.decode import (
    RESOURCE_TYPES,
    bundle_entries,
    decode_ndjson,
    decode_resource,
    encode_resource,
)
from careweave.exceptions import FhirError
from tests.conftest import corpus_path

# Resource examples only: r4-core-definitions holds the specification's conformance resources
# (StructureDefinitions, ValueSets) and a package manifest, which are not clinical examples.
EXAMPLE_FOLDERS = ("hl7-r4-examples", "synthea-fhiry")


def _corpus_files() -> list[Path]:
    return sorted(
        p
        for folder in EXAMPLE_FOLDERS
        for p in corpus_path("fhir-r4", folder).rglob("*")
        if p.suffix in {".json", ".ndjson"}
    )


def test_every_corpus_example_of_a_modelled_type_decodes():
    decoded: dict[str, int] = {}
    for path in _corpus_files():
        if path.suffix == ".ndjson":
            resources = list(decode_ndjson(path.read_bytes()))
        else:
            top = decode_resource(path.read_bytes())
            resources = [top]
            if isinstance(top, Bundle):
                resources += [r for _, r in bundle_entries(top)]
        for resource in resources:
            name = type(resource).__name__
            decoded[name] = decoded.get(name, 0) + 1
            if not isinstance(resource, UnsupportedResource):
                assert name in RESOURCE_TYPES
    expected = set(RESOURCE_TYPES)
    assert expected <= set(decoded), f"never decoded: {expected - set(decoded)}"


def test_modelled_types_in_files_become_structs_not_raw():
    for path in _corpus_files():
        if path.suffix != ".json":
            continue
        kind = json.loads(path.read_bytes())["resourceType"]
        resource = decode_resource(path.read_bytes())
        assert isinstance(resource, UnsupportedResource) == (kind not in RESOURCE_TYPES), path


def test_patient_round_trips_its_facts():
    raw = corpus_path("fhir-r4", "hl7-r4-examples", "Patient-example.json").read_bytes()
    patient = decode_resource(raw)
    again = decode_resource(encode_resource(patient))  # type: ignore[arg-type]
    assert again == patient
    assert patient.birth_date == "1974-12-25"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("payload", "needle"),
    [
        (b"{not json", "not a FHIR JSON"),
        (b'{"id": "x"}', "no resourceType"),
        (b'{"resourceType": "Patient", "id": "p1", "gender": "bogus"}', r"Patient/p1.*gender"),
        (b'{"resourceType": "Encounter", "id": "e1", "class": {}}', r"Encounter/e1.*status"),
        (b'{"resourceType": "ChargeItem", "status": "billable", "code": {}}', "subject"),
        (b"[]", "not a FHIR resource object"),
    ],
)
def test_invalid_input_is_named(payload, needle):
    with pytest.raises(FhirError, match=needle):
        decode_resource(payload)


def test_invalid_bundle_entry_and_ndjson_line_are_located():
    bundle = (
        b'{"resourceType":"Bundle","type":"collection","entry":['
        b'{"resource":{"resourceType":"Patient"}},'
        b'{"resource":{"resourceType":"Patient","gender":1}}]}'
    )
    with pytest.raises(FhirError, match=r"entry\[1\]"):
        list(bundle_entries(decode_resource(bundle)))  # type: ignore[arg-type]
    with pytest.raises(FhirError, match="line 3"):
        list(
            decode_ndjson(b'{"resourceType":"Patient"}\n\n{"resourceType":"Patient","gender":2}\n')
        )
