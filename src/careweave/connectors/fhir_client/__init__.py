"""A FHIR client for an EHR's FHIR API, authenticating as a SMART backend service."""

from careweave.connectors.fhir_client.client import FhirClient
from careweave.connectors.fhir_client.config import FhirClientConfig
from careweave.connectors.fhir_client.smart import (
    ASSERTION_TYPE,
    SmartTokenSource,
    client_assertion,
    load_private_key,
)

__all__ = [
    "ASSERTION_TYPE",
    "FhirClient",
    "FhirClientConfig",
    "SmartTokenSource",
    "client_assertion",
    "load_private_key",
]
