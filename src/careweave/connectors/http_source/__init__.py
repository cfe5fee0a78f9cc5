"""HTTP sources: a channel's endpoint served by Litestar on uvicorn (the FHIR endpoint among them).

The server (uvicorn and Litestar, most of a command's start-up time) is imported only when a
channel actually serves HTTP: settings and every other command need just the config struct.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from careweave.connectors.http_source.config import HttpSourceConfig
from careweave.connectors.http_source.fhir_step import FHIR_CONTENT_TYPE, fhir_decode

if TYPE_CHECKING:
    from careweave.connectors.http_source.server import HttpSource

__all__ = ["FHIR_CONTENT_TYPE", "HttpSource", "HttpSourceConfig", "fhir_decode"]


def __getattr__(name: str) -> Any:
    if name == "HttpSource":
        from careweave.connectors.http_source.server import HttpSource

        return HttpSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
