"""Turning what goes wrong on the wire into careweave's delivery errors.

No httpx exception leaves the connector: timeouts and connection failures become
:class:`TransientDeliveryError`; answers become transient (429, 5xx, 408, 409 for an
Idempotency-Key still in flight) or permanent (other 4xx) with the status, the body and the
server's Retry-After.
"""

from __future__ import annotations

import datetime as dt
import email.utils

import httpx

from careweave.exceptions import DeliveryError, PermanentDeliveryError, TransientDeliveryError

#: Statuses a later attempt may cure.
TRANSIENT_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
_MAX_BODY = 500


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or HTTP-date), or None if absent/bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = now or dt.datetime.now(dt.UTC)
    return max(0.0, (when - current).total_seconds())


def error_for_response(response: httpx.Response, what: str) -> DeliveryError:
    """The delivery error an unsuccessful answer stands for."""
    status = response.status_code
    body = response.text[:_MAX_BODY]
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    message = f"{what}: ERP answered {status} {response.reason_phrase}: {body}"
    if status in TRANSIENT_STATUSES or status >= 500:
        return TransientDeliveryError(
            message, status=status, response=body, retry_after=retry_after
        )
    return PermanentDeliveryError(message, status=status, response=body)


def error_for_exception(exc: httpx.HTTPError, what: str) -> DeliveryError:
    """The delivery error a failed exchange stands for (never the httpx exception itself)."""
    if isinstance(exc, httpx.TimeoutException):
        return TransientDeliveryError(f"{what}: ERP did not answer in time ({type(exc).__name__})")
    if isinstance(exc, httpx.TransportError):
        return TransientDeliveryError(f"{what}: cannot reach the ERP ({type(exc).__name__}: {exc})")
    # Decoding errors, redirect loops: the ERP speaks wrongly, retrying the same will not help.
    return PermanentDeliveryError(f"{what}: unusable ERP answer ({type(exc).__name__}: {exc})")
