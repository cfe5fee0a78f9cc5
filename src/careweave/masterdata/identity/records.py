"""A patient registration as the matcher sees it: raw fields in, normalised fields out.

:class:`PatientRecord` is what a source system knows (the CSV columns, or a canonical
:class:`~careweave.model.identity.PatientIdentity`); :class:`PreparedRecord` holds the normalised
values every comparison and blocking rule reads, computed once per record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass

from careweave.masterdata.identity.contact import (
    house_number,
    phone_digits,
    postcode5,
    ssn_digits,
    street_line,
)
from careweave.masterdata.identity.dates import parse_birth_date
from careweave.masterdata.identity.names import fold, name_tokens
from careweave.masterdata.identity.nicknames import name_groups
from careweave.model.identity import AdministrativeSex, PatientIdentity

_SEX = {"M": "M", "MALE": "M", "F": "F", "FEMALE": "F", "X": "X", "O": "X", "OTHER": "X"}
"""Administrative sex as a letter; unknown (``U``, blank) is missing, not a value."""


@dataclass(frozen=True, slots=True)
class PatientRecord:
    """One registration of a patient in one system: the fields the matcher compares.

    Every field may be empty. ``identifiers`` are ``(assigning authority, value)`` pairs (EHR MRN,
    revenue-cycle account number, ERP patient reference): two records with the same identifier
    from the same authority are the same patient without scoring.
    """

    id: str
    given: str = ""
    family: str = ""
    birth_date: str = ""
    """``YYYY-MM-DD`` or ``YYYYMMDD``."""
    sex: str = ""
    address: str = ""
    city: str = ""
    postcode: str = ""
    phone: str = ""
    ssn: str = ""
    """Nine digits, a masked form (``***-**-1234``) or the last four."""
    identifiers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def from_row(cls, row: Mapping[str, str]) -> PatientRecord:
        """The record for a CSV row (the matcher's columns; ``assigning_authority`` and ``mrn``
        when present); values are stripped, missing columns are empty."""

        def value(name: str) -> str:
            return (row.get(name) or "").strip()

        authority, mrn = value("assigning_authority"), value("mrn")
        return cls(
            id=value("id"),
            given=value("given"),
            family=value("family"),
            birth_date=value("birth_date"),
            sex=value("sex"),
            address=value("address"),
            city=value("city"),
            postcode=value("postcode"),
            phone=value("phone"),
            ssn=value("ssn"),
            identifiers=((authority, mrn),) if authority and mrn else (),
        )

    @classmethod
    def from_identity(cls, record_id: str, identity: PatientIdentity) -> PatientRecord:
        """The record for a canonical patient identity (from an ADT, a FHIR Patient, a claim)."""
        name = identity.names[0] if identity.names else None
        address = identity.addresses[0] if identity.addresses else None
        sex = {AdministrativeSex.MALE: "M", AdministrativeSex.FEMALE: "F"}.get(
            identity.sex or AdministrativeSex.UNKNOWN, ""
        )
        ssn = next((i.value for i in identity.identifiers if i.type == "SS"), "")
        return cls(
            id=record_id,
            given=name.given[0] if name and name.given else "",
            family=name.family or "" if name else "",
            birth_date=identity.birth_date.isoformat() if identity.birth_date else "",
            sex=sex,
            address=" ".join(address.lines) if address else "",
            city=address.city or "" if address else "",
            postcode=address.postal_code or "" if address else "",
            phone="",
            ssn=ssn,
            identifiers=tuple(
                (i.system, i.value) for i in identity.identifiers if i.system and i.type != "SS"
            ),
        )


@dataclass(frozen=True, slots=True)
class PreparedRecord:
    """A record's normalised values (empty string: missing)."""

    index: int
    """Position in the batch being matched."""
    id: str
    given: str
    """First given name, folded (``JOSÉ`` is ``JOSE``)."""
    given_names: tuple[str, ...]
    """Every given-name token (first and middle names)."""
    given_groups: frozenset[str]
    """The formal names the first given name is a form of."""
    family: str
    """Family name tokens joined by one space."""
    family_tokens: tuple[str, ...]
    birth_date: str
    """Eight digits ``YYYYMMDD``."""
    sex: str
    street: str
    house: str
    city: str
    postcode: str
    phone: str
    ssn: str
    """Nine digits, or four when only the last four are known."""
    identifiers: frozenset[str]
    """``authority|value`` for each identifier."""
    problems: tuple[str, ...] = ()
    """What could not be read (an unparseable date); the field is then missing."""

    @property
    def ssn4(self) -> str:
        """The SSN's last four digits."""
        return self.ssn[-4:]

    def names_swapped(self) -> PreparedRecord:
        """This record with given and family names exchanged (a registration typed backwards)."""
        given = self.family_tokens[0] if self.family_tokens else ""
        return dataclasses.replace(
            self,
            given=given,
            given_names=self.family_tokens,
            given_groups=name_groups(given),
            family=" ".join(self.given_names),
            family_tokens=self.given_names,
        )


def prepare(record: PatientRecord, index: int) -> PreparedRecord:
    """Normalise ``record``; an unreadable birth date is missing and named in ``problems``."""
    problems: list[str] = []
    try:
        birth_date = parse_birth_date(record.birth_date)
    except ValueError as exc:
        birth_date = ""
        problems.append(str(exc))
    given_names = name_tokens(record.given)
    family_tokens = name_tokens(record.family)
    given = given_names[0] if given_names else ""
    street = street_line(record.address)
    return PreparedRecord(
        index=index,
        id=record.id,
        given=given,
        given_names=given_names,
        given_groups=name_groups(given) if given else frozenset(),
        family=" ".join(family_tokens),
        family_tokens=family_tokens,
        birth_date=birth_date,
        sex=_SEX.get(fold(record.sex), ""),
        street=street,
        house=house_number(street),
        city=fold(record.city),
        postcode=postcode5(record.postcode),
        phone=phone_digits(record.phone),
        ssn=ssn_digits(record.ssn),
        identifiers=frozenset(f"{fold(a)}|{v.strip()}" for a, v in record.identifiers if v.strip()),
        problems=tuple(problems),
    )
