"""HL7 v2 -> canonical events: conventions and bad input, on messages written for the test."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest

from careweave.codecs.hl7v2 import parse_message
from careweave.exceptions import MappingError
from careweave.mappings.hl7v2_clinical import map_message
from careweave.model.care import EncounterClass
from careweave.model.charges import ChargeCaptured, TransactionType
from careweave.model.clinical import PatientAdmitted, PatientsMerged, ProcedureDocumented
from careweave.model.supplies import SupplyUsed

HEAD = "MSH|^~\\&|EHR|H1|CW|H1|20240305101500-0500||{type}|C{n}|P|2.5\r"
PID = "PID|1||MRN1^^^H1^MR||DOE^JANE^Q||19800102|F\r"
NPI = "1234567890^CARDIO^ANN^^^^^^NPI^^^^NPI"


def seg(segment_id: str, fields: dict[int, str]) -> str:
    """A segment with ``fields`` (1-based) set and the others empty."""
    values = [fields.get(i, "") for i in range(1, max(fields) + 1)]
    return "|".join([segment_id, *values]) + "\r"


PV1 = seg(
    "PV1",
    {
        1: "1",
        2: "I",
        3: "CATH^01^A^H1",
        7: NPI,
        10: "CAR",
        19: "V100^^^H1^VN",
        44: "20240305090000-0500",
    },
)


def _msg(kind: str, body: str, n: int = 1) -> str:
    return HEAD.format(type=kind, n=n) + "EVN|X|20240305101500-0500\r" + PID + PV1 + body


def test_admission_facts_and_zone_kept():
    [event] = map_message(parse_message(_msg("ADT^A01^ADT_A01", "")))
    assert isinstance(event, PatientAdmitted)
    assert event.patient.key() == "H1|MRN1"
    assert event.encounter is not None
    assert event.encounter.encounter_class is EncounterClass.INPATIENT
    assert event.encounter.attending is not None
    assert event.encounter.attending.npi == "1234567890"
    assert event.encounter.admitted_at == dt.datetime(
        2024, 3, 5, 9, tzinfo=dt.timezone(dt.timedelta(hours=-5))
    )
    assert event.idempotency_key == "admit:H1|MRN1:H1|V100"
    assert event.ordering_key() == "patient:H1|MRN1"


def test_naive_time_stays_naive():
    raw = _msg("ADT^A01", "").replace("20240305090000-0500", "20240305090000")
    [event] = map_message(parse_message(raw))
    assert isinstance(event, PatientAdmitted) and event.encounter is not None
    assert event.encounter.admitted_at == dt.datetime(2024, 3, 5, 9)  # noqa: DTZ001
    assert event.encounter.admitted_at.tzinfo is None


def test_same_message_twice_gives_same_keys():
    body = "PR1|1||33208^Pacemaker insertion^C4||20240305100000-0500\r"
    one = map_message(parse_message(_msg("ADT^A01", body, 1)))
    two = map_message(parse_message(_msg("ADT^A01", body, 2)))
    assert [e.idempotency_key for e in one] == [e.idempotency_key for e in two]


def test_pacemaker_case_with_prt_device_and_supply_charge_with_zsu():
    body = (
        seg(
            "PR1",
            {
                1: "1",
                3: "33208^Pacemaker insertion^C4",
                5: "20240305100000-0500",
                11: NPI,
                19: "PX1",
            },
        )
        + seg(
            "PRT",
            {
                1: "1",
                4: "EQUIP",
                10: "DEV-9^H1",
                11: "20240305100500-0500",
                16: "00812345678901^GS1^2.51.1.1^ISO",
                19: "LOT7",
                20: "SER42",
                22: "PM-100^Pacemaker^IM",
            },
        )
        + seg(
            "FT1",
            {
                1: "1",
                2: "T77",
                4: "20240305",
                5: "20240305",
                6: "CG",
                7: "CDM500^Pacemaker supply^L",
                10: "1",
                11: "9000&USD",
                12: "9000&USD",
                13: "CARD^Cardiology",
                19: "I49.5^Sick sinus^I10",
                20: NPI,
                25: "C1786^^HCPCS",
                34: "PM-100^Pacemaker^IM",
                35: "MDL-1",
                41: "0278",
            },
        )
        + "ZSU|1|PM-100^Pacemaker^IM|1|EA|LOT7|SER42|"
        "(01)00812345678901(17)261231(10)LOT7(21)SER42|00812345678901|Acme^CAT-9|Y|20261231|1|Y\r"
    )
    events = map_message(parse_message(_msg("DFT^P03^DFT_P03", body)))
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["ProcedureDocumented", "SupplyUsed", "ChargeCaptured", "SupplyUsed"]
    proc, device, charge, supply = events
    assert isinstance(proc, ProcedureDocumented) and proc.procedure_id == "PX1"
    assert isinstance(device, SupplyUsed)
    assert (device.item.code, device.gtin, device.lot_number, device.serial_number) == (
        "PM-100",
        "00812345678901",
        "LOT7",
        "SER42",
    )
    assert device.procedure_id == "PX1"
    assert isinstance(charge, ChargeCaptured)
    assert charge.transaction_type is TransactionType.CHARGE
    assert charge.procedure_code is not None and charge.procedure_code.code == "C1786"
    assert charge.revenue_code == "0278"
    assert charge.extended_amount is not None
    assert charge.extended_amount.amount == decimal.Decimal(9000)
    assert charge.performing_provider is not None and charge.performing_provider.npi == "1234567890"
    assert charge.idempotency_key == "charge:H1|V100:T77:CDM500"
    # The ZSU completed the FT1's own supply rather than adding a second one.
    assert isinstance(supply, SupplyUsed)
    assert supply.consigned is True and supply.implanted is True
    assert (supply.manufacturer, supply.catalog_number) == ("Acme", "CAT-9")
    assert supply.udi and supply.udi.startswith("(01)00812345678901")
    assert supply.location is not None and supply.location.point_of_care == "CATH"


def test_credit_line():
    body = "FT1|1|T78||20240305||CD|CDM500^Pacemaker supply^L|||1\r"
    [credit] = map_message(parse_message(_msg("DFT^P03", body)))
    assert isinstance(credit, ChargeCaptured) and credit.is_credit
    assert credit.idempotency_key.startswith("credit:")


def test_merge():
    raw = HEAD.format(type="ADT^A40", n=1) + PID + "MRG|OLD9^^^H1^MR\r"
    [merge] = map_message(parse_message(raw))
    assert isinstance(merge, PatientsMerged)
    assert merge.merged.key() == "H1|OLD9"
    assert "merged" in merge.phi_fields


@pytest.mark.parametrize(
    ("kind", "body", "needle"),
    [
        ("ADT^A99", "", r"ADT\^A99"),
        ("DFT^P03", "FT1|1|T1||20240305||ZZ|X^Y\r", "FT1\\[1\\]-6"),
        ("DFT^P03", "FT1|1|T1||20240305||CG|\r", "FT1\\[1\\]-7"),
        ("DFT^P03", "FT1|1|T1||20241345||CG|X^Y\r", "FT1\\[1\\]-4"),
        ("DFT^P03", "FT1|1|T1||20240305||CG|X^Y|||two\r", "FT1-10"),
        ("ADT^A01", "PR1|1||\r", "PR1\\[1\\]-3"),
    ],
)
def test_bad_input_names_the_problem(kind, body, needle):
    with pytest.raises(MappingError, match=needle):
        map_message(parse_message(_msg(kind, body)))


def test_message_without_pid():
    with pytest.raises(MappingError, match="no PID"):
        map_message(parse_message(HEAD.format(type="ADT^A01", n=1)))


def test_revenue_code_sent_as_the_charge_codes_alternate_is_read():
    body = "FT1|1|T90||20240305||CG|CDM120^Room and board^CDM^0120^^NUBC|||2\r"
    [charge] = map_message(parse_message(_msg("DFT^P03", body)))
    assert isinstance(charge, ChargeCaptured)
    assert charge.revenue_code == "0120"
    plain = "FT1|1|T91||20240305||CG|CDM120^Room and board^CDM|||2\r"
    [other] = map_message(parse_message(_msg("DFT^P03", plain)))
    assert isinstance(other, ChargeCaptured) and other.revenue_code is None
