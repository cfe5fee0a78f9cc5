"""A simulated EHR FHIR API: SMART token endpoint, search with paging, read, rest-hook notifier.

::

    ehr = EhrFhirSimulator()
    ehr.tokens.register("careweave", key.jwks)
    ehr.resources.add({"resourceType": "Patient", "id": "p1", ...})
    with EhrFhirServer(ehr) as server:           # uvicorn on a free loopback port
        ...                                       # GET {server.base_url}/fhir/Patient?_count=10
        await ehr.notify(hook_url, subscription="Subscription/s1", references=["Patient/p1"])
"""

from __future__ import annotations

import itertools
import time
import urllib.parse
from collections.abc import Callable, Sequence
from typing import Any, Literal

import httpx
import msgspec
from litestar import Litestar, Request, Response, get, post
from litestar.params import FromPath

from careweave.exceptions import TransientDeliveryError
from careweave.sandbox.ehr_fhir.auth import TokenRefused, TokenService
from careweave.sandbox.ehr_fhir.resources import ResourceStore

FHIR_JSON = "application/fhir+json"
BACKPORT_STATUS = (
    "http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition/"
    "backport-subscription-status-r4"
)

AnyRequest = Request[Any, Any, Any]


def _fhir(status: int, body: Any, **headers: str) -> Response[bytes]:
    return Response(
        msgspec.json.encode(body), status_code=status, media_type=FHIR_JSON, headers=headers
    )


def _problem(status: int, code: str, text: str, **headers: str) -> Response[bytes]:
    issue = {"severity": "error", "code": code, "diagnostics": text}
    return _fhir(status, {"resourceType": "OperationOutcome", "issue": [issue]}, **headers)


class EhrFhirSimulator:
    """The simulated EHR: its resources, its token service and its Litestar app."""

    def __init__(
        self,
        *,
        token_ttl: float = 300.0,
        clock: Callable[[], float] = time.time,
        require_auth: bool = True,
    ) -> None:
        self.resources = ResourceStore()
        self.tokens = TokenService(clock=clock, token_ttl=token_ttl)
        self.require_auth = require_auth
        self.requests: list[tuple[str, str, int]] = []
        """(method, path with query, status) of every FHIR request served."""
        self._event_numbers = itertools.count(1)
        self.app = self._build_app()

    def _authorized(self, request: AnyRequest) -> bool:
        return not self.require_auth or self.tokens.valid(request.headers.get("authorization"))

    def _log(self, request: AnyRequest, status: int) -> None:
        query = f"?{request.url.query}" if request.url.query else ""
        self.requests.append((request.method, f"{request.url.path}{query}", status))

    def _build_app(self) -> Litestar:
        sim = self

        @post("/token")
        async def token(request: AnyRequest) -> Response[bytes]:
            form = dict(urllib.parse.parse_qsl((await request.body()).decode()))
            token_url = str(request.base_url).rstrip("/") + "/token"
            try:
                answer = sim.tokens.issue(form, token_url)
            except TokenRefused as exc:
                body = {"error": exc.error, "error_description": exc.description}
                return Response(
                    msgspec.json.encode(body), status_code=401, media_type="application/json"
                )
            return Response(
                msgspec.json.encode(answer), status_code=200, media_type="application/json"
            )

        @get("/fhir/.well-known/smart-configuration")
        async def smart_configuration(request: AnyRequest) -> Response[bytes]:
            base = str(request.base_url).rstrip("/")
            config = {
                "token_endpoint": f"{base}/token",
                "grant_types_supported": ["client_credentials"],
                "token_endpoint_auth_methods_supported": ["private_key_jwt"],
                "token_endpoint_auth_signing_alg_values_supported": ["RS384", "ES384"],
                "capabilities": ["client-confidential-asymmetric"],
            }
            return Response(msgspec.json.encode(config), media_type="application/json")

        @get("/fhir/{resource_type:str}")
        async def search(request: AnyRequest, resource_type: FromPath[str]) -> Response[bytes]:
            if not sim._authorized(request):
                sim._log(request, 401)
                return _problem(
                    401,
                    "login",
                    "a valid bearer token is required",
                    **{"WWW-Authenticate": "Bearer"},
                )
            params = dict(request.query_params.items())
            try:
                page = sim.resources.page(
                    resource_type, params, str(request.base_url).rstrip("/") + "/fhir"
                )
            except ValueError as exc:
                sim._log(request, 400)
                return _problem(400, "invalid", f"bad search parameter: {exc}")
            sim._log(request, 200)
            return _fhir(200, page)

        @get("/fhir/{resource_type:str}/{resource_id:str}")
        async def read(
            request: AnyRequest, resource_type: FromPath[str], resource_id: FromPath[str]
        ) -> Response[bytes]:
            if not sim._authorized(request):
                sim._log(request, 401)
                return _problem(
                    401,
                    "login",
                    "a valid bearer token is required",
                    **{"WWW-Authenticate": "Bearer"},
                )
            found = sim.resources.read(resource_type, resource_id)
            if found is None:
                sim._log(request, 404)
                return _problem(404, "not-found", f"{resource_type}/{resource_id} is not known")
            sim._log(request, 200)
            return _fhir(200, found)

        return Litestar(
            route_handlers=[token, smart_configuration, search, read],
            openapi_config=None,
            logging_config=None,  # the process's logging is careweave's, not Litestar's
        )

    def notification(
        self,
        *,
        subscription: str,
        references: Sequence[str],
        content: Literal["id-only", "full-resource"] = "id-only",
        kind: str = "event-notification",
        base_url: str = "http://ehr.example/fhir",
    ) -> dict[str, Any]:
        """An R4 backport rest-hook notification Bundle about ``references``."""
        events = []
        entries: list[dict[str, Any]] = []
        for ref in references:
            number = next(self._event_numbers)
            events.append(
                {
                    "name": "notification-event",
                    "part": [
                        {"name": "event-number", "valueString": str(number)},
                        {"name": "focus", "valueReference": {"reference": ref}},
                    ],
                }
            )
            entry: dict[str, Any] = {"fullUrl": f"{base_url}/{ref}"}
            if content == "full-resource":
                kind_, _, rid = ref.partition("/")
                resource = self.resources.read(kind_, rid)
                if resource is not None:
                    entry["resource"] = resource
                    entry["request"] = {"method": "PUT", "url": ref}
            entries.append(entry)
        status = {
            "resourceType": "Parameters",
            "meta": {"profile": [BACKPORT_STATUS]},
            "parameter": [
                {"name": "subscription", "valueReference": {"reference": subscription}},
                {"name": "status", "valueCode": "active"},
                {"name": "type", "valueCode": kind},
                *events,
            ],
        }
        return {
            "resourceType": "Bundle",
            "type": "history",
            "timestamp": "2026-01-01T00:00:00Z",
            "entry": [{"fullUrl": "urn:uuid:status", "resource": status}, *entries],
        }

    async def notify(self, url: str, **notification: Any) -> httpx.Response:
        """POST a notification (see :meth:`notification`) to a rest-hook ``url``."""
        body = msgspec.json.encode(self.notification(**notification))
        try:
            async with httpx.AsyncClient(timeout=30) as client:
                return await client.post(url, content=body, headers={"Content-Type": FHIR_JSON})
        except httpx.HTTPError as exc:
            raise TransientDeliveryError(f"notification to {url}: {exc}") from exc
