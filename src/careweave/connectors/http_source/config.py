"""Settings of an HTTP listener as a channel's source."""

from __future__ import annotations

from typing import Annotated

import msgspec

from careweave.connectors.fhir_client.config import FhirClientConfig
from careweave.connectors.tls import ListenerTls


class HttpSourceConfig(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="http",
    tag_field="type",
):
    """An HTTP endpoint (Litestar on uvicorn) as a channel's source.

    With ``format = "fhir"`` the channel is a FHIR endpoint below ``path``; otherwise each POST to
    ``path`` is one message.
    """

    host: Annotated[str, msgspec.Meta(min_length=1)] = "127.0.0.1"
    """Address to bind."""
    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] = 8080
    """Port to bind (0 picks a free one)."""
    path: str = "/fhir"
    """Base path of the endpoint (the FHIR base for ``format = "fhir"``)."""
    max_body_bytes: Annotated[int, msgspec.Meta(ge=1)] = 10_485_760
    """Largest accepted request body; a larger one is refused with 413."""
    tls: ListenerTls | None = None
    """Serve HTTPS with these PEM files (``client_ca``: clients need a certificate it signed)."""
    ehr: FhirClientConfig | None = None
    """The EHR's FHIR API, to fetch the resources of id-only Subscription notifications."""
