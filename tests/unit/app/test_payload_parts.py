"""``careweave diff`` names what differs between two payloads, never the values."""

from __future__ import annotations

import msgspec

from careweave.app.payload_parts import MAX_PARTS, changed_parts

HL7 = (
    b"MSH|^~\\&|EPIC|NORTH|CW|NORTH|20260302081500||ORU^R01|1|P|2.5.1\r"
    b"PID|1||mr-00123^^^NORTH^MR||DOE^JOHN\r"
    b"OBX|1|NM|GLU||98\r"
    b"OBX|2|NM|K||4.1\r"
)


def test_equal_payloads_differ_nowhere() -> None:
    assert changed_parts(HL7, HL7) == []


def test_hl7_fields_are_named_by_segment_occurrence_and_position() -> None:
    after = HL7.replace(b"mr-00123", b"0000123").replace(b"4.1", b"4.4")
    assert changed_parts(HL7, after) == ["PID-3", "OBX[2]-5"]
    assert changed_parts(HL7, HL7 + b"ZPD|1|X\r") == ["ZPD (added)"]
    assert changed_parts(HL7, HL7.replace(b"OBX|2|NM|K||4.1\r", b"")) == ["OBX[2] (removed)"]
    assert changed_parts(HL7, HL7.replace(b"|P|2.5.1", b"|T|2.5.1")) == ["MSH-11"]


def test_json_paths_are_named_down_to_the_leaf() -> None:
    before = {"patient": {"mrn": "1", "names": [{"family": "DOE"}]}, "lines": [1, 2]}
    after = {"patient": {"mrn": "2", "names": [{"family": "ROE"}]}, "lines": [1, 2, 3], "new": 0}
    parts = changed_parts(msgspec.json.encode(before), msgspec.json.encode(after))
    assert parts == ["patient.mrn", "patient.names[0].family", "lines", "new"]


def test_other_payloads_name_nothing_and_long_lists_are_cut() -> None:
    assert changed_parts(b"\x00binary", b"\x01binary") == []
    before = {f"k{i}": i for i in range(20)}
    after = {f"k{i}": i + 1 for i in range(20)}
    parts = changed_parts(msgspec.json.encode(before), msgspec.json.encode(after))
    assert parts == [*(f"k{i}" for i in range(MAX_PARTS)), "..."]
