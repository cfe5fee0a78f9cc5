"""FHIR R4 data types careweave reads and writes, as msgspec Structs.

Field names are the FHIR JSON names (camelCase through ``rename="camel"``). Dates and dateTimes
stay strings here, exactly as sent (FHIR allows partial dates such as ``2015-02``); the mappings
turn them into canonical values. Decimals are :class:`decimal.Decimal` so that money never
passes through a float. Elements careweave does not use (extensions, narrative) are ignored on
decode.
"""

from __future__ import annotations

import decimal

import msgspec


class FhirElement(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, rename="camel"):
    """Base of every FHIR data type."""


class Coding(FhirElement, frozen=True, kw_only=True, omit_defaults=True):
    """A code from a code system."""

    system: str | None = None
    version: str | None = None
    code: str | None = None
    display: str | None = None


class CodeableConcept(FhirElement, frozen=True, kw_only=True, omit_defaults=True):
    """A concept given by codings and/or text."""

    coding: tuple[Coding, ...] = ()
    text: str | None = None


class Period(FhirElement, frozen=True, kw_only=True, omit_defaults=True):
    """A time range; either end may be open."""

    start: str | None = None
    end: str | None = None


class Reference(FhirElement, frozen=True, kw_only=True, omit_defaults=True):
    """A reference to another resource (``Patient/123``, ``urn:uuid:...``) or a logical id."""

    reference: str | None = None
    type: str | None = None
    identifier: Identifier | None = None
    display: str | None = None


class Identifier(FhirElement, frozen=True, kw_only=True, omit_defaults=True):
    """A business identifier."""

    use: str | None = None
    type: CodeableConcept | None = None
    system: str | None = None
    value: str | None = None
    period: Period | None = None
    assigner: Reference | None = None


class HumanName(FhirElement, frozen=True, kw_only=True, omit_defaults=True):
    """A person's name."""

    use: str | None = None
    text: str | None = None
    family: str | None = None
    given: tuple[str, ...] = ()
    prefix: tuple[str, ...] = ()
    suffix: tuple[str, ...] = ()
    period: Period | None = None


class Address(FhirElement, frozen=True, kw_only=True, omit_defaults=True):
    """A postal address."""

    use: str | None = None
    type: str | None = None
    text: str | None = None
    line: tuple[str, ...] = ()
    city: str | None = None
    district: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = None
    period: Period | None = None


class ContactPoint(FhirElement, frozen=True, kw_only=True, omit_defaults=True):
    """A phone number, email address or similar."""

    system: str | None = None
    value: str | None = None
    use: str | None = None
    rank: int | None = None
    period: Period | None = None


class Quantity(FhirElement, frozen=True, kw_only=True, omit_defaults=True):
    """A measured amount."""

    value: decimal.Decimal | None = None
    comparator: str | None = None
    unit: str | None = None
    system: str | None = None
    code: str | None = None


class Money(FhirElement, frozen=True, kw_only=True, omit_defaults=True):
    """An amount of money."""

    value: decimal.Decimal | None = None
    currency: str | None = None


class Annotation(FhirElement, frozen=True, kw_only=True, omit_defaults=True):
    """A text note."""

    text: str
    time: str | None = None


class Meta(FhirElement, frozen=True, kw_only=True, omit_defaults=True):
    """Resource metadata."""

    version_id: str | None = None
    last_updated: str | None = None
    profile: tuple[str, ...] = ()


def first_code(concept: CodeableConcept | None) -> Coding | None:
    """The first coding of ``concept`` that has a code."""
    if concept is None:
        return None
    return next((c for c in concept.coding if c.code), None)
