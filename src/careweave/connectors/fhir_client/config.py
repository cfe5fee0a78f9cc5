"""Settings of a FHIR client that reads an EHR's FHIR API as a SMART backend service."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from careweave.connectors.base import require_http_url


class FhirClientConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where the EHR's FHIR API is and how careweave authenticates to it.

    The private key stays in a file (never in the settings); the EHR holds the matching public
    key, registered for ``client_id`` as a JWKS.
    """

    base_url: str
    """The FHIR base (``https://ehr.example.org/fhir``); searches and reads go below it."""
    token_url: str = ""
    """The OAuth token endpoint; empty means an open server (no Authorization header)."""
    client_id: str = ""
    """The client id the EHR registered for careweave (``iss`` and ``sub`` of the assertion)."""
    private_key_path: str = ""
    """PEM file of the private key that signs the client assertion."""
    key_id: str = ""
    """The ``kid`` of the key in the JWKS registered at the EHR."""
    algorithm: Literal["RS384", "ES384"] = "RS384"
    """Signature algorithm of the client assertion (the two SMART requires servers to support)."""
    scope: str = "system/*.read"
    """Scopes requested with each token."""
    timeout: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    """Seconds for connect, write and read each."""
    token_leeway: Annotated[float, msgspec.Meta(ge=0)] = 60.0
    """Seconds before a token's expiry at which a new one is fetched."""
    max_pages: Annotated[int, msgspec.Meta(ge=1)] = 1000
    """Most pages a search follows (a guard against a server whose ``next`` link loops)."""

    def __post_init__(self) -> None:
        require_http_url(self.base_url, "base_url")
        if self.token_url:
            require_http_url(self.token_url, "token_url")
