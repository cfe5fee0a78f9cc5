"""The FHIR R4 validator on small hand-written resources: each rule, accepted and rejected."""

from __future__ import annotations

from typing import Any

import pytest

from careweave.codecs.fhir.validator import validate


def problems(resource: Any) -> dict[str, str]:
    return {issue.path: issue.message for issue in validate(resource)}


def patient(**fields: Any) -> dict[str, Any]:
    return {"resourceType": "Patient", "id": "p1", **fields}


def test_a_minimal_valid_resource_of_any_type_passes():
    assert problems(patient(gender="female", birthDate="1980-02-29")) == {}
    assert problems({"resourceType": "Basic", "code": {"text": "x"}}) == {}
    assert (
        problems(
            {"resourceType": "Linkage", "item": [{"type": "source", "resource": {"display": "a"}}]}
        )
        == {}
    )


@pytest.mark.parametrize(
    ("resource", "path"),
    [
        ({"id": "x"}, "resourceType"),
        ({"resourceType": "Pateint"}, "resourceType"),
        ([], "$"),
    ],
)
def test_what_is_not_a_resource_is_named(resource, path):
    assert path in problems(resource)


def test_unknown_elements_are_rejected_at_every_level():
    found = problems(
        patient(
            colour="blue",
            name=[{"family": "Chalmers", "nick": "Jim"}],
            contact=[{"name": {"text": "Mum"}, "hobby": "golf"}],
            _gender={"extension": [{"url": "http://x", "valueString": "a", "bad": 1}]},
            gender="male",
        )
    )
    assert set(found) == {
        "Patient.colour",
        "Patient.name[0].nick",
        "Patient.contact[0].hobby",
        "Patient._gender.extension[0].bad",
    }
    assert "unknown element 'nick' in HumanName" in found["Patient.name[0].nick"]


def test_primitive_extensions_are_allowed_and_checked():
    ok = patient(
        birthDate="1970",
        _birthDate={
            "extension": [{"url": "http://example.org/x", "valueDateTime": "1970-03-30T10:00:00Z"}]
        },
        name=[
            {
                "given": ["Pat", None],
                "_given": [None, {"extension": [{"url": "http://x", "valueCode": "a"}]}],
            }
        ],
    )
    assert problems(ok) == {}
    # A _element on a complex element, or a null without its extension, is wrong.
    assert "Patient._name" in problems(patient(_name={"id": "a"}))
    assert "Patient.name[0].given[1]" in problems(patient(name=[{"given": ["Pat", None]}]))


def test_cardinality_required_arrays_and_maximums():
    found = problems({"resourceType": "Claim", "id": "c1", "status": "active", "use": "claim"})
    for required in ("type", "patient", "created", "provider", "priority", "insurance"):
        assert f"Claim.{required}" in found, required
    assert "must be an array" in problems(patient(name={"family": "x"}))["Patient.name"]
    assert "must not be an array" in problems(patient(gender=["male"]))["Patient.gender"]
    assert "cannot be empty" in problems(patient(name=[]))["Patient.name"]


def test_a_missing_element_inside_a_backbone_names_its_index():
    claim_item = {"resourceType": "Claim", "item": [{"productOrService": {"text": "x"}}]}
    assert "Claim.item[0].sequence" in problems(claim_item)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("birthDate", "1980-13-40", "not a valid date"),
        ("birthDate", "1980-02-30", "is not a date"),
        ("birthDate", "1980-1-1", "not a valid date"),
        ("deceasedDateTime", "2015-02-07T13:28:17", "a time needs a time zone"),
        ("deceasedDateTime", "2015-02-07T25:00:00Z", "not a valid dateTime"),
        ("active", "true", "expected true or false"),
        ("multipleBirthInteger", 1.5, "expected an integer"),
        ("multipleBirthInteger", 2**31, "32-bit"),
        ("multipleBirthInteger", True, "expected an integer"),
        ("id", "has space", "not a valid id"),
        ("implicitRules", "has space", "not a valid uri"),
        ("language", "", "not a valid code"),
    ],
)
def test_primitive_formats(field, value, message):
    found = problems(patient(**{field: value}))
    path = "Patient.deceasedDateTime" if field == "deceasedDateTime" else f"Patient.{field}"
    assert message in found[path]


