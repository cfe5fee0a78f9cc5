"""The ``[tracing]`` and ``[metrics]`` settings (parsed with the rest by :mod:`careweave.config`).

::

    [tracing]
    enabled = true                                   # record spans (an endpoint implies it)
    otlp_endpoint = "http://127.0.0.1:4318/v1/traces"  # OTLP over HTTP; empty: no export
    service_name = "careweave"

    [metrics]
    port = 9464            # serve GET /metrics here (unset: not on a port of its own)
    host = "127.0.0.1"
"""

from __future__ import annotations

from typing import Annotated

import msgspec


class TracingConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """OpenTelemetry tracing of each message, from receipt through every delivery."""

    enabled: bool = False
    """Record spans. Without an ``otlp_endpoint`` they go nowhere (tests attach an exporter)."""
    otlp_endpoint: str = ""
    """OTLP/HTTP traces endpoint (``http://collector:4318/v1/traces``); setting it enables tracing."""
    service_name: Annotated[str, msgspec.Meta(min_length=1)] = "careweave"
    """``service.name`` of the spans' resource."""
    timeout: Annotated[float, msgspec.Meta(gt=0)] = 10.0
    """Seconds an export may take."""

    def __post_init__(self) -> None:
        if self.otlp_endpoint and not self.otlp_endpoint.startswith(("http://", "https://")):
            raise ValueError(
                f"otlp_endpoint must be an http:// or https:// URL, not {self.otlp_endpoint!r}"
            )

    @property
    def active(self) -> bool:
        """True when spans are recorded."""
        return self.enabled or bool(self.otlp_endpoint)


class MetricsConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where the engine serves its Prometheus metrics on a port of its own.

    The API (``[api]``) serves the same metrics at ``GET /metrics``; this is for an engine run
    without the API, or a scraper kept off the API's port.
    """

    port: Annotated[int, msgspec.Meta(ge=0, le=65535)] | None = None
    """Port of ``GET /metrics`` (0 picks a free one); unset serves none."""
    host: Annotated[str, msgspec.Meta(min_length=1)] = "127.0.0.1"
    """Address to bind (``0.0.0.0`` for a scraper on another host)."""
