"""Pieces every careweave HTTP endpoint shares: FHIR answers, content types, sender names."""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException

from careweave.exceptions import CareweaveError
from careweave.gateway.fhir_push import FHIR_JSON, FhirAnswer
from careweave.gateway.outcome import OperationOutcome, outcome

log = structlog.get_logger("careweave.gateway")

JSON_TYPES = frozenset({FHIR_JSON, "application/json"})

AnyRequest = Request[Any, Any, Any]


def fhir_response(answer: FhirAnswer) -> Response[bytes]:
    """A Litestar response carrying FHIR JSON."""
    return Response(
        content=answer.body,
        status_code=answer.status,
        media_type=FHIR_JSON,
        headers=answer.headers,
    )


def outcome_response(status: int, value: OperationOutcome, **headers: str) -> Response[bytes]:
    """An OperationOutcome answer."""
    return fhir_response(FhirAnswer(status, msgspec.json.encode(value), dict(headers)))


def media_type_problem(request: AnyRequest) -> Response[bytes] | None:
    """415 unless the body is FHIR JSON (``application/fhir+json`` or ``application/json``)."""
    given = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if given in JSON_TYPES:
        return None
    text = f"content type {given or '(none)'} is not accepted; send application/fhir+json"
    return outcome_response(415, outcome("error", "not-supported", text))


def sender_of(request: AnyRequest) -> str:
    """``host:port`` of the peer."""
    client = request.client
    return f"{client.host}:{client.port}" if client else ""


def unavailable(exc: Exception, what: str) -> Response[bytes]:
    """503: the message was not stored (the store failed); the sender should retry."""
    if isinstance(exc, CareweaveError):
        log.error("not stored", what=what, error=exc.message)
    else:
        log.exception("not stored", what=what)
    text = f"{what} was not stored ({type(exc).__name__}); retry later"
    return outcome_response(503, outcome("error", "transient", text), **{"Retry-After": "5"})


def http_exception_handler(_request: AnyRequest, exc: HTTPException) -> Response[bytes]:
    """Litestar's own refusals (413, 404, 405) and the API guard's (401, 403, 429) as
    OperationOutcomes, with their headers (``WWW-Authenticate``, ``Retry-After``)."""
    codes = {401: "login", 403: "forbidden", 404: "not-found", 405: "not-supported",
             413: "too-long", 429: "throttled"}  # fmt: skip
    code = codes.get(exc.status_code, "invalid")
    headers = {str(k): str(v) for k, v in (exc.headers or {}).items()}
    return outcome_response(exc.status_code, outcome("error", code, exc.detail), **headers)


def internal_error_handler(_request: AnyRequest, exc: Exception) -> Response[bytes]:
    """A bug must still answer FHIR, and say that nothing was stored."""
    return unavailable(exc, "the request")
