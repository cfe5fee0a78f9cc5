"""Building prepared patient records for the identity tests."""

from __future__ import annotations

from careweave.masterdata.identity.records import PatientRecord, PreparedRecord, prepare


def patient(record_id: str = "r1", index: int = 0, **fields: str) -> PreparedRecord:
    """A normalised record with the given raw fields (the others empty)."""
    return prepare(PatientRecord.from_row({"id": record_id, **fields}), index)


JOHN = {
    "given": "John",
    "family": "Smith",
    "birth_date": "1975-04-12",
    "sex": "M",
    "address": "12 Oak Street",
    "city": "Appleton",
    "postcode": "54911",
    "phone": "(920) 555-0142",
    "ssn": "123-45-6780",
}
"""A complete registration to vary one field at a time."""
