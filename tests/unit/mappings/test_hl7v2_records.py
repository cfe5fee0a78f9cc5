"""Results, immunizations, pharmacy, documents, problems, appointments and the ADT family mapped
to canonical events, checked against the same corpus messages read by python-hl7 (the oracle)."""

from __future__ import annotations

import decimal

import hl7
import pytest

from careweave.codecs.hl7v2 import parse_message
from careweave.mappings.hl7v2_clinical import map_message
from careweave.model.base import BusinessEvent
from careweave.model.clinical import AppointmentNoShow
from careweave.model.clinical_records import (
    AccountMerged,
    AllergiesUpdated,
    DocumentNotified,
    ImmunizationRecorded,
    MedicationDispensed,
    MedicationOrdered,
    PatientTracked,
    ProblemUpdated,
    ResultReported,
    TrackingKind,
)
from tests.conftest import corpus_path

FOLDER = ("hl7v2", "ms-fhir-converter", "messages")


def _read(name: str) -> tuple[list[BusinessEvent], hl7.Message]:
    raw = corpus_path(*FOLDER, f"{name}.hl7").read_bytes()
    text = raw.decode("utf-8-sig", errors="replace").replace("\r\n", "\r").replace("\n", "\r")
    return map_message(parse_message(raw)), hl7.parse(text)


def _field(segment: hl7.Segment, number: int, component: int = 1) -> str:
    try:
        value = segment[number]
    except IndexError:
        return ""
    text = str(value)
    if "~" in text:
        text = text.split("~", maxsplit=1)[0]
    return text.split("^")[component - 1] if "^" in text else (text if component == 1 else "")


def _segments(message: hl7.Message, name: str) -> list[hl7.Segment]:
    return [s for s in message if str(s[0]) == name]


@pytest.mark.parametrize("name", ["ORU-R01-01", "OUL-R22-01", "OUL-R23-01", "OUL-R24-01"])
def test_results_carry_every_obx_with_its_code_value_and_units(name: str) -> None:
    events, oracle = _read(name)
    results = [e for e in events if isinstance(e, ResultReported)]
    assert results
    ours = [o for r in results for o in r.observations]
    obx = _segments(oracle, "OBX")
    # Patient-level OBX are reported on a result of their own: compare as sets of facts.
    assert sorted((o.code.code if o.code else "", o.units or "") for o in ours) == sorted(
        (_field(s, 3), _field(s, 6)) for s in obx
    )
    numbers = sorted(o.numeric for o in ours if o.value_type == "NM" and o.numeric is not None)
    assert numbers == sorted(
        decimal.Decimal(_field(s, 5)) for s in obx if _field(s, 2) == "NM" and _field(s, 5)
    )
    assert {r.service.code for r in results if r.service} <= {
        _field(s, 4) for s in _segments(oracle, "OBR")
    }


def test_an_immunization_names_its_vaccine_lot_and_time() -> None:
    events, oracle = _read("VXU-V04-01")
    given = [e for e in events if isinstance(e, ImmunizationRecorded)]
    rxa = _segments(oracle, "RXA")
    assert len(given) == len(rxa) > 0
    for event, segment in zip(given, rxa, strict=True):
        assert event.vaccine.code == _field(segment, 5)
        assert (event.lot or "") == _field(segment, 15)
        assert event.administered_at is not None
        assert event.administered_at.strftime("%Y%m%d") == _field(segment, 3)[:8]


@pytest.mark.parametrize(
    ("name", "kind", "segment"),
    [
        ("RDE-O11-01", MedicationOrdered, "RXE"),
        ("RDE-O25-01", MedicationOrdered, "RXE"),
        ("RDS-O13-01", MedicationDispensed, "RXD"),
    ],
)
def test_pharmacy_orders_and_dispenses_name_their_drug(
    name: str, kind: type[BusinessEvent], segment: str
) -> None:
    events, oracle = _read(name)
    found = [e for e in events if isinstance(e, kind)]
    drugs = [_field(s, 2) for s in _segments(oracle, segment)]
    assert [e.medication.code for e in found] == drugs  # type: ignore[attr-defined]


def test_documents_problems_and_no_shows_are_events() -> None:
    document = [e for e in _read("MDM-T02-01")[0] if isinstance(e, DocumentNotified)]
    assert len(document) == 1 and document[0].trigger == "T02"
    ppr = (
        "MSH|^~\\&|EPIC|RBH||CW|20261103101500||PPR^PC1|P1|P|2.5.1\r"
        "PID|1||E100^^^EPIC^MR||DOE^JANE||19700314|F\r"
        "PRB|AD|20261103|I10^Essential hypertension^I10|PRB-77^EPIC\r"
        "PRB|AD|20261103|E11.9^Type 2 diabetes^I10|PRB-78^EPIC\r"
    )  # no PPR sample in the corpus: a problem list as Epic sends one
    problems = [
        e for e in map_message(parse_message(ppr.encode())) if isinstance(e, ProblemUpdated)
    ]
    assert [(p.action, p.problem.code) for p in problems] == [("AD", "I10"), ("AD", "E11.9")]
    assert [p.problem_instance.value for p in problems if p.problem_instance] == [
        "PRB-77",
        "PRB-78",
    ]
    no_show = [e for e in _read("SIU-S26-01")[0] if isinstance(e, AppointmentNoShow)]
    assert len(no_show) == 1


def test_tracking_merges_and_allergies_from_the_adt_family() -> None:
    tracked = [e for e in _read("ADT-A09-01")[0] if isinstance(e, PatientTracked)]
    assert [t.kind for t in tracked] == [TrackingKind.DEPARTED]
    events, oracle = _read("ADT-A41-01")
    [merged] = [e for e in events if isinstance(e, AccountMerged)]
    [mrg] = _segments(oracle, "MRG")
    assert merged.prior_account is not None and merged.prior_account.value == _field(mrg, 3)
    events, oracle = _read("ADT-A60-01")
    [allergies] = [e for e in events if isinstance(e, AllergiesUpdated)]
    iam = _segments(oracle, "IAM") or _segments(oracle, "AL1")
    assert [a.code for a in allergies.allergens] == [_field(s, 3) for s in iam]
