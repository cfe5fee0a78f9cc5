"""Who a patient is: identifiers, names, birth date, sex and address.

These value objects are shared by every clinical event. They carry no wire syntax: an HL7 v2 CX
or a FHIR Identifier both become an :class:`Identifier` with the assigning authority in
``system`` and the identifier type (HL7 table 0203: MR, SS, VN, AN...) in ``type``.
"""

from __future__ import annotations

import datetime as dt
import enum

import msgspec


class AdministrativeSex(enum.StrEnum):
    """Administrative sex, in FHIR's vocabulary (HL7 v2 table 0001 is mapped onto it)."""

    MALE = "male"
    FEMALE = "female"
    OTHER = "other"
    UNKNOWN = "unknown"


class Identifier(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An identifier issued by an assigning authority (MRN, SSN, visit number, NPI...)."""

    value: str
    system: str | None = None
    """The assigning authority: an HL7 namespace id, an OID or a URI."""
    type: str | None = None
    """The identifier type code from HL7 table 0203 (``MR``, ``SS``, ``VN``, ``AN``, ``NPI``)."""

    def key(self) -> str:
        """``system|value``, or the bare value when the authority is unknown."""
        return f"{self.system}|{self.value}" if self.system else self.value


class PersonName(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A person's name; ``use`` is the HL7 v2 name type code or the FHIR name use."""

    family: str | None = None
    given: tuple[str, ...] = ()
    prefix: str | None = None
    suffix: str | None = None
    use: str | None = None

    def display(self) -> str:
        """``Given Middle Family``, for people reading a work queue."""
        return " ".join(p for p in (*self.given, self.family or "") if p)


class Address(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A postal address."""

    lines: tuple[str, ...] = ()
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    use: str | None = None


class PatientIdentity(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """The facts that identify a patient, as the sending system knows them."""

    identifiers: tuple[Identifier, ...]
    names: tuple[PersonName, ...] = ()
    birth_date: dt.date | None = None
    sex: AdministrativeSex | None = None
    addresses: tuple[Address, ...] = ()

    def primary_identifier(self) -> Identifier | None:
        """The medical record number if one is typed ``MR``, else the first identifier."""
        for ident in self.identifiers:
            if ident.type == "MR":
                return ident
        return self.identifiers[0] if self.identifiers else None

    def key(self) -> str:
        """A stable key for ordering and idempotency: the primary identifier's ``key()``."""
        primary = self.primary_identifier()
        return primary.key() if primary else "unidentified"
