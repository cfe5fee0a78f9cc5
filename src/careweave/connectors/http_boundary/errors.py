"""What an HTTP answer or an httpx failure means, as careweave's delivery errors.

One rule for every connector that speaks HTTP:

- 2xx: success.
- 408, 425, 429 and every 5xx: :class:`TransientDeliveryError`, with the server's Retry-After.
- 409 to a request that carried an ``Idempotency-Key``: transient too. The IETF Idempotency-Key
  draft (and careweave's ERP) answer 409 while a request with the same key is still being
  processed; the retry is answered once the first finishes.
- Every other status (other 4xx, an unfollowed 3xx): :class:`PermanentDeliveryError`.
- Timeouts, connection failures and protocol errors of the server: transient. A request that
  cannot be sent as written (bad URL, unsupported scheme, an invalid header), an undecodable body
  or a redirect loop: permanent, since sending the same again fails the same way.

Messages name the method, the URL without credentials or secret query values, the status and a
short excerpt of the body.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from careweave.connectors.base import shorten
from careweave.connectors.http_boundary.retry_after import parse_retry_after
from careweave.exceptions import DeliveryError, PermanentDeliveryError, TransientDeliveryError

RETRYABLE_STATUSES = frozenset({408, 425, 429})
"""The 4xx statuses a later attempt may cure (every 5xx may too)."""

EXCERPT_LIMIT = 200
"""Characters of the body quoted in an error message."""

_SECRET_PARAM = re.compile(
    r"token|secret|passw|pwd|key|sig|assertion|auth|credential|session", re.I
)
_PERMANENT_TRANSPORT = (httpx.UnsupportedProtocol, httpx.LocalProtocolError)


def is_retryable_status(status: int, *, idempotency_key: bool = False) -> bool:
    """Whether an attempt answered with ``status`` may succeed later.

    ``idempotency_key`` says the request carried an Idempotency-Key, which makes 409 ("a request
    with this key is in progress") retryable.
    """
    if status in RETRYABLE_STATUSES or 500 <= status <= 599:
        return True
    return status == 409 and idempotency_key


def redact_url(url: httpx.URL | str) -> str:
    """``url`` fit for a log: no user or password, and the values of secret-looking parameters
    (``access_token``, ``api_key``, ``sig``...) replaced by ``redacted``."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "<invalid URL>"
    if parsed.userinfo:
        parsed = parsed.copy_with(username=None, password=None)
    if parsed.query:
        params = [
            (name, "redacted" if _SECRET_PARAM.search(name) else value)
            for name, value in parsed.params.multi_items()
        ]
        parsed = parsed.copy_with(params=params)
    return str(parsed)


def excerpt(text: str, limit: int = EXCERPT_LIMIT) -> str:
    """The start of a body on one line, for a message."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[:limit] + "…"


def _prefix(what: str) -> str:
    return f"{what}: " if what else ""


def error_for_response(response: httpx.Response, what: str = "") -> DeliveryError:
    """The delivery error an unsuccessful answer stands for.

    ``what`` says what the request was for (``"journal J1"``) and leads the message.
    """
    status = response.status_code
    request = response.request
    text = response.text
    summary = f"{request.method} {redact_url(request.url)} answered {status}"
    if response.reason_phrase:
        summary += f" {response.reason_phrase}"
    if text.strip():
        summary += f": {excerpt(text)}"
    message = _prefix(what) + summary
    if is_retryable_status(status, idempotency_key="idempotency-key" in request.headers):
        return TransientDeliveryError(
            message,
            status=status,
            response=shorten(text),
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    return PermanentDeliveryError(message, status=status, response=shorten(text))


def error_for_exception(
    exc: httpx.HTTPError | httpx.InvalidURL,
    what: str = "",
    *,
    method: str = "",
    url: httpx.URL | str = "",
) -> DeliveryError:
    """The delivery error an httpx failure stands for (never the httpx exception itself).

    ``method`` and ``url`` name the request when the exception does not carry it.
    """
    if isinstance(exc, httpx.HTTPStatusError):
        return error_for_response(exc.response, what)
    request: httpx.Request | None = None
    if isinstance(exc, httpx.RequestError):
        try:
            request = exc.request
        except RuntimeError:  # raised outside of a request
            request = None
    if request is not None:
        method, url = request.method, request.url
    target = " ".join(part for part in (method, redact_url(url) if url else "") if part)
    summary = f"{target} failed: {type(exc).__name__}: {exc}" if target else f"{exc!r}"
    message = _prefix(what) + summary
    if isinstance(exc, httpx.TransportError) and not isinstance(exc, _PERMANENT_TRANSPORT):
        return TransientDeliveryError(message)
    return PermanentDeliveryError(message)


def raise_for_status(response: httpx.Response, what: str = "") -> httpx.Response:
    """``response`` when it is a 2xx; else raise :func:`error_for_response`."""
    if response.is_success:
        return response
    raise error_for_response(response, what)


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: httpx.URL | str,
    *,
    what: str = "",
    **kwargs: Any,
) -> httpx.Response:
    """One exchange through ``client``; any answer is returned, a failure raises a DeliveryError.

    ``kwargs`` go to :meth:`httpx.AsyncClient.request` (``content``, ``headers``, ``params``...).
    """
    try:
        return await client.request(method, url, **kwargs)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise error_for_exception(exc, what, method=method, url=url) from exc
