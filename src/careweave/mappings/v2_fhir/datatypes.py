"""HL7 v2 data types as FHIR elements: CX, EI, XPN, XAD, XTN, CWE, XCN, XON, PL.

Each reader takes the segment, the field number and a repetition, reads the components the way
the v2-to-FHIR guide's data-type maps do, and returns None (or an empty list) when the value is
empty. The ``*_all`` forms read every repetition, so nothing a field carries is left behind.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from typing import TypeVar

from careweave.codecs.hl7v2 import Segment
from careweave.codecs.hl7v2.paths import parse_segment_path
from careweave.mappings.v2_fhir import vocab
from careweave.mappings.v2_fhir.bundle import BundleWriter, Json, compact
from careweave.mappings.v2_fhir.times import fhir_datetime

T = TypeVar("T")


def text(seg: Segment, path: str) -> str | None:
    """Decoded, stripped text at ``path`` inside ``seg`` (``"3[2].4.1"``); None when empty."""
    value = seg.get(path).strip()
    return value or None


def count(seg: Segment, field: int) -> int:
    """How many repetitions field ``field`` has (0 when empty)."""
    return len(seg.repetitions(parse_segment_path(str(field)), decode=False))


_FORMATTING = {".br": "\n", ".sp": "\n", ".ce": "\n", ".sk": " "}


def plain(value: str, escape: str) -> str:
    """Formatted text (FT, TX, NTE) with its formatting escapes applied: ``\\.br\\`` and
    ``\\.sp\\`` as line breaks, highlighting and fill/indent commands dropped, as FHIR
    strings carry no v2 formatting."""
    if not escape or escape not in value:
        return value
    e = re.escape(escape)
    pattern = e + r"(\.br|\.sp|\.ce|\.fi|\.nf|\.sk|\.in|\.ti|H|N)[+-]?\d*" + e
    return re.sub(pattern, lambda m: _FORMATTING.get(m.group(1), ""), value)


def every(seg: Segment, field: int, read: Callable[[Segment, int, int], T | None]) -> list[T]:
    """``read`` applied to each repetition of field ``field``, the empty ones left out."""
    found = (read(seg, field, rep) for rep in range(1, count(seg, field) + 1))
    return [x for x in found if x is not None]


def coding(seg: Segment, p: str, first: int) -> Json | None:
    """The Coding of a CWE triplet starting at component ``first`` (code, text, system)."""
    code = text(seg, f"{p}.{first}")
    if code is None:
        return None
    return compact(
        {
            "system": vocab.code_system(text(seg, f"{p}.{first + 2}")),
            "code": code,
            "display": text(seg, f"{p}.{first + 1}"),
        }
    )


def cwe(seg: Segment, field: int, rep: int = 1) -> Json | None:
    """A CWE/CE/CNE as a CodeableConcept: both triplets as codings, CWE-9 (or a lone text) as text."""
    p = f"{field}[{rep}]"
    codings = [c for c in (coding(seg, p, 1), coding(seg, p, 4), coding(seg, p, 10)) if c]
    label = text(seg, f"{p}.9")
    if not codings:
        label = label or text(seg, f"{p}.2") or text(seg, f"{p}.5")
        return {"text": label} if label else None
    return compact({"coding": codings, "text": label})


def table_code(seg: Segment, field: int, table: str, rep: int = 1) -> Json | None:
    """An IS/ID value (or a CWE naming no system) as a CodeableConcept of HL7 table ``table``."""
    concept = cwe(seg, field, rep)
    if concept is None:
        return None
    for c in concept.get("coding", []):
        c.setdefault("system", vocab.V2 + table)
    return concept


def period(start: str | None, end: str | None) -> Json | None:
    """A Period, None when both ends are unknown."""
    return compact({"start": start, "end": end}) or None


def cx(w: BundleWriter, seg: Segment, field: int, rep: int = 1) -> Json | None:
    """A CX as an Identifier: system from the assigning authority, type from CX-5 (table 0203)."""
    p = f"{field}[{rep}]"
    value = text(seg, f"{p}.1")
    if value is None:
        return None
    namespace = text(seg, f"{p}.4.1")
    kind = text(seg, f"{p}.5")
    system = w.authorities.system(namespace, text(seg, f"{p}.4.2"), text(seg, f"{p}.4.3"), kind)
    where = f"{seg.id}-{field}"
    return compact(
        {
            "type": {"coding": [{"system": vocab.V2 + "0203", "code": kind}]} if kind else None,
            "system": system,
            "value": value,
            "period": period(
                fhir_datetime(text(seg, f"{p}.7"), w, where),
                fhir_datetime(text(seg, f"{p}.8"), w, where),
            ),
            "assigner": {"display": namespace} if namespace else None,
        }
    )


def cx_all(w: BundleWriter, seg: Segment, field: int) -> list[Json]:
    """Every repetition of a CX field as Identifiers."""
    return every(seg, field, lambda s, f, r: cx(w, s, f, r))


def ei(
    w: BundleWriter, seg: Segment, field: int, kind: str | None = None, rep: int = 1
) -> Json | None:
    """An EI (``id^namespace^universal id^type``) as an Identifier typed ``kind`` (table 0203)."""
    p = f"{field}[{rep}]"
    value = text(seg, f"{p}.1")
    if value is None:
        return None
    namespace = text(seg, f"{p}.2")
    return compact(
        {
            "type": {"coding": [{"system": vocab.V2 + "0203", "code": kind}]} if kind else None,
            "system": w.authorities.system(namespace, text(seg, f"{p}.3"), text(seg, f"{p}.4")),
            "value": value,
        }
    )


def xpn(seg: Segment, field: int, rep: int = 1) -> Json | None:
    """An XPN as a HumanName (family, given and middle, prefix, suffix and degree, use)."""
    p = f"{field}[{rep}]"
    family = text(seg, f"{p}.1.1")
    given = [g for g in (text(seg, f"{p}.2"), text(seg, f"{p}.3")) if g]
    if family is None and not given:
        return None
    kind = text(seg, f"{p}.7")
    return compact(
        {
            "use": vocab.NAME_USE.get(kind.upper()) if kind else None,
            "family": family,
            "given": given,
            "prefix": [x for x in (text(seg, f"{p}.5"),) if x],
            "suffix": [x for x in (text(seg, f"{p}.4"), text(seg, f"{p}.6")) if x],
        }
    )


def xpn_all(seg: Segment, field: int) -> list[Json]:
    """Every repetition of an XPN field as HumanNames."""
    return every(seg, field, xpn)


def xad(w: BundleWriter, seg: Segment, field: int, rep: int = 1) -> Json | None:
    """An XAD as an Address (lines, city, district, state, postal code, country, use/type)."""
    p = f"{field}[{rep}]"
    lines = [x for x in (text(seg, f"{p}.1.1"), text(seg, f"{p}.2")) if x]
    kind = text(seg, f"{p}.7")
    use, typ = vocab.ADDRESS_USE.get(kind.upper(), (None, None)) if kind else (None, None)
    address = compact(
        {
            "line": lines,
            "city": text(seg, f"{p}.3"),
            "district": text(seg, f"{p}.9"),
            "state": text(seg, f"{p}.4"),
            "postalCode": text(seg, f"{p}.5"),
            "country": text(seg, f"{p}.6"),
        }
    )
    if not address:
        return None
    where = f"{seg.id}-{field}"
    valid = period(
        fhir_datetime(text(seg, f"{p}.13"), w, where), fhir_datetime(text(seg, f"{p}.14"), w, where)
    )
    return compact({"use": use, "type": typ, **address, "period": valid})


def xad_all(w: BundleWriter, seg: Segment, field: int) -> list[Json]:
    """Every repetition of an XAD field as Addresses."""
    return every(seg, field, lambda s, f, r: xad(w, s, f, r))


def xtn(seg: Segment, field: int, rep: int = 1, default_use: str | None = None) -> Json | None:
    """An XTN as a ContactPoint: the e-mail address (XTN-4), else the number from its parts
    (country, area, local, extension), else the unformatted XTN-1."""
    p = f"{field}[{rep}]"
    equipment = (text(seg, f"{p}.3") or "").upper()
    email = text(seg, f"{p}.4")
    local = text(seg, f"{p}.7")
    number = None
    if local:
        parts = [text(seg, f"{p}.5"), text(seg, f"{p}.6"), local]
        number = " ".join(x for x in parts if x)
        extension = text(seg, f"{p}.8")
        if extension:
            number += f" x{extension}"
    value = email if email and (equipment in ("INTERNET", "X.400", "") or not number) else None
    value = value or number or text(seg, f"{p}.1") or text(seg, f"{p}.12")
    if value is None:
        return None
    system = vocab.TELECOM_SYSTEM.get(equipment)
    if system is None:
        system = "email" if "@" in value else "phone"
    use_code = (text(seg, f"{p}.2") or "").upper()
    use = "mobile" if equipment == "CP" else vocab.TELECOM_USE.get(use_code, default_use)
    return compact({"system": system, "value": value, "use": use})


def xtn_all(seg: Segment, field: int, default_use: str | None = None) -> list[Json]:
    """Every repetition of an XTN field as ContactPoints."""
    return every(seg, field, lambda s, f, r: xtn(s, f, r, default_use))


def xcn(w: BundleWriter, seg: Segment, field: int, rep: int = 1) -> str | None:
    """An XCN clinician as a Practitioner (one per clinician in the bundle); its reference."""
    p = f"{field}[{rep}]"
    ident = text(seg, f"{p}.1")
    family = text(seg, f"{p}.2.1")
    given = [g for g in (text(seg, f"{p}.3"), text(seg, f"{p}.4")) if g]
    if ident is None and family is None and not given:
        return None
    kind = text(seg, f"{p}.13")
    identifier = None
    if ident:
        system = w.authorities.system(
            text(seg, f"{p}.9.1"), text(seg, f"{p}.9.2"), text(seg, f"{p}.9.3"), kind
        )
        identifier = compact(
            {
                "type": {"coding": [{"system": vocab.V2 + "0203", "code": kind}]} if kind else None,
                "system": system,
                "value": ident,
            }
        )
    name = compact(
        {
            "family": family,
            "given": given,
            "prefix": [x for x in (text(seg, f"{p}.6"),) if x],
            "suffix": [x for x in (text(seg, f"{p}.5"), text(seg, f"{p}.7")) if x],
        }
    )
    practitioner = compact(
        {
            "resourceType": "Practitioner",
            "identifier": [identifier] if identifier else [],
            "name": [name] if name else [],
        }
    )
    key = f"Practitioner|{ident}|{family}|{'|'.join(given)}"
    return w.add(practitioner, key=key)


def xcn_all(w: BundleWriter, seg: Segment, field: int) -> list[str]:
    """Every clinician of an XCN field, as Practitioner references."""
    return every(seg, field, lambda s, f, r: xcn(w, s, f, r))


def xon(w: BundleWriter, seg: Segment, field: int, rep: int = 1) -> str | None:
    """An XON organization as an Organization (one per name and id); its reference."""
    p = f"{field}[{rep}]"
    name = text(seg, f"{p}.1")
    ident = text(seg, f"{p}.10") or text(seg, f"{p}.3")
    if name is None and ident is None:
        return None
    identifier = None
    if ident:
        identifier = compact(
            {
                "system": w.authorities.system(
                    text(seg, f"{p}.6.1"), text(seg, f"{p}.6.2"), text(seg, f"{p}.6.3")
                ),
                "value": ident,
            }
        )
    return organization(w, name, [identifier] if identifier else [])


def organization(
    w: BundleWriter,
    name: str | None,
    identifiers: list[Json],
    address: list[Json] | None = None,
    telecom: list[Json] | None = None,
) -> str:
    """An Organization (one per name and first identifier in the bundle); its reference."""
    first = identifiers[0].get("value") if identifiers else None
    resource = compact(
        {
            "resourceType": "Organization",
            "identifier": identifiers,
            "name": name,
            "telecom": telecom or [],
            "address": address or [],
        }
    )
    return w.add(resource, key=f"Organization|{name}|{first}")


def pl(w: BundleWriter, seg: Segment, field: int, rep: int = 1) -> str | None:
    """A PL person location as a Location named by its parts (point of care, room, bed,
    facility...); one per place in the bundle. Its reference, None when empty."""
    p = f"{field}[{rep}]"
    parts = [text(seg, f"{p}.{c}.1") for c in (1, 2, 3, 4, 7, 8)]
    label = " ".join(x for x in parts if x) or text(seg, f"{p}.9")
    if label is None:
        return None
    resource = compact(
        {
            "resourceType": "Location",
            "name": label,
            "description": text(seg, f"{p}.9"),
            "mode": "instance",
        }
    )
    return w.add(resource, key=f"Location|{label}")


def ed_attachment(w: BundleWriter, seg: Segment, field: int, where: str) -> Json | None:
    """An ED (source^type^subtype^encoding^data) as an Attachment: Base64 data kept, Hex data
    re-encoded; other encodings, or data that does not decode, are left out with a warning."""
    kind = "/".join(x for x in (text(seg, f"{field}.2"), text(seg, f"{field}.3")) if x).lower()
    encoding = (text(seg, f"{field}.4") or "").upper()
    payload = "".join((text(seg, f"{field}.5") or "").split())
    if not payload:
        return None
    try:
        if encoding == "HEX":
            data = base64.b64encode(bytes.fromhex(payload)).decode("ascii")
        elif encoding == "BASE64":
            base64.b64decode(payload, validate=True)
            data = payload
        else:
            w.warn(where, f"encapsulated data in {encoding or 'no'} encoding; left out")
            return None
    except (ValueError, binascii.Error):
        w.warn(where, f"encapsulated data is not valid {encoding.lower()}; left out")
        return None
    return {"contentType": kind if "/" in kind else "application/octet-stream", "data": data}
