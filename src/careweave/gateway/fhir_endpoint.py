"""careweave's FHIR endpoint: an EHR pushes resources and transaction Bundles to a channel.

=============================  ===================================================
``POST [base]``                a transaction or batch Bundle -> 200 + response Bundle
``POST [base]/{Type}``         create -> 201 + Location + the resource
``PUT [base]/{Type}/{id}``     update -> 200 + Location + the resource
``GET [base]/metadata``        the CapabilityStatement
=============================  ===================================================

Persist before you promise: the 2xx is sent only after ``Receiver.receive`` returned, i.e. once
the message, its events and effects are committed. A retried push (same dedup key) is answered
like the first one and not processed again.
"""

from __future__ import annotations

from typing import Any

from litestar import Response, get, post, put
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath

from careweave.codecs.fhir.decode import RESOURCE_TYPES
from careweave.gateway.fhir_push import (
    FHIR_JSON,
    Interaction,
    PushRequest,
    answer_push,
    apply_prefer,
    inspect_push,
)
from careweave.gateway.http_common import (
    AnyRequest,
    fhir_response,
    log,
    media_type_problem,
    outcome_response,
    sender_of,
    unavailable,
)
from careweave.gateway.receiver import Receiver

_PUSH_TYPES = tuple(sorted(t for t in RESOURCE_TYPES if t != "Bundle"))
"""The resource types careweave models (others are stored too, and produce no events)."""


class FhirPushEndpoint:
    """Handles pushes for one channel."""

    def __init__(self, channel: str, receiver: Receiver, base_path: str) -> None:
        self.channel = channel
        self.receiver = receiver
        self.base_path = base_path.rstrip("/")

    async def push(self, request: AnyRequest, push: PushRequest) -> Response[bytes]:
        """Inspect, store and answer one push."""
        inspection = inspect_push(push)
        problem = inspection.problem
        if problem is not None and not problem.store:
            return outcome_response(problem.status, problem.outcome)
        try:
            result, processing = await self.receiver.receive(
                self.channel,
                push.body,
                content_type=FHIR_JSON,
                sender=sender_of(request),
                dedup_key=inspection.dedup_key,
            )
        except Exception as exc:  # not stored: the sender must retry, never see a 500
            return unavailable(exc, f"{push.interaction} on channel {self.channel}")
        log.info(
            "fhir push",
            channel=self.channel,
            interaction=str(push.interaction),
            message_id=result.message_id,
            state=str(result.state),
            duplicate=result.duplicate,
        )
        base_url = str(request.base_url).rstrip("/") + self.base_path
        answer = answer_push(push, inspection, result, processing.error, base_url=base_url)
        return fhir_response(apply_prefer(answer, request.headers.get("prefer", ""), result))

    def capability(self) -> dict[str, Any]:
        """A CapabilityStatement naming what this endpoint accepts."""
        resources = [
            {
                "type": t,
                "interaction": [{"code": "create"}, {"code": "update"}],
            }
            for t in _PUSH_TYPES
        ]
        return {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "kind": "instance",
            "fhirVersion": "4.0.1",
            "format": [FHIR_JSON, "application/json"],
            "rest": [
                {
                    "mode": "server",
                    "resource": resources,
                    "interaction": [{"code": "transaction"}, {"code": "batch"}],
                }
            ],
        }


def push_handlers(endpoint: FhirPushEndpoint) -> list[HTTPRouteHandler]:
    """The Litestar route handlers of a push endpoint."""
    base = endpoint.base_path or "/"

    @post(base, name=f"{endpoint.channel}-transaction")
    async def transaction(request: AnyRequest) -> Response[bytes]:
        if (refused := media_type_problem(request)) is not None:
            return refused
        body = await request.body()
        return await endpoint.push(request, PushRequest(Interaction.TRANSACTION, body))

    @post(f"{endpoint.base_path}/{{resource_type:str}}", name=f"{endpoint.channel}-create")
    async def create(request: AnyRequest, resource_type: FromPath[str]) -> Response[bytes]:
        if (refused := media_type_problem(request)) is not None:
            return refused
        body = await request.body()
        push = PushRequest(Interaction.CREATE, body, resource_type=resource_type)
        return await endpoint.push(request, push)

    @put(
        f"{endpoint.base_path}/{{resource_type:str}}/{{resource_id:str}}",
        name=f"{endpoint.channel}-update",
    )
    async def update(
        request: AnyRequest, resource_type: FromPath[str], resource_id: FromPath[str]
    ) -> Response[bytes]:
        if (refused := media_type_problem(request)) is not None:
            return refused
        body = await request.body()
        push = PushRequest(Interaction.UPDATE, body, resource_type, resource_id)
        return await endpoint.push(request, push)

    @get(
        f"{endpoint.base_path}/metadata",
        name=f"{endpoint.channel}-metadata",
        media_type=FHIR_JSON,
        opt={"public": True},  # what the server can do, asked before a client has a token
    )
    async def metadata() -> dict[str, Any]:
        return endpoint.capability()

    return [transaction, create, update, metadata]
