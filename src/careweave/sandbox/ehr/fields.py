"""HL7 v2 field formatting in each sender's dialect: timestamps, names, providers, locations.

Builders return raw (already escaped) field text; :func:`text` escapes free text with the standard
delimiters, which every simulated sender uses.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from careweave.sandbox.ehr.events import Location
from careweave.sandbox.ehr.organization import Facility, Provider, TimestampStyle, VendorDialect
from careweave.sandbox.ehr.population import Patient

_ESCAPES = (("\\", "\\E\\"), ("|", "\\F\\"), ("^", "\\S\\"), ("~", "\\R\\"), ("&", "\\T\\"))


def text(value: str) -> str:
    """Free text escaped for the standard delimiters ``|^~\\&``."""
    for char, escaped in _ESCAPES:
        value = value.replace(char, escaped)
    return value


def components(*parts: str) -> str:
    """Components joined with ``^``, trailing empty ones dropped."""
    return "^".join(parts).rstrip("^")


def timestamp(when: dt.datetime, dialect: VendorDialect) -> str:
    """A DTM in the dialect's style (local time of the health system)."""
    style = dialect.timestamps
    if style is TimestampStyle.SECONDS_WITH_OFFSET:
        return when.strftime("%Y%m%d%H%M%S%z")
    if style is TimestampStyle.SECONDS:
        return when.strftime("%Y%m%d%H%M%S")
    return when.strftime("%Y%m%d%H%M")


def date(day: dt.date) -> str:
    """A DT value."""
    return day.strftime("%Y%m%d")


def money(amount: Decimal, dialect: VendorDialect) -> str:
    """A CP/MO amount: the practice system sends the currency as a subcomponent."""
    value = f"{amount:.2f}"
    return f"{value}&USD" if dialect.name == "practice" else value


def patient_name(patient: Patient, dialect: VendorDialect) -> str:
    """PID-5: Cerner sends mixed case and a CURRENT name type; Epic legal-name type L."""
    if dialect.name == "cerner":
        return components(
            text(patient.family.title()),
            text(patient.given.title()),
            patient.middle,
            "",
            "",
            "",
            "CURRENT",
        )
    if dialect.name == "practice":
        # Practice systems pad the name with empty components: ``SMITH^JOHN^^``.
        return f"{text(patient.family)}^{text(patient.given)}^{patient.middle}^"
    return components(text(patient.family), text(patient.given), patient.middle, "", "", "", "L")


def provider(who: Provider, dialect: VendorDialect) -> str:
    """An XCN: Epic sends its provider id then the NPI as a second repetition; Cerner the NPI
    with an alias type; the practice system the NPI alone."""
    if dialect.name == "epic":
        local = components(
            who.epic_id, who.family, who.given, who.middle, "", "", who.degree, "", "EPIC", "", "",
            "", "PROVID",
        )  # fmt: skip
        npi = components(
            who.npi, who.family, who.given, who.middle, "", "", who.degree, "", "NPI", "L", "",
            "", "NPI",
        )  # fmt: skip
        return f"{local}~{npi}"
    if dialect.name == "cerner":
        family, given = who.family.title(), who.given.title()
        return f"{who.npi}^{family}^{given}^{who.middle}^^^{who.degree}^^NPI^^^^NPI"
    return f"{who.npi}^{who.family}^{who.given}^^^^{who.degree}^^^^^^NPI"


def location(where: Location, facility: Facility, dialect: VendorDialect) -> str:
    """A PL: point of care ^ room ^ bed ^ facility ^^ location type ^ building ^ floor."""
    unit = where.unit
    if dialect.name == "epic":
        return components(
            text(unit.code), where.room, where.bed, f"{facility.code}&{facility.oid}&ISO", "", "",
            unit.building, unit.floor,
        )  # fmt: skip
    # Cerner keeps every component, empty or not.
    return f"{text(unit.code)}^{where.room}^{where.bed}^{facility.code}^^^^"


def identifier(value: str, authority: str, kind: str) -> str:
    """A CX: id ^^^ assigning authority ^ identifier type."""
    return f"{value}^^^{authority}^{kind}"


def coded(code: str, description: str, system: str) -> str:
    """A CE/CWE triplet."""
    return components(code, text(description), system)
