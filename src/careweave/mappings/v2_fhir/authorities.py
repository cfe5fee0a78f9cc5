"""Assigning authorities onto FHIR ``Identifier.system`` URIs.

HL7 v2 names who issued an identifier with an assigning authority (an HD: a namespace name, a
universal id and its type); FHIR wants a URI. :class:`AuthorityTable` decides, in this order:

1. a universal id shaped like an OID -> ``urn:oid:<oid>``, except the OIDs FHIR gives a
   well-known URI (SSN, NPI); a UUID -> ``urn:uuid:``; a URI is kept;
2. the table (configured names first, then the defaults: ``SS`` -> us-ssn, ``NPI`` -> us-npi...);
3. the identifier type alone when no authority is sent (``SS``, ``NPI``, ``DL``);
4. any other name -> ``urn:careweave:authority:<slug>``: never a raw name with spaces.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping

from careweave.exceptions import ConfigError

SSN_SYSTEM = "http://hl7.org/fhir/sid/us-ssn"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
AUTHORITY_PREFIX = "urn:careweave:authority:"
DRIVERS_LICENSE_PREFIX = AUTHORITY_PREFIX + "dl-"

DEFAULT_AUTHORITIES: dict[str, str] = {
    "SS": SSN_SYSTEM,
    "SSN": SSN_SYSTEM,
    "SSA": SSN_SYSTEM,
    "USSSA": SSN_SYSTEM,
    "2.16.840.1.113883.4.1": SSN_SYSTEM,
    "NPI": NPI_SYSTEM,
    "2.16.840.1.113883.4.6": NPI_SYSTEM,
    "CMS": "http://hl7.org/fhir/sid/us-mbi",
    "MEDICARE": "http://hl7.org/fhir/sid/us-mbi",
}
"""Authority names (upper case) and OIDs that FHIR knows by a well-known URI."""

TYPE_SYSTEMS: dict[str, str] = {"SS": SSN_SYSTEM, "NPI": NPI_SYSTEM}
"""Identifier types (table 0203) that name the system when no authority is sent."""

_OID = re.compile(r"[0-2](\.(0|[1-9]\d*))+")
_UUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_URI = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*:\S+")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """``"NIST MPI"`` -> ``"nist-mpi"``: lower case, runs of other characters as one hyphen."""
    return _NOT_SLUG.sub("-", name.lower()).strip("-") or "unnamed"


def is_uri(value: str) -> bool:
    """True for an absolute URI without spaces (``urn:oid:1.2``, ``http://x``)."""
    return _URI.fullmatch(value) is not None


class AuthorityTable:
    """Assigning authority -> ``Identifier.system``; ``overrides`` win over the defaults.

    Keys are matched case-insensitively; every value must be an absolute URI.
    """

    __slots__ = ("_table",)

    def __init__(self, overrides: Mapping[str, str] | None = None) -> None:
        table = dict(DEFAULT_AUTHORITIES)
        for name, uri in (overrides or {}).items():
            if not is_uri(uri):
                raise ConfigError(f"authority {name!r}: {uri!r} is not an absolute URI")
            table[name.strip().upper()] = uri
        self._table = table

    def lookup(self, name: str | None) -> str | None:
        """The configured or default URI for ``name``, else None."""
        return self._table.get(name.strip().upper()) if name else None

    def system(
        self,
        namespace: str | None,
        universal_id: str | None = None,
        universal_type: str | None = None,
        id_type: str | None = None,
    ) -> str | None:
        """The system URI of an identifier issued by this HD (None when nothing names one)."""
        if universal_id:
            known = self.lookup(universal_id)
            if known:
                return known
            # The shape decides, not the declared type: senders type "1.Aux" as ISO.
            kind = (universal_type or "").upper()
            if _OID.fullmatch(universal_id):
                return f"urn:oid:{universal_id}"
            if _UUID.fullmatch(universal_id):
                return f"urn:uuid:{universal_id.lower()}"
            if is_uri(universal_id) and kind in ("URI", ""):
                return universal_id
        if namespace:
            known = self.lookup(namespace)
            if known:
                return known
            if _OID.fullmatch(namespace):
                return f"urn:oid:{namespace}"
        kind_of_id = (id_type or "").upper()
        if kind_of_id in TYPE_SYSTEMS and not namespace:
            return TYPE_SYSTEMS[kind_of_id]
        if kind_of_id == "DL":
            return (
                DRIVERS_LICENSE_PREFIX + slug(namespace) if namespace else AUTHORITY_PREFIX + "dl"
            )
        name = namespace or universal_id
        return AUTHORITY_PREFIX + slug(name) if name else None


def load_authorities(text: str, source: str) -> AuthorityTable:
    """An :class:`AuthorityTable` from TOML text: an ``[authorities]`` table of name = URI.

    Raises :class:`ConfigError` naming ``source`` when the text is not such a table.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    table = data.get("authorities", data)
    if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
        raise ConfigError(f'{source}: expected an [authorities] table of name = "URI" pairs')
    try:
        return AuthorityTable(table)
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
