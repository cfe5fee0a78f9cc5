"""HL7 v2 -> FHIR rules on small messages: identifier systems, times and zones, OBX values,
documents, appointments, refusals and warnings."""

from __future__ import annotations

import base64
import decimal
import json
import zoneinfo
from typing import Any

import pytest

from careweave.codecs.fhir.validator import validate
from careweave.codecs.hl7v2 import parse_message
from careweave.exceptions import ConfigError, MappingError
from careweave.mappings.v2_fhir import AuthorityTable, convert_message, load_authorities

MSH = "MSH|^~\\&|LAB|HOSP|EHR|HOSP|20240105103000||{type}|CTRL1|P|2.5.1"
PID = (
    "PID|1|OLD-7^^^LEGACY|12345^^^NIST MPI^MR~999^^^&2.16.840.1.113883.19.5&ISO^MR|ALT-1|"
    "DOE^JANE^Q^^DR^^L~SMITH^JANE^^^^^M||19800412|F|||1 MAIN ST^APT 2^BOSTON^MA^02115^USA^H||"
    "^PRN^PH^^1^617^5551234~^NET^Internet^jane@example.org|^WPN^PH^^^617^5559999||M||"
    "ACC-9^^^HOSP^AN|123-45-6789|S1234567^NY^20301231"
)


def _convert(
    *segments: str, kind: str = "ADT^A01", **options: Any
) -> tuple[dict[str, Any], list[str]]:
    raw = "\r".join([MSH.format(type=kind), *segments])
    conversion = convert_message(parse_message(raw), **options)
    assert validate(json.loads(conversion.to_json())) == []
    bundle = json.loads(conversion.to_json(), parse_float=decimal.Decimal)
    return bundle, list(conversion.warnings)


def _first(bundle: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind)


