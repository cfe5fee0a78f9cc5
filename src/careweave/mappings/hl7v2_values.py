"""HL7 v2 data types (CX, XPN, XAD, XCN, CWE, PL, DTM, NM, CP) read into canonical values.

Every reader takes a segment, a field number and a repetition, and returns ``None`` for an empty
value. A value that is present but malformed (a date ``2021-13-45``, a quantity ``two``) raises
:class:`MappingError` naming the segment and field, never a bare ``ValueError``.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re

from careweave.codecs.hl7v2.paths import parse_segment_path
from careweave.codecs.hl7v2.segment import Segment
from careweave.exceptions import MappingError
from careweave.model.care import Code, Location, Provider
from careweave.model.charges import Money
from careweave.model.identity import Address, AdministrativeSex, Identifier, PersonName

NPI_OID = "2.16.840.1.113883.4.6"
"""The OID of the US National Provider Identifier, as senders put it in an assigning authority."""

_DTM = re.compile(
    r"(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?(?:([+-])(\d{2})(\d{2}))?"
)
_SEX = {
    "M": AdministrativeSex.MALE,
    "F": AdministrativeSex.FEMALE,
    "O": AdministrativeSex.OTHER,
    "A": AdministrativeSex.OTHER,
    "N": AdministrativeSex.OTHER,
    "U": AdministrativeSex.UNKNOWN,
}


def text(seg: Segment, path: str) -> str | None:
    """Decoded text at ``path`` inside ``seg`` (``"3[2].4.1"``), None when empty."""
    return seg.get(path) or None


def repetition_count(seg: Segment, field: int) -> int:
    """How many repetitions field ``field`` of ``seg`` has (0 when empty)."""
    return len(seg.repetitions(parse_segment_path(str(field)), decode=False))


def parse_dtm(value: str | None, where: str) -> dt.datetime | None:
    """An HL7 DTM/TS as a datetime: aware when it has an offset, naive (sender-local) otherwise."""
    if not value:
        return None
    m = _DTM.fullmatch(value.strip())
    if m is None:
        raise MappingError(f"{where}: invalid date/time {value!r}")
    year, month, day, hour, minute, second, frac, sign, tzh, tzm = m.groups()
    tz = None
    if sign:
        offset = dt.timedelta(hours=int(tzh), minutes=int(tzm))
        tz = dt.timezone(-offset if sign == "-" else offset)
    try:
        # Naive on purpose when the sender gave no offset (see careweave.model.care).
        return dt.datetime(
            int(year),
            int(month or 1),
            int(day or 1),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((frac or "0").ljust(6, "0")[:6]),
            tzinfo=tz,
        )
    except ValueError as exc:
        raise MappingError(f"{where}: invalid date/time {value!r} ({exc})") from None


def parse_date(value: str | None, where: str) -> dt.date | None:
    """The calendar date of an HL7 DT/DTM (its time and offset ignored)."""
    moment = parse_dtm(value, where)
    return moment.date() if moment else None


def dtm(seg: Segment, path: str) -> dt.datetime | None:
    """The DTM at ``path`` of ``seg``."""
    return parse_dtm(text(seg, path), f"{seg.id}-{path}")


def number(seg: Segment, path: str) -> decimal.Decimal | None:
    """The NM at ``path`` of ``seg`` as a Decimal."""
    value = text(seg, path)
    if value is None:
        return None
    try:
        return decimal.Decimal(value.strip())
    except decimal.InvalidOperation:
        raise MappingError(f"{seg.id}-{path}: invalid number {value!r}") from None


def money(seg: Segment, field: int) -> Money | None:
    """A CP/MO amount (``100&USD``); the currency defaults to USD when not sent."""
    amount = number(seg, f"{field}.1.1")
    if amount is None:
        return None
    return Money(amount=amount, currency=text(seg, f"{field}.1.2") or "USD")


def sex(seg: Segment, field: int) -> AdministrativeSex | None:
    """HL7 table 0001 administrative sex; an unknown code becomes ``unknown``."""
    value = text(seg, f"{field}.1")
    if value is None:
        return None
    return _SEX.get(value.upper(), AdministrativeSex.UNKNOWN)


def cx(seg: Segment, field: int, rep: int = 1) -> Identifier | None:
    """A CX identifier; the assigning authority is its namespace id, else its universal id."""
    p = f"{field}[{rep}]"
    value = text(seg, f"{p}.1")
    if value is None:
        return None
    system = text(seg, f"{p}.4.1") or text(seg, f"{p}.4.2")
    return Identifier(value=value, system=system, type=text(seg, f"{p}.5"))


def cx_all(seg: Segment, field: int) -> list[Identifier]:
    """Every identifier repetition of a CX field."""
    found = (cx(seg, field, r) for r in range(1, repetition_count(seg, field) + 1))
    return [i for i in found if i is not None]


def ei(seg: Segment, field: int, rep: int = 1) -> Identifier | None:
    """An EI entity identifier (``id^namespace^oid^type``)."""
    p = f"{field}[{rep}]"
    value = text(seg, f"{p}.1")
    if value is None:
        return None
    return Identifier(value=value, system=text(seg, f"{p}.2") or text(seg, f"{p}.3"))


def xpn(seg: Segment, field: int, rep: int = 1) -> PersonName | None:
    """An XPN person name (family, given, middle, suffix, prefix, name type)."""
    p = f"{field}[{rep}]"
    family = text(seg, f"{p}.1.1")
    given = tuple(g for g in (text(seg, f"{p}.2"), text(seg, f"{p}.3")) if g)
    if family is None and not given:
        return None
    return PersonName(
        family=family,
        given=given,
        suffix=text(seg, f"{p}.4"),
        prefix=text(seg, f"{p}.5"),
        use=text(seg, f"{p}.7"),
    )


def xpn_all(seg: Segment, field: int) -> list[PersonName]:
    """Every name repetition of an XPN field."""
    found = (xpn(seg, field, r) for r in range(1, repetition_count(seg, field) + 1))
    return [n for n in found if n is not None]


def xad_all(seg: Segment, field: int) -> list[Address]:
    """Every repetition of an XAD address field."""
    out: list[Address] = []
    for r in range(1, repetition_count(seg, field) + 1):
        p = f"{field}[{r}]"
        lines = tuple(x for x in (text(seg, f"{p}.1.1"), text(seg, f"{p}.2")) if x)
        address = Address(
            lines=lines,
            city=(text(seg, f"{p}.3") or "").strip() or None,
            state=text(seg, f"{p}.4"),
            postal_code=text(seg, f"{p}.5"),
            country=text(seg, f"{p}.6"),
            use=text(seg, f"{p}.7"),
        )
        if address != Address():
            out.append(address)
    return out


def xcn(seg: Segment, field: int, rep: int = 1) -> Provider | None:
    """An XCN clinician. The id is an NPI when typed ``NPI`` or issued under the NPI OID."""
    p = f"{field}[{rep}]"
    ident = text(seg, f"{p}.1")
    family = text(seg, f"{p}.2.1")
    given = tuple(g for g in (text(seg, f"{p}.3"), text(seg, f"{p}.4")) if g)
    if ident is None and family is None and not given:
        return None
    authority = text(seg, f"{p}.9.1") or text(seg, f"{p}.9.2")
    id_type = text(seg, f"{p}.13")
    is_npi = id_type == "NPI" or text(seg, f"{p}.9.2") == NPI_OID or authority == "NPI"
    name = None
    if family or given:
        name = PersonName(
            family=family, given=given, suffix=text(seg, f"{p}.5"), prefix=text(seg, f"{p}.6")
        )
    identifier = Identifier(value=ident, system=authority, type=id_type) if ident else None
    return Provider(npi=ident if is_npi else None, identifier=identifier, name=name)


def cwe(seg: Segment, field: int, rep: int = 1) -> Code | None:
    """A CWE/CNE/CE code (the alternate triplet when the first is empty)."""
    p = f"{field}[{rep}]"
    for offset in (0, 3):
        code = text(seg, f"{p}.{1 + offset}")
        if code:
            return Code(
                code=code,
                display=text(seg, f"{p}.{2 + offset}"),
                system=text(seg, f"{p}.{3 + offset}"),
            )
    return None


def cwe_all(seg: Segment, field: int) -> list[Code]:
    """Every coded repetition of a CWE field."""
    found = (cwe(seg, field, r) for r in range(1, repetition_count(seg, field) + 1))
    return [c for c in found if c is not None]


def pl(seg: Segment, field: int) -> Location | None:
    """A PL person location (point of care, room, bed, facility, building, floor)."""
    location = Location(
        point_of_care=text(seg, f"{field}.1.1"),
        room=text(seg, f"{field}.2.1"),
        bed=text(seg, f"{field}.3.1"),
        facility=text(seg, f"{field}.4.1"),
        building=text(seg, f"{field}.7.1"),
        floor=text(seg, f"{field}.8.1"),
        description=text(seg, f"{field}.9"),
    )
    return None if location == Location() else location
