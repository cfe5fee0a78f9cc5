"""HTTP destination: POST each effect, with its idempotency key, to a URL.

2xx delivered; what any other answer or a failed exchange means is the shared HTTP boundary's rule
(:mod:`careweave.connectors.http_boundary`): 408, 425, 429, 5xx and a 409 to the Idempotency-Key
are transient (``Retry-After`` honoured), any other 4xx is a permanent refusal (a poison message
goes to the dead letters at once); connection errors and timeouts are transient.

The exchange itself goes through careweave's lean keep-alive client
(:mod:`careweave.connectors.http_boundary.keepalive`), a few tens of microseconds of CPU where
httpx spends over half a millisecond (bench/http_clients.py); httpx stays the transport when a test
hands one in, or when the environment routes the URL through a proxy.
"""

from __future__ import annotations

from typing import Annotated

import httpx
import msgspec

from careweave.connectors.base import (
    BaseDestination,
    ConnectorConfig,
    Receipt,
    require_http_url,
    shorten,
)
from careweave.connectors.http_boundary import (
    error_for_exception,
    error_for_response,
    raise_for_status,
    send,
)
from careweave.connectors.http_boundary.keepalive import KeepAliveClient, uses_proxy
from careweave.model.records import Effect
from careweave.observability.tracing import traceparent


class HttpDestinationConfig(
    msgspec.Struct,
    ConnectorConfig,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="http",
    tag_field="type",
):
    """Settings of an HTTP destination."""

    url: str
    """Where effects are POSTed (``http://`` or ``https://``)."""
    method: str = "POST"
    """HTTP method."""
    timeout: Annotated[float, msgspec.Meta(gt=0)] = 30.0
    """Seconds for connect, write and read each."""
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    """Extra headers sent with every request (e.g. an API key)."""
    max_connections: Annotated[int, msgspec.Meta(ge=1)] = 32
    """Connection pool size."""

    def __post_init__(self) -> None:
        require_http_url(self.url, "url")


class HttpDestination(BaseDestination):
    """Delivers effects over HTTP."""

    def __init__(
        self, config: HttpDestinationConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._lean: KeepAliveClient | None = None

    async def open(self) -> None:
        """Create the connection pool."""
        if self._transport is None and not uses_proxy(self.config.url):
            self._lean = KeepAliveClient(
                timeout=self.config.timeout, max_connections=self.config.max_connections
            )
            return
        limits = httpx.Limits(max_connections=self.config.max_connections)
        self._client = httpx.AsyncClient(
            timeout=self.config.timeout, limits=limits, transport=self._transport
        )

    async def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self._lean is not None:
            await self._lean.aclose()
            self._lean = None

    async def deliver(self, effect: Effect) -> Receipt:
        """Send one effect."""
        if self._client is None and self._lean is None:
            await self.open()
        headers = {
            **self.config.headers,
            "Content-Type": effect.content_type,
            "Idempotency-Key": effect.idempotency_key,
            "X-Careweave-Effect-Id": str(effect.id),
            "X-Careweave-Trace-Id": effect.trace_id,
        }
        if effect.ordering_key:
            headers["X-Careweave-Ordering-Key"] = effect.ordering_key
        if (parent := traceparent(effect.trace_id)) is not None:
            headers["traceparent"] = parent  # W3C Trace Context: a tracing receiver joins in
        if self._lean is not None:
            return await self._deliver_lean(effect, headers)
        assert self._client is not None
        response = await send(
            self._client,
            self.config.method,
            self.config.url,
            what=f"effect {effect.id}",
            content=effect.payload or b"",
            headers=headers,
        )
        raise_for_status(response, f"effect {effect.id}")
        return Receipt(status=response.status_code, response=shorten(response.text))

    async def _deliver_lean(self, effect: Effect, headers: dict[str, str]) -> Receipt:
        """The same exchange through the keep-alive client, judged by the same boundary."""
        assert self._lean is not None
        method, url, what = self.config.method, self.config.url, f"effect {effect.id}"
        try:
            answer = await self._lean.request(
                method, url, headers=headers, content=effect.payload or b""
            )
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise error_for_exception(exc, what, method=method, url=url) from exc
        if not 200 <= answer.status < 300:
            raise error_for_response(answer.to_httpx(method, url, headers), what)
        return Receipt(status=answer.status, response=shorten(answer.text))
