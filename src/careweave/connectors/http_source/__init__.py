"""HTTP sources: a channel's endpoint served by Litestar on uvicorn (the FHIR endpoint among them)."""

from careweave.connectors.http_source.config import HttpSourceConfig
from careweave.connectors.http_source.fhir_step import FHIR_CONTENT_TYPE, fhir_decode
from careweave.connectors.http_source.server import HttpSource

__all__ = ["FHIR_CONTENT_TYPE", "HttpSource", "HttpSourceConfig", "fhir_decode"]