@pytest.mark.parametrize(
    ("type_code", "field", "good", "bad"),
    [
        ("instant", "issued", "2015-02-07T13:28:17.239+02:00", "2015-02-07"),
        ("decimal", "valueDecimal", 0.5, "0.5"),
        ("time", "valueTime", "13:28:17", "13:28"),
        ("uuid", "valueUuid", "urn:uuid:c757873d-ec9a-4326-a141-556f43239520", "c757873d"),
        ("oid", "valueOid", "urn:oid:1.2.3.4", "1.2.3.4"),
        ("base64Binary", "valueBase64Binary", "aGVsbG8=", "not base64!"),
        ("positiveInt", "valuePositiveInt", 1, 0),
        ("unsignedInt", "valueUnsignedInt", 0, -1),
    ],
)
def test_more_primitive_formats(type_code, field, good, bad):
    def observation(value: object) -> dict[str, Any]:
        if field == "issued":
            return {
                "resourceType": "Observation",
                "status": "final",
                "code": {"text": "x"},
                "issued": value,
            }
        extension = {"url": "http://example.org/x", field: value}
        return {
            "resourceType": "Observation",
            "status": "final",
            "code": {"text": "x"},
            "extension": [extension],
        }

    assert problems(observation(good)) == {}
    found = problems(observation(bad))
    assert len(found) == 1 and type_code in next(iter(found.values())), found


def test_choice_types_one_at_most_and_one_when_required():
    two = problems(patient(deceasedBoolean=True, deceasedDateTime="2015-02-07"))
    assert "only one of deceasedBoolean, deceasedDateTime" in two["Patient.deceased[x]"]
    optional = {"resourceType": "Observation", "status": "final", "code": {"text": "x"}}
    assert problems(optional) == {}  # Observation.value[x] is optional
    activity = {
        "resourceType": "MedicationAdministration",
        "status": "completed",
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2020",
    }
    assert "MedicationAdministration.medication[x]" in problems(activity)
    assert (
        "unknown element 'valueFoo'"
        in problems(
            {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueFoo": 1}
        )["Observation.valueFoo"]
    )


def test_contained_resources_and_bundle_entries_are_validated_by_their_type():
    found = problems(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [
                {"fullUrl": "urn:uuid:1", "resource": patient(gender="bogus")},
                {
                    "fullUrl": "urn:uuid:2",
                    "resource": {
                        "resourceType": "Claim",
                        "status": "active",
                        "contained": [{"resourceType": "Organization", "id": "o1", "foo": 1}],
                    },
                },
            ],
        }
    )
    assert "Bundle.entry[0].resource.gender" in found
    assert "Bundle.entry[1].resource.contained[0].foo" in found
    assert "Bundle.entry[1].resource.patient" in found


def test_references_shape_and_local_targets():
    ok = patient(
        managingOrganization={"reference": "#org"},
        contained=[{"resourceType": "Organization", "id": "org", "name": "x"}],
        generalPractitioner=[
            {"reference": "Practitioner/123"},
            {"reference": "http://example.org/fhir/Practitioner/123/_history/2"},
            {"reference": "urn:uuid:c757873d-ec9a-4326-a141-556f43239520"},
        ],
    )
    assert problems(ok) == {}
    found = problems(patient(managingOrganization={"reference": "#nowhere"}))
    assert "ref-1" in found["Patient.managingOrganization.reference"]
    found = problems(patient(managingOrganization={"reference": "not a reference"}))
    assert "is not a reference" in found["Patient.managingOrganization.reference"]
    found = problems(patient(managingOrganization={"reference": "Organisation/1"}))
    assert "not a resource type" in found["Patient.managingOrganization.reference"]


