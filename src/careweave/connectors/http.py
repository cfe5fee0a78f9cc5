"""HTTP destination: POST each effect, with its idempotency key, to a URL.

2xx delivered; 408, 425, 429 and 5xx are transient (``Retry-After`` honoured); any other 4xx is a
permanent refusal (a poison message goes to the dead letters at once); connection errors and timeouts
are transient.
"""

from __future__ import annotations

import email.utils
import time

import httpx
import msgspec

from careweave.connectors.base import BaseDestination, Receipt, shorten
from careweave.engine.records import Effect
from careweave.exceptions import PermanentDeliveryError, TransientDeliveryError

_TRANSIENT_STATUS = frozenset({408, 425, 429})


class HttpDestinationConfig(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="http",
    tag_field="type",
):
    """Settings of an HTTP destination."""

    url: str
    """Where effects are POSTed."""
    method: str = "POST"
    """HTTP method."""
    timeout: float = 30.0
    """Seconds for connect, write and read each."""
    headers: dict[str, str] = msgspec.field(default_factory=dict)
    """Extra headers sent with every request (e.g. an API key)."""
    max_connections: int = 32
    """Connection pool size."""


def retry_after_seconds(value: str | None) -> float | None:
    """Parse a Retry-After header (seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class HttpDestination(BaseDestination):
    """Delivers effects over HTTP."""

    def __init__(
        self, config: HttpDestinationConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    async def open(self) -> None:
        """Create the connection pool."""
        limits = httpx.Limits(max_connections=self.config.max_connections)
        self._client = httpx.AsyncClient(
            timeout=self.config.timeout, limits=limits, transport=self._transport
        )

    async def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def deliver(self, effect: Effect) -> Receipt:
        """Send one effect."""
        if self._client is None:
            await self.open()
        assert self._client is not None
        headers = {
            **self.config.headers,
            "Content-Type": effect.content_type,
            "Idempotency-Key": effect.idempotency_key,
            "X-Careweave-Effect-Id": str(effect.id),
            "X-Careweave-Trace-Id": effect.trace_id,
        }
        if effect.ordering_key:
            headers["X-Careweave-Ordering-Key"] = effect.ordering_key
        try:
            response = await self._client.request(
                self.config.method, self.config.url, content=effect.payload or b"", headers=headers
            )
        except httpx.TimeoutException as exc:
            raise TransientDeliveryError(f"timeout calling {self.config.url}: {exc!r}") from exc
        except httpx.HTTPError as exc:
            raise TransientDeliveryError(f"cannot reach {self.config.url}: {exc!r}") from exc
        body = shorten(response.text)
        status = response.status_code
        if 200 <= status < 300:
            return Receipt(status=status, response=body)
        if status in _TRANSIENT_STATUS or status >= 500:
            raise TransientDeliveryError(
                f"{self.config.url} answered {status}",
                status=status,
                response=body,
                retry_after=retry_after_seconds(response.headers.get("Retry-After")),
            )
        raise PermanentDeliveryError(
            f"{self.config.url} refused the effect with {status}", status=status, response=body
        )
