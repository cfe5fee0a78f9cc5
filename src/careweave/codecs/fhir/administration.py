"""FHIR R4 base resource and the administrative resources: Patient, Practitioner, Organization,
Location.

A resource is a Struct tagged by ``resourceType``, so a union of resources decodes to the right
class from the JSON alone.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from careweave.codecs.fhir.datatypes import (
    Address,
    CodeableConcept,
    Coding,
    ContactPoint,
    HumanName,
    Identifier,
    Meta,
    Period,
    Reference,
)

Gender = Literal["male", "female", "other", "unknown"]


class Resource(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    omit_defaults=True,
    rename="camel",
    tag_field="resourceType",
    tag=True,
):
    """Base of every FHIR resource careweave models."""

    id: str | None = None
    meta: Meta | None = None


class PatientContact(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, rename="camel"):
    """A contact party (guardian, next of kin) of a patient."""

    relationship: tuple[CodeableConcept, ...] = ()
    name: HumanName | None = None
    telecom: tuple[ContactPoint, ...] = ()
    address: Address | None = None
    gender: Gender | None = None
    organization: Reference | None = None
    period: Period | None = None


class PatientLink(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A link to another patient resource (replaced-by, replaces, seealso)."""

    other: Reference
    type: str


class Patient(Resource, frozen=True, kw_only=True, omit_defaults=True):
    """Demographics of a person receiving care."""

    identifier: tuple[Identifier, ...] = ()
    active: bool | None = None
    name: tuple[HumanName, ...] = ()
    telecom: tuple[ContactPoint, ...] = ()
    gender: Gender | None = None
    birth_date: str | None = None
    deceased_boolean: bool | None = None
    deceased_date_time: str | None = None
    address: tuple[Address, ...] = ()
    marital_status: CodeableConcept | None = None
    multiple_birth_boolean: bool | None = None
    multiple_birth_integer: int | None = None
    contact: tuple[PatientContact, ...] = ()
    general_practitioner: tuple[Reference, ...] = ()
    managing_organization: Reference | None = None
    link: tuple[PatientLink, ...] = ()


class PractitionerQualification(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """A qualification of a practitioner."""

    code: CodeableConcept
    identifier: tuple[Identifier, ...] = ()
    period: Period | None = None
    issuer: Reference | None = None


class Practitioner(Resource, frozen=True, kw_only=True, omit_defaults=True):
    """A person providing care."""

    identifier: tuple[Identifier, ...] = ()
    active: bool | None = None
    name: tuple[HumanName, ...] = ()
    telecom: tuple[ContactPoint, ...] = ()
    address: tuple[Address, ...] = ()
    gender: Gender | None = None
    birth_date: str | None = None
    qualification: tuple[PractitionerQualification, ...] = ()


class Organization(Resource, frozen=True, kw_only=True, omit_defaults=True):
    """A legal entity, department or payer."""

    identifier: tuple[Identifier, ...] = ()
    active: bool | None = None
    type: tuple[CodeableConcept, ...] = ()
    name: str | None = None
    alias: tuple[str, ...] = ()
    telecom: tuple[ContactPoint, ...] = ()
    address: tuple[Address, ...] = ()
    part_of: Reference | None = None


class Location(Resource, frozen=True, kw_only=True, omit_defaults=True):
    """A physical place: a ward, a room, a bed, a stock room."""

    identifier: tuple[Identifier, ...] = ()
    status: str | None = None
    operational_status: Coding | None = None
    name: str | None = None
    alias: tuple[str, ...] = ()
    description: str | None = None
    mode: str | None = None
    type: tuple[CodeableConcept, ...] = ()
    telecom: tuple[ContactPoint, ...] = ()
    address: Address | None = None
    physical_type: CodeableConcept | None = None
    managing_organization: Reference | None = None
    part_of: Reference | None = None