def test_required_bindings_on_code_coding_and_codeable_concept():
    assert "female, male, other, unknown" in problems(patient(gender="bogus"))["Patient.gender"]
    # Extensible and example bindings are not enforced.
    assert problems(patient(maritalStatus={"coding": [{"system": "http://x", "code": "zz"}]})) == {}
    timing = {"repeat": {"period": 1, "periodUnit": "fortnight"}}
    request = {
        "resourceType": "MedicationRequest",
        "status": "active",
        "intent": "order",
        "medicationCodeableConcept": {"text": "x"},
        "subject": {"reference": "Patient/p1"},
        "dosageInstruction": [{"timing": timing}],
    }
    assert (
        "fortnight"
        in problems(request)["MedicationRequest.dosageInstruction[0].timing.repeat.periodUnit"]
    )
    # A required binding on a CodeableConcept: one coding must come from the value set.
    system = "http://terminology.hl7.org/CodeSystem/condition-clinical"
    condition = {"resourceType": "Condition", "subject": {"reference": "Patient/p1"}}
    good = {
        "coding": [{"system": "http://other", "code": "x"}, {"system": system, "code": "active"}]
    }
    assert problems(condition | {"clinicalStatus": good}) == {}
    bad = {"coding": [{"system": system, "code": "sleeping"}]}
    assert (
        "condition-clinical|sleeping' is not in"
        in problems(condition | {"clinicalStatus": bad})["Condition.clinicalStatus"]
    )
    wrong_system = {"coding": [{"system": "http://other", "code": "active"}]}
    assert "Condition.clinicalStatus" in problems(condition | {"clinicalStatus": wrong_system})
    # Attachment.contentType's value set needs a terminology server (BCP 13): not checked.
    assert problems(patient(photo=[{"contentType": "image/whatever"}])) == {}


def test_invariants():
    assert "ele-1" in problems(patient(name=[{}]))["Patient.name[0]"]
    assert "ele-1" in problems(patient(name=[{"id": "n1"}]))["Patient.name[0]"]
    period = {"start": "2020-02-01T10:00:00Z", "end": "2020-01-01T10:00:00Z"}
    assert (
        "per-1"
        in problems(patient(name=[{"text": "x", "period": period}]))["Patient.name[0].period"]
    )
    assert (
        problems(patient(name=[{"text": "x", "period": {"start": "2020-01", "end": "2020-01-31"}}]))
        == {}
    )
    assert (
        "per-1"
        in problems(patient(name=[{"text": "x", "period": {"start": "2021", "end": "2020-12"}}]))[
            "Patient.name[0].period"
        ]
    )
    assert "pat-1" in problems(patient(contact=[{"gender": "male"}]))["Patient.contact[0]"]
    both = {"url": "http://x", "valueString": "a", "extension": [{"url": "y", "valueString": "b"}]}
    assert "ext-1" in problems(patient(extension=[both]))["Patient.extension[0]"]
    assert "ext-1" in problems(patient(extension=[{"url": "http://x"}]))["Patient.extension[0]"]
    quantity = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"text": "x"},
        "valueQuantity": {"value": 1, "code": "mg"},
    }
    assert "qty-3" in problems(quantity)["Observation.valueQuantity"]
    absent = quantity | {"valueQuantity": {"value": 1}, "dataAbsentReason": {"text": "x"}}
    assert "obs-6" in problems(absent)["Observation"]
    nested = patient(
        contained=[
            {
                "resourceType": "Patient",
                "id": "c",
                "meta": {"versionId": "1"},
                "contained": [{"resourceType": "Patient", "id": "d"}],
            }
        ]
    )
    messages = problems(nested)["Patient.contained[0]"]
    assert "dom-4" in messages or "dom-2" in messages


