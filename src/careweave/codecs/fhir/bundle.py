"""FHIR Bundles: decoding entries lazily and resolving references between them."""

from __future__ import annotations

from typing import TypeVar

import msgspec

from careweave.codecs.fhir.administration import Resource

T = TypeVar("T")


class _Part(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, rename="camel"):
    """Base of backbone elements."""


class BundleEntryRequest(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """How a transaction or batch entry is to be processed."""

    method: str
    url: str
    if_none_exist: str | None = None
    if_match: str | None = None


class BundleEntry(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """One entry of a Bundle; its resource stays raw JSON until someone decodes it."""

    full_url: str | None = None
    resource: msgspec.Raw = msgspec.field(default_factory=msgspec.Raw)
    """The entry's resource as raw JSON (empty when the entry has none, e.g. a DELETE)."""
    request: BundleEntryRequest | None = None


class Bundle(Resource, frozen=True, kw_only=True, omit_defaults=True):
    """A collection of resources: a transaction, a batch, a collection, a search result."""

    type: str
    timestamp: str | None = None
    total: int | None = None
    entry: tuple[BundleEntry, ...] = ()


class UnsupportedResource(msgspec.Struct, frozen=True, kw_only=True):
    """A resource of a type careweave does not model; kept as raw JSON."""

    resource_type: str
    id: str | None = None
    raw: bytes = b""


class ResourceIndex:
    """Finds a Bundle's resources by reference (``Patient/1``, a full URL or ``urn:uuid:``)."""

    def __init__(self) -> None:
        self._by_ref: dict[str, object] = {}

    def add(self, resource: object, *, full_url: str | None = None) -> None:
        """Index ``resource`` under its ``Type/id`` and under its entry's full URL."""
        if full_url:
            self._by_ref[full_url] = resource
        rid = getattr(resource, "id", None)
        rtype = resource_type_of(resource)
        if rid and rtype:
            self._by_ref[f"{rtype}/{rid}"] = resource

    def resolve(self, reference: str | None, kind: type[T]) -> T | None:
        """The resource ``reference`` points at, if it is in the index and is a ``kind``."""
        if not reference:
            return None
        found = self._by_ref.get(reference)
        if found is None and "/" in reference:
            # An absolute URL (http://server/fhir/Patient/1) resolves by its last two parts.
            found = self._by_ref.get("/".join(reference.rsplit("/", 2)[-2:]))
        return found if isinstance(found, kind) else None


def resource_type_of(resource: object) -> str | None:
    """The FHIR ``resourceType`` of a decoded resource."""
    if isinstance(resource, UnsupportedResource):
        return resource.resource_type
    if isinstance(resource, Resource):
        return type(resource).__name__
    return None
