"""httpx failures and HTTP error answers as careweave's own errors (nothing from httpx escapes)."""

from __future__ import annotations

import httpx

from careweave.connectors.http import retry_after_seconds
from careweave.exceptions import DeliveryError, PermanentDeliveryError, TransientDeliveryError

_TRANSIENT_STATUS = frozenset({408, 425, 429})


def error_for_exception(exc: httpx.HTTPError, what: str) -> DeliveryError:
    """A transport failure: timeouts and connection problems are worth retrying."""
    if isinstance(exc, httpx.TimeoutException | httpx.TransportError):
        return TransientDeliveryError(f"{what}: {type(exc).__name__}: {exc}")
    return PermanentDeliveryError(f"{what}: {type(exc).__name__}: {exc}")


def error_for_response(response: httpx.Response, what: str) -> DeliveryError:
    """A non-2xx answer: 408/425/429 and 5xx are transient, other 4xx permanent."""
    status = response.status_code
    text = response.text[:500]
    message = f"{what}: HTTP {status}: {text[:200]}"
    if status in _TRANSIENT_STATUS or status >= 500:
        return TransientDeliveryError(
            message,
            status=status,
            response=text,
            retry_after=retry_after_seconds(response.headers.get("retry-after")),
        )
    return PermanentDeliveryError(message, status=status, response=text)
