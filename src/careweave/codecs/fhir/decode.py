"""Decoding and encoding FHIR R4 JSON: single resources, Bundles and NDJSON exports.

Errors are :class:`~careweave.exceptions.FhirError` naming the resource and the JSON path of the
problem (``Patient/pat1 at $.gender: Expected ... got 'bogus'``), never a bare msgspec error.
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from careweave.codecs.fhir.administration import (
    Location,
    Organization,
    Patient,
    Practitioner,
    Resource,
)
from careweave.codecs.fhir.bundle import Bundle, ResourceIndex, UnsupportedResource
from careweave.codecs.fhir.care import Device, DeviceUseStatement, Encounter, Procedure
from careweave.codecs.fhir.financial import Account, ChargeItem, Coverage, SupplyDelivery
from careweave.exceptions import FhirError

KnownResource = (
    Patient
    | Practitioner
    | Organization
    | Location
    | Encounter
    | Procedure
    | Device
    | DeviceUseStatement
    | ChargeItem
    | Account
    | Coverage
    | SupplyDelivery
    | Bundle
)
AnyResource = KnownResource | UnsupportedResource

RESOURCE_TYPES: dict[str, type[Resource]] = {
    cls.__name__: cls
    for cls in (
        Patient,
        Practitioner,
        Organization,
        Location,
        Encounter,
        Procedure,
        Device,
        DeviceUseStatement,
        ChargeItem,
        Account,
        Coverage,
        SupplyDelivery,
        Bundle,
    )
}
"""The resource types careweave decodes into Structs, by ``resourceType``."""

_ENCODER = msgspec.json.Encoder(decimal_format="number")


class _Head(msgspec.Struct, rename="camel"):
    resource_type: str | None = None
    id: str | None = None


def _label(head: _Head) -> str:
    return f"{head.resource_type}/{head.id}" if head.id else str(head.resource_type)


def decode_resource(data: bytes | str) -> AnyResource:
    """Decode one resource (a Bundle included); types careweave does not model stay raw.

    Raises :class:`FhirError` when the JSON is malformed, has no ``resourceType``, or a
    modelled resource breaks its structure (missing required element, wrong type or code).
    """
    raw = data.encode() if isinstance(data, str) else data
    try:
        head = msgspec.json.decode(raw, type=_Head)
    except msgspec.ValidationError as exc:  # a subclass of DecodeError: caught first
        raise FhirError(f"not a FHIR resource object: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise FhirError(f"not a FHIR JSON resource: {exc}") from exc
    if not head.resource_type:
        raise FhirError("JSON object has no resourceType")
    cls = RESOURCE_TYPES.get(head.resource_type)
    if cls is None:
        return UnsupportedResource(resource_type=head.resource_type, id=head.id, raw=bytes(raw))
    try:
        resource: KnownResource = msgspec.json.decode(raw, type=cls)  # type: ignore[assignment]
    except msgspec.ValidationError as exc:
        raise FhirError(f"invalid {_label(head)}: {exc}") from exc
    return resource


def bundle_entries(bundle: Bundle) -> Iterator[tuple[str | None, AnyResource]]:
    """Each entry's full URL and decoded resource (entries without a resource are skipped).

    An invalid entry raises :class:`FhirError` naming its position in the Bundle.
    """
    for i, entry in enumerate(bundle.entry):
        if not entry.resource:
            continue
        try:
            yield entry.full_url, decode_resource(bytes(entry.resource))
        except FhirError as exc:
            raise FhirError(f"Bundle entry[{i}]: {exc.message}") from exc


def index_bundle(bundle: Bundle) -> ResourceIndex:
    """Every resource of ``bundle``, decoded and indexed by reference."""
    index = ResourceIndex()
    for full_url, resource in bundle_entries(bundle):
        index.add(resource, full_url=full_url)
    return index


def decode_ndjson(data: bytes | str) -> Iterator[AnyResource]:
    """Decode a bulk-data NDJSON export: one resource per non-blank line.

    An invalid line raises :class:`FhirError` naming its line number.
    """
    raw = data.encode() if isinstance(data, str) else data
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield decode_resource(line)
        except FhirError as exc:
            raise FhirError(f"line {number}: {exc.message}") from exc


def encode_resource(resource: Resource) -> bytes:
    """FHIR JSON for ``resource`` (decimals written as JSON numbers, empty elements omitted)."""
    return _ENCODER.encode(resource)