def test_bundle_invariants():
    entry = {"fullUrl": "urn:uuid:1", "resource": patient()}
    assert (
        "bdl-3"
        in problems({"resourceType": "Bundle", "type": "transaction", "entry": [entry]})[
            "Bundle.entry[0]"
        ]
    )
    found = problems(
        {"resourceType": "Bundle", "type": "collection", "total": 1, "entry": [entry, entry]}
    )
    assert "bdl-1" in found["Bundle.total"] and "bdl-7" in found["Bundle.entry[1].fullUrl"]
    document = problems({"resourceType": "Bundle", "type": "document", "entry": [entry]})
    assert {"Bundle.identifier", "Bundle.timestamp", "Bundle.entry[0]"} <= set(document)
    assert (
        "bdl-12"
        in problems({"resourceType": "Bundle", "type": "message", "entry": [entry]})[
            "Bundle.entry[0]"
        ]
    )


@pytest.mark.parametrize(
    ("resource", "path"),
    [
        # A Coding whose system is a list, under a required binding and under obs-7.
        (
            {
                "resourceType": "Condition",
                "subject": {"reference": "Patient/p1"},
                "clinicalStatus": {"coding": [{"system": ["x"], "code": "active"}]},
            },
            "Condition.clinicalStatus.coding[0].system",
        ),
        (
            {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": {"a": 1}, "code": "x"}]},
                "valueString": "v",
                "component": [{"code": {"coding": [{"system": {"a": 1}, "code": "x"}]}}],
            },
            "Observation.code.coding[0].system",
        ),
        # A dateTime without a zone beside one with a zone: reported, not compared.
        (
            patient(
                name=[
                    {
                        "text": "x",
                        "period": {"start": "2020-01-01T10:00:00", "end": "2019-01-01T10:00:00Z"},
                    }
                ]
            ),
            "Patient.name[0].period.start",
        ),
        (patient(meta=None), "Patient.meta"),
        (patient(contact="x"), "Patient.contact[0]"),
        (patient(name=[{"period": []}]), "Patient.name[0].period"),
    ],
)
def test_malformed_values_are_reported_never_raised(resource, path):
    found = problems(resource)
    assert path in found, found


def test_each_bundle_entry_resolves_local_references_in_its_own_contained_resources():
    holder = patient(
        contained=[{"resourceType": "Organization", "id": "org", "name": "x"}],
        managingOrganization={"reference": "#org"},
    )
    borrower = patient(managingOrganization={"reference": "#org"})
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:1", "resource": holder},
            {"fullUrl": "urn:uuid:2", "resource": borrower},
        ],
    }
    assert set(problems(bundle)) == {"Bundle.entry[1].resource.managingOrganization.reference"}
    # Inside a contained resource, #id names a sibling in the container.
    sibling = patient(
        contained=[
            {"resourceType": "Organization", "id": "a", "name": "x"},
            {"resourceType": "Organization", "id": "b", "name": "y", "partOf": {"reference": "#a"}},
        ],
        managingOrganization={"reference": "#b"},
    )
    assert problems(sibling) == {}


def test_a_wrong_json_type_for_a_complex_element_names_the_type():
    assert problems(patient(maritalStatus="M"))["Patient.maritalStatus"] == (
        "CodeableConcept must be a JSON object, not a string"
    )
    assert (
        "Patient.contact must be a JSON object, not a number"
        in problems(patient(contact=[1]))["Patient.contact[0]"]
    )


def test_absurdly_deep_nesting_is_reported_not_raised():
    item: dict[str, Any] = {"linkId": "0", "type": "group"}
    questionnaire = {"resourceType": "Questionnaire", "status": "draft", "item": [item]}
    for depth in range(1, 2000):
        child = {"linkId": str(depth), "type": "group"}
        item["item"] = [child]
        item = child
    assert problems(questionnaire) == {"$": "the resource is nested too deeply to validate"}
