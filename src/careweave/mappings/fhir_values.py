"""FHIR R4 data types read into canonical values (the FHIR twin of ``hl7v2_values``)."""

from __future__ import annotations

import datetime as dt
import re

from careweave.codecs.fhir import datatypes as f
from careweave.codecs.fhir.administration import Patient, Practitioner
from careweave.exceptions import MappingError
from careweave.model.care import Code, EncounterClass, Provider
from careweave.model.charges import Money
from careweave.model.identity import (
    Address,
    AdministrativeSex,
    Identifier,
    PatientIdentity,
    PersonName,
)

NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
_PARTIAL = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")

ACT_CODES: dict[str, EncounterClass] = {
    "IMP": EncounterClass.INPATIENT,
    "ACUTE": EncounterClass.INPATIENT,
    "NONAC": EncounterClass.INPATIENT,
    "AMB": EncounterClass.OUTPATIENT,
    "EMER": EncounterClass.EMERGENCY,
    "PRENC": EncounterClass.PREADMISSION,
    "OBSENC": EncounterClass.OBSERVATION,
    "HH": EncounterClass.HOME_HEALTH,
    "VR": EncounterClass.VIRTUAL,
    "SS": EncounterClass.SHORT_STAY,
}
"""FHIR v3 ActCode encounter classes onto canonical ones."""


def parse_datetime(value: str | None, where: str) -> dt.datetime | None:
    """A FHIR date or dateTime: aware when it carries an offset, naive midnight for a date."""
    if not value:
        return None
    try:
        if _PARTIAL.fullmatch(value):
            parts = [int(p) for p in value.split("-")] + [1, 1]
            return dt.datetime(parts[0], parts[1], parts[2])  # noqa: DTZ001 - a date has no zone
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise MappingError(f"{where}: invalid date/time {value!r}") from None


def parse_date(value: str | None, where: str) -> dt.date | None:
    """The calendar date of a FHIR date/dateTime."""
    moment = parse_datetime(value, where)
    return moment.date() if moment else None


def code(concept: f.CodeableConcept | None) -> Code | None:
    """The first coding with a code, else the text as a code without system."""
    coding = f.first_code(concept)
    if coding is not None and coding.code:
        return Code(code=coding.code, system=coding.system, display=coding.display)
    if concept is not None and concept.text:
        return Code(code=concept.text, display=concept.text)
    return None


def identifier(ident: f.Identifier | None) -> Identifier | None:
    """A canonical identifier; its type is the first coding of ``type``."""
    if ident is None or not ident.value:
        return None
    type_code = f.first_code(ident.type)
    return Identifier(
        value=ident.value, system=ident.system, type=type_code.code if type_code else None
    )


def name(value: f.HumanName) -> PersonName:
    """A canonical person name."""
    return PersonName(
        family=value.family,
        given=value.given,
        prefix=" ".join(value.prefix) or None,
        suffix=" ".join(value.suffix) or None,
        use=value.use,
    )


def address(value: f.Address) -> Address:
    """A canonical address."""
    return Address(
        lines=value.line,
        city=value.city,
        state=value.state,
        postal_code=value.postal_code,
        country=value.country,
        use=value.use,
    )


def money(value: f.Money | None) -> Money | None:
    """A canonical amount."""
    if value is None or value.value is None:
        return None
    return Money(amount=value.value, currency=value.currency or "USD")


def patient_identity(patient: Patient) -> PatientIdentity:
    """The identity facts of a Patient; one without identifiers is keyed by its resource id."""
    idents = [i for i in map(identifier, patient.identifier) if i is not None]
    if not idents:
        if not patient.id:
            raise MappingError("Patient has neither identifier nor id")
        idents = [Identifier(value=patient.id, system="urn:fhir:Patient")]
    return PatientIdentity(
        identifiers=tuple(idents),
        names=tuple(name(n) for n in patient.name),
        birth_date=parse_date(patient.birth_date, f"Patient/{patient.id}.birthDate"),
        sex=AdministrativeSex(patient.gender) if patient.gender else None,
        addresses=tuple(address(a) for a in patient.address),
    )


def provider(practitioner: Practitioner) -> Provider:
    """A canonical provider; the NPI is the identifier in the us-npi system."""
    idents = [i for i in practitioner.identifier if i.value]
    npi = next((i.value for i in idents if i.system == NPI_SYSTEM), None)
    first = identifier(idents[0]) if idents else None
    return Provider(
        npi=npi,
        identifier=first,
        name=name(practitioner.name[0]) if practitioner.name else None,
    )
