"""The one HTTP boundary every careweave connector that speaks HTTP goes through.

- :func:`send` makes one exchange and turns an httpx failure into a
  :class:`~careweave.exceptions.DeliveryError`; :func:`raise_for_status` and
  :func:`error_for_response` do the same for an unsuccessful answer. 408, 425, 429, 5xx (and 409
  to a request with an Idempotency-Key), timeouts and connection failures are retryable; every
  other 4xx is permanent (:mod:`careweave.connectors.http_boundary.errors`).
- :func:`parse_retry_after` reads Retry-After into the error's ``retry_after``, which the worker
  waits at least before the next attempt.
- :class:`OAuth2TokenCache` holds a client-credentials bearer token, got with a client secret
  (:class:`ClientSecretAuth`) or a signed JWT (:class:`PrivateKeyJwtAuth`).

Connectors use these and nothing else to judge what an HTTP exchange meant.
"""

from careweave.connectors.http_boundary.errors import (
    RETRYABLE_STATUSES,
    error_for_exception,
    error_for_response,
    excerpt,
    is_retryable_status,
    raise_for_status,
    redact_url,
    send,
)
from careweave.connectors.http_boundary.oauth import (
    ASSERTION_LIFETIME,
    ASSERTION_TYPE,
    BaseClientAuth,
    ClientSecretAuth,
    OAuth2TokenCache,
    PrivateKey,
    PrivateKeyJwtAuth,
    signed_client_assertion,
)
from careweave.connectors.http_boundary.retry_after import MAX_RETRY_AFTER, parse_retry_after

__all__ = [
    "ASSERTION_LIFETIME",
    "ASSERTION_TYPE",
    "MAX_RETRY_AFTER",
    "RETRYABLE_STATUSES",
    "BaseClientAuth",
    "ClientSecretAuth",
    "OAuth2TokenCache",
    "PrivateKey",
    "PrivateKeyJwtAuth",
    "error_for_exception",
    "error_for_response",
    "excerpt",
    "is_retryable_status",
    "parse_retry_after",
    "raise_for_status",
    "redact_url",
    "send",
    "signed_client_assertion",
]