def _all(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_every_patient_identifier_gets_a_uri_system() -> None:
    bundle, _ = _convert(PID)
    patient = _first(bundle, "Patient")
    systems = {i["value"]: i.get("system") for i in patient["identifier"]}
    assert systems == {
        "12345": "urn:careweave:authority:nist-mpi",
        "999": "urn:oid:2.16.840.1.113883.19.5",
        "OLD-7": "urn:careweave:authority:legacy",
        "ALT-1": None,
        "ACC-9": "urn:careweave:authority:hosp",
        "123-45-6789": "http://hl7.org/fhir/sid/us-ssn",
        "S1234567": "urn:careweave:authority:dl-ny",
    }
    types = {
        i["value"]: i["type"]["coding"][0]["code"] for i in patient["identifier"] if "type" in i
    }
    assert types["ACC-9"] == "AN"
    assert types["123-45-6789"] == "SS"
    assert types["S1234567"] == "DL"
    licence = next(i for i in patient["identifier"] if i["value"] == "S1234567")
    assert licence["period"] == {"end": "2030-12-31"}


def test_names_telecom_and_addresses_all_reach_the_patient() -> None:
    bundle, _ = _convert(PID)
    patient = _first(bundle, "Patient")
    assert patient["name"] == [
        {"use": "official", "family": "DOE", "given": ["JANE", "Q"], "prefix": ["DR"]},
        {"use": "maiden", "family": "SMITH", "given": ["JANE"]},
    ]
    assert patient["telecom"] == [
        {"system": "phone", "value": "1 617 5551234", "use": "home"},
        {"system": "email", "value": "jane@example.org", "use": "home"},
        {"system": "phone", "value": "617 5559999", "use": "work"},
    ]
    assert patient["address"] == [
        {
            "use": "home",
            "line": ["1 MAIN ST", "APT 2"],
            "city": "BOSTON",
            "state": "MA",
            "postalCode": "02115",
            "country": "USA",
        }
    ]
    assert patient["birthDate"] == "1980-04-12"
    assert patient["gender"] == "female"
    assert patient["maritalStatus"]["coding"][0]["code"] == "M"


def test_configured_authorities_win_and_must_be_uris() -> None:
    table = load_authorities(
        '[authorities]\n"NIST MPI" = "urn:oid:2.16.840.1.113883.3.72.5.30.2"\n', "test.toml"
    )
    bundle, _ = _convert(PID, authorities=table)
    values = {i["value"]: i.get("system") for i in _first(bundle, "Patient")["identifier"]}
    assert values["12345"] == "urn:oid:2.16.840.1.113883.3.72.5.30.2"
    with pytest.raises(ConfigError, match="not an absolute URI"):
        AuthorityTable({"NIST MPI": "NIST MPI"})
    with pytest.raises(ConfigError, match=r"bad\.toml"):
        load_authorities("[authorities]\nx = 3\n", "bad.toml")


def test_times_without_an_offset_keep_their_date_unless_the_zone_is_named() -> None:
    pv1 = "PV1|1|I|4N^401^A||||1234^WELBY^MARCUS|||MED|||||||||V-77^^^HOSP^VN|" + "|" * 24
    pv1 += "20240105103000|20240107+0100"
    bundle, _ = _convert(PID, pv1)
    encounter = _first(bundle, "Encounter")
    assert encounter["class"]["code"] == "IMP"
    assert encounter["period"] == {"start": "2024-01-05", "end": "2024-01-07"}
    assert encounter["status"] == "finished"
    zone = zoneinfo.ZoneInfo("America/New_York")
    bundle, _ = _convert(PID, pv1, timezone=zone)
    assert _first(bundle, "Encounter")["period"]["start"] == "2024-01-05T10:30:00-05:00"
    assert bundle["timestamp"] == "2024-01-05T10:30:00-05:00"


def test_an_impossible_date_is_left_out_with_a_warning() -> None:
    bundle, warnings = _convert(PID.replace("19800412", "19801345"))
    assert "birthDate" not in _first(bundle, "Patient")
    assert any(w.startswith("PID-7:") for w in warnings)


@pytest.mark.parametrize(
    ("obx", "name", "expected"),
    [
        ("OBX|1|NM|2345-7^Glucose^LN||<0.5|mg/dl|3.5-5.0|L|||F", "valueQuantity",
         {"value": decimal.Decimal("0.5"), "comparator": "<", "unit": "mg/dl",
          "system": "http://unitsofmeasure.org", "code": "mg/dL"}),
        ("OBX|1|SN|X^Titer^L||^1^:^128||||||F", "valueRatio",
         {"numerator": {"value": 1}, "denominator": {"value": 128}}),
        ("OBX|1|SN|X^Range^L||^2^-^5|mmol/L^^UCUM|||||F", "valueRange",
         {"low": {"value": 2, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                  "code": "mmol/L"},
          "high": {"value": 5, "unit": "mmol/L", "system": "http://unitsofmeasure.org",
                   "code": "mmol/L"}}),
        ("OBX|1|CWE|X^Result^L||260373001^Detected^SCT||||||F", "valueCodeableConcept",
         {"coding": [{"system": "http://snomed.info/sct", "code": "260373001",
                      "display": "Detected"}]}),
        ("OBX|1|TX|X^Note^L||line one\\.br\\line two||||||F", "valueString",
         "line one\nline two"),
        ("OBX|1|TM|X^Time^L||1252||||||F", "valueTime", "12:52:00"),
    ],
)  # fmt: skip
def test_obx_values_by_type(obx: str, name: str, expected: object) -> None:
    bundle, _ = _convert(PID, obx, kind="ORU^R01")
    assert _first(bundle, "Observation")[name] == expected


def test_obx_range_flags_and_status() -> None:
    bundle, _ = _convert(PID, "OBX|1|NM|2345-7^Glucose^LN||180|mg/dL^^UCUM|70-99|H~XYZ|||C")
    observation = _first(bundle, "Observation")
    assert observation["status"] == "corrected"
    assert observation["referenceRange"][0]["low"]["value"] == 70
    assert observation["referenceRange"][0]["high"]["value"] == 99
    systems = [i["coding"][0]["system"] for i in observation["interpretation"]]
    assert systems == [
        "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        "http://terminology.hl7.org/CodeSystem/v2-0078",
    ]


def test_a_value_that_does_not_read_as_its_type_is_kept_as_text() -> None:
    bundle, warnings = _convert(PID, "OBX|1|NM|X^Count^L||two||||||F")
    assert _first(bundle, "Observation")["valueString"] == "two"
    assert any("does not read as NM" in w for w in warnings)


def test_results_group_into_a_report_based_on_the_order() -> None:
    bundle, _ = _convert(
        PID,
        "ORC|RE|PL-1^EHR|FL-1^LAB",
        "OBR|1|PL-1^EHR|FL-1^LAB|24323-8^Metabolic panel^LN|||20240105||||||||||||||||||F",
        "NTE|1||collected late",
        "OBX|1|NM|2345-7^Glucose^LN||95|mg/dL|||||F",
        "NTE|1||fasting",
        kind="ORU^R01",
    )
    request = _first(bundle, "ServiceRequest")
    report = _first(bundle, "DiagnosticReport")
    observation = _first(bundle, "Observation")
    assert {i["value"] for i in request["identifier"]} == {"PL-1", "FL-1"}
    assert report["status"] == "final"
    assert report["basedOn"] == [{"reference": f"urn:uuid:{request['id']}"}]
    assert report["result"] == [{"reference": f"urn:uuid:{observation['id']}"}]
    assert observation["note"] == [{"text": "fasting"}]
    assert request["note"] == [{"text": "collected late"}]
    assert observation["effectiveDateTime"] == "2024-01-05"


def test_allergy_diagnosis_coverage_and_next_of_kin() -> None:
    bundle, _ = _convert(
        PID,
        "NK1|1|DOE^JOHN|SPO^Spouse^HL70063|1 MAIN ST^^BOSTON^MA^02115|^PRN^PH^^^617^5550000",
        "AL1|1|DA|70618^Penicillin^RXNORM|SV|Hives~Wheezing|20200101",
        "DG1|1||E11.9^Type 2 diabetes^I10|||A",
        "IN1|1|PPO1^Gold PPO|ACME01^^^NAIC|ACME HEALTH|PO BOX 1^^HARTFORD^CT^06101||"
        "^WPN^PH^^^800^5551212|GRP-42|BIG CORP|||20240101|20241231||||SEL" + "|" * 19 + "POL-777",
    )
    allergy = _first(bundle, "AllergyIntolerance")
    assert allergy["category"] == ["medication"]
    assert allergy["criticality"] == "high"
    assert [m["text"] for m in allergy["reaction"][0]["manifestation"]] == ["Hives", "Wheezing"]
    condition = _first(bundle, "Condition")
    assert condition["code"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "code": "E11.9",
        "display": "Type 2 diabetes",
    }
    coverage = _first(bundle, "Coverage")
    assert coverage["subscriberId"] == "POL-777"
    assert coverage["period"] == {"start": "2024-01-01", "end": "2024-12-31"}
    assert coverage["relationship"]["coding"][0]["code"] == "self"
    assert {c["value"] for c in coverage["class"]} == {"PPO1", "GRP-42"}
    payer = next(
        e["resource"] for e in bundle["entry"] if e["fullUrl"] == coverage["payor"][0]["reference"]
    )
    assert payer["name"] == "ACME HEALTH"
    assert payer["identifier"][0]["system"] == "urn:careweave:authority:naic"
    kin = _first(bundle, "RelatedPerson")
    assert kin["relationship"][0]["coding"][0]["code"] == "SPO"
    assert kin["patient"]["reference"] == f"urn:uuid:{_first(bundle, 'Patient')['id']}"


def test_mdm_text_becomes_the_document_content() -> None:
    bundle, _ = _convert(
        PID,
        "TXA|1|CN^Consult note|TX|20240105||||||||DOC-1|||||AU||AV",
        "OBX|1|TX|X^Body^L||First line\\.br\\Second line||||||F",
        "OBX|2|TX|X^Body^L||Third line||||||F",
        kind="MDM^T02",
    )
    assert _all(bundle, "Observation") == []
    document = _first(bundle, "DocumentReference")
    assert document["masterIdentifier"]["value"] == "DOC-1"
    assert document["docStatus"] == "final"
    data = document["content"][0]["attachment"]["data"]
    assert base64.b64decode(data).decode() == "First line\nSecond line\nThird line"


def test_an_appointment_without_zoned_times_is_proposed_with_a_warning() -> None:
    sch = "SCH|A-1|F-1|||||||||^^^20240110090000^20240110093000||||||||||||||Booked"
    bundle, warnings = _convert(sch, PID, "AIL|1||ROOM 5", kind="SIU^S12")
    appointment = _first(bundle, "Appointment")
    assert appointment["status"] == "proposed"
    assert appointment["requestedPeriod"] == [{"start": "2024-01-10", "end": "2024-01-10"}]
    assert any(w.startswith("SCH-11:") for w in warnings)
    assert len(appointment["participant"]) == 2
    bundle, warnings = _convert(
        sch, PID, kind="SIU^S12", timezone=zoneinfo.ZoneInfo("Europe/Paris")
    )
    appointment = _first(bundle, "Appointment")
    assert appointment["status"] == "booked"
    assert appointment["start"] == "2024-01-10T09:00:00+01:00"


def test_a_message_without_a_type_is_refused_naming_msh9() -> None:
    with pytest.raises(MappingError, match="MSH-9 names no message type"):
        convert_message(parse_message("MSH|^~\\&|A|B|C|D|20240101||||2.5"))


def test_segments_not_converted_are_named() -> None:
    _, warnings = _convert(PID, "ZPD|1|x", "ZPD|2|y", "GT1|1")
    assert "segments: not converted: GT1, ZPD x2" in warnings


def test_an_ack_answers_the_message_it_acknowledges() -> None:
    bundle, _ = _convert("MSA|AE|CTRL-0", kind="ACK^A01")
    header = bundle["entry"][0]["resource"]
    assert header["response"] == {"identifier": "CTRL-0", "code": "fatal-error"}
    assert header["eventCoding"]["code"] == "A01"
    assert header["source"]["endpoint"] == "urn:careweave:authority:lab"


def test_an_encapsulated_result_becomes_the_reports_presented_form() -> None:
    pdf = base64.b64encode(b"%PDF-1.4 report").decode()
    bundle, _ = _convert(
        PID,
        "OBR|1|PL-1|FL-1|11502-2^Lab report^LN",
        f"OBX|1|ED|11502-2^Lab report^LN||^application^pdf^Base64^{pdf}||||||F",
        "OBX|2|ED|11502-2^Lab report^LN||^text^plain^Base64^not base64!||||||F",
        kind="ORU^R01",
    )
    report = _first(bundle, "DiagnosticReport")
    assert report["presentedForm"] == [{"contentType": "application/pdf", "data": pdf}]
    reasons = [o["dataAbsentReason"]["coding"][0]["code"] for o in _all(bundle, "Observation")]
    assert reasons == ["unsupported", "error"]


@pytest.mark.parametrize(
    ("hd", "id_type", "system"),
    [
        (("NIST MPI", None, None), None, "urn:careweave:authority:nist-mpi"),
        ((None, "2.16.840.1.113883.19.5", "ISO"), "MR", "urn:oid:2.16.840.1.113883.19.5"),
        (("X", "1.Aux", "ISO"), None, "urn:careweave:authority:x"),
        ((None, "2.16.840.1.113883.4.1", "ISO"), "SS", "http://hl7.org/fhir/sid/us-ssn"),
        (("SSA", None, None), "SS", "http://hl7.org/fhir/sid/us-ssn"),
        ((None, None, None), "SS", "http://hl7.org/fhir/sid/us-ssn"),
        ((None, None, None), "NPI", "http://hl7.org/fhir/sid/us-npi"),
        ((None, None, None), "DL", "urn:careweave:authority:dl"),
        (("MA", None, None), "DL", "urn:careweave:authority:dl-ma"),
        ((None, "E1B1C5A4-0E2D-4C1B-9D8E-000000000001", "UUID"), None,
         "urn:uuid:e1b1c5a4-0e2d-4c1b-9d8e-000000000001"),
        ((None, "https://ids.example.org/mrn", "URI"), None, "https://ids.example.org/mrn"),
        ((None, None, None), "MR", None),
    ],
)  # fmt: skip
def test_authority_to_system(
    hd: tuple[str | None, str | None, str | None], id_type: str | None, system: str | None
) -> None:
    assert AuthorityTable().system(*hd, id_type=id_type) == system
