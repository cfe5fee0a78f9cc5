"""A simulated EHR FHIR API (SMART backend services token endpoint, search, read, rest-hooks)."""

from careweave.sandbox.ehr_fhir.app import EhrFhirSimulator
from careweave.sandbox.ehr_fhir.auth import TokenRefused, TokenService
from careweave.sandbox.ehr_fhir.keys import ClientKey, generate_client_key
from careweave.sandbox.ehr_fhir.resources import ResourceStore
from careweave.sandbox.ehr_fhir.seed import cardiology_case, seed_cardiology
from careweave.sandbox.ehr_fhir.server import EhrFhirServer

__all__ = [
    "ClientKey",
    "EhrFhirServer",
    "EhrFhirSimulator",
    "ResourceStore",
    "TokenRefused",
    "TokenService",
    "cardiology_case",
    "generate_client_key",
    "seed_cardiology",
]
