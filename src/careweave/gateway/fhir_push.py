"""What an EHR's FHIR push means, before and after careweave stores it.

:func:`inspect_push` checks a create (``POST [base]/{Type}``), an update (``PUT
[base]/{Type}/{id}``) or a transaction/batch (``POST [base]``) and derives its dedup key;
:func:`answer_push` builds the FHIR answer from what the store said. Both are pure functions of
the request and the stored result, so a retried push is answered exactly like the first one.

A body that is not FHIR (malformed JSON, an invalid resource) is stored too, in error, and
answered 400 with an OperationOutcome naming the problem. A request that breaks the interaction
itself (the resource type does not match the URL, the ids differ, ``POST [base]`` with a
Bundle that is not a transaction or batch) is refused without storing: it never was a message.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from typing import Any

import msgspec

from careweave.codecs.fhir.bundle import Bundle
from careweave.codecs.fhir.decode import AnyResource, bundle_entries, decode_resource
from careweave.exceptions import FhirError
from careweave.gateway.outcome import OperationOutcome, fhir_path, json_position, outcome
from careweave.model.records import IngestResult, MessageState

FHIR_JSON = "application/fhir+json"
ENTRY_METHODS = frozenset({"POST", "PUT", "DELETE"})


class Interaction(enum.StrEnum):
    """The FHIR RESTful interaction a push stands for."""

    CREATE = "create"
    UPDATE = "update"
    TRANSACTION = "transaction"


@dataclass(frozen=True)
class PushRequest:
    """One push as it came over HTTP."""

    interaction: Interaction
    body: bytes
    resource_type: str | None = None
    """The type in the URL (create, update)."""
    resource_id: str | None = None
    """The id in the URL (update)."""


@dataclass(frozen=True)
class Problem:
    """Why a push is refused: the HTTP status and the OperationOutcome to answer."""

    status: int
    outcome: OperationOutcome
    store: bool = True
    """False for a request that breaks the interaction: answered, never stored."""


@dataclass(frozen=True)
class Inspection:
    """What careweave made of a push before storing it."""

    dedup_key: str
    document: AnyResource | None = None
    problem: Problem | None = None


@dataclass(frozen=True)
class FhirAnswer:
    """An HTTP answer: status, FHIR JSON body, extra headers."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class _MetaHead(msgspec.Struct, rename="camel"):
    version_id: str | None = None


class _Head(msgspec.Struct, rename="camel"):
    resource_type: str | None = None
    id: str | None = None
    meta: _MetaHead | None = None


class _RequestHead(msgspec.Struct):
    method: str = ""
    url: str = ""


class _EntryHead(msgspec.Struct, rename="camel"):
    full_url: str | None = None
    resource: _Head | None = None
    request: _RequestHead | None = None


class _BundleHead(msgspec.Struct):
    entry: list[_EntryHead] = msgspec.field(default_factory=list)


def _digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:32]


def dedup_key(body: bytes, document: AnyResource | None) -> str:
    """``Bundle/{id}``, or ``{Type}/{id}/_history/{versionId}``; otherwise a content hash.

    A resource with an id but no version gets its content hash appended, so that a changed
    resource pushed again is processed while an identical retry is not.
    """
    if document is None:
        return f"fhir#{_digest(body)}"
    head = msgspec.json.decode(body, type=_Head)
    version = head.meta.version_id if head.meta else None
    if head.id and version:
        return f"{head.resource_type}/{head.id}/_history/{version}"
    if head.id and isinstance(document, Bundle):
        return f"Bundle/{head.id}"
    if head.id:
        return f"{head.resource_type}/{head.id}#{_digest(body)}"
    return f"{head.resource_type}#{_digest(body)}"


def _decode_problem(body: bytes, exc: FhirError) -> Problem:
    message = exc.message
    if message.startswith("not a FHIR JSON resource"):
        where = json_position(body, message)
        text = f"malformed JSON at {where}: {message}" if where else f"malformed JSON: {message}"
        return Problem(400, outcome("error", "structure", text))
    if message.startswith(("not a FHIR resource object", "JSON object has no resourceType")):
        return Problem(400, outcome("error", "structure", message))
    try:
        resource_type = msgspec.json.decode(body, type=_Head).resource_type
    except msgspec.DecodeError:
        resource_type = None
    return Problem(400, outcome("error", "invalid", message, fhir_path(message, resource_type)))


def _refuse(text: str, code: str = "invalid", expression: str | None = None) -> Problem:
    return Problem(400, outcome("error", code, text, expression), store=False)


def _interaction_problem(request: PushRequest, document: AnyResource) -> Problem | None:
    head = (
        msgspec.json.decode(request.body, type=_Head)
        if not isinstance(document, Bundle)
        else _Head(resource_type="Bundle", id=document.id)
    )
    if request.interaction is Interaction.TRANSACTION:
        if not isinstance(document, Bundle) or document.type not in {"transaction", "batch"}:
            kind = (
                f"a {document.type} Bundle" if isinstance(document, Bundle) else head.resource_type
            )
            return _refuse(f"POST [base] takes a transaction or batch Bundle, not {kind}")
        for i, entry in enumerate(document.entry):
            method = entry.request.method.upper() if entry.request else ""
            if method not in ENTRY_METHODS:
                return _refuse(
                    f"Bundle.entry[{i}].request.method {method or '(missing)'}: careweave "
                    f"accepts {', '.join(sorted(ENTRY_METHODS))} entries",
                    "not-supported",
                    f"Bundle.entry[{i}].request.method",
                )
        return None
    if head.resource_type != request.resource_type:
        return _refuse(f"the body is a {head.resource_type}, the URL names {request.resource_type}")
    if request.interaction is Interaction.UPDATE and head.id != request.resource_id:
        return _refuse(
            f"the body's id {head.id!r} differs from the id in the URL {request.resource_id!r}"
        )
    return None


def inspect_push(request: PushRequest) -> Inspection:
    """Decode and check a push; say what to store it under and what is wrong with it."""
    try:
        document = decode_resource(request.body)
        if isinstance(document, Bundle):
            for _ in bundle_entries(document):  # every entry must be valid, as in a transaction
                pass
    except FhirError as exc:
        return Inspection(dedup_key(request.body, None), problem=_decode_problem(request.body, exc))
    key = dedup_key(request.body, document)
    return Inspection(key, document, _interaction_problem(request, document))


def _version(head: _Head | None) -> str:
    return (head.meta.version_id if head and head.meta else None) or "1"


def _resource_answer(request: PushRequest, result: IngestResult, base_url: str) -> FhirAnswer:
    resource: dict[str, Any] = msgspec.json.decode(request.body)
    head = msgspec.json.decode(request.body, type=_Head)
    resource_id = head.id or f"cw{result.message_id}"
    version = _version(head)
    resource["id"] = resource_id
    resource.setdefault("meta", {}).setdefault("versionId", version)
    location = f"{base_url}/{head.resource_type}/{resource_id}/_history/{version}"
    status = 201 if request.interaction is Interaction.CREATE else 200
    return FhirAnswer(
        status,
        msgspec.json.encode(resource),
        {"Location": location, "ETag": f'W/"{version}"'},
    )


def _entry_response(i: int, entry: _EntryHead, message_id: int) -> dict[str, Any]:
    method = entry.request.method.upper() if entry.request else ""
    if method == "DELETE":
        return {"response": {"status": "204 No Content"}}
    head = entry.resource
    resource_id = (head.id if head else None) or f"cw{message_id}-{i}"
    version = _version(head)
    rtype = head.resource_type if head else "Resource"
    status = "201 Created" if method == "POST" else "200 OK"
    return {
        "response": {
            "status": status,
            "location": f"{rtype}/{resource_id}/_history/{version}",
            "etag": f'W/"{version}"',
        }
    }


def _transaction_answer(request: PushRequest, result: IngestResult, kind: str) -> FhirAnswer:
    entries = msgspec.json.decode(request.body, type=_BundleHead).entry
    bundle = {
        "resourceType": "Bundle",
        "type": f"{kind}-response",
        "entry": [_entry_response(i, e, result.message_id) for i, e in enumerate(entries)],
    }
    return FhirAnswer(200, msgspec.json.encode(bundle))


def answer_push(
    request: PushRequest,
    inspection: Inspection,
    result: IngestResult,
    error: str | None,
    *,
    base_url: str,
) -> FhirAnswer:
    """The answer to a stored push (the first time or a retry: the same answer).

    ``error`` is the processing error to name in a 422 when the content was valid FHIR but
    could not become careweave events (a missing subject, an unknown code).
    """
    problem = inspection.problem
    if problem is not None:
        return FhirAnswer(problem.status, msgspec.json.encode(problem.outcome))
    if result.state is MessageState.ERROR:
        text = error or f"message {result.message_id} is held in error"
        return FhirAnswer(422, msgspec.json.encode(outcome("error", "processing", text)), {})
    document = inspection.document
    if request.interaction is Interaction.TRANSACTION and isinstance(document, Bundle):
        return _transaction_answer(request, result, document.type)
    return _resource_answer(request, result, base_url)


def apply_prefer(answer: FhirAnswer, prefer: str, result: IngestResult) -> FhirAnswer:
    """Honour the client's ``Prefer: return=...`` on a success (errors always carry an outcome).

    ``minimal``: no body; ``OperationOutcome``: an informational outcome naming the stored
    message; ``representation`` (the default): the resource or response Bundle.
    """
    if not 200 <= answer.status < 300:
        return answer
    wanted = {p.strip().lower() for p in prefer.split(",")}
    if "return=minimal" in wanted:
        return FhirAnswer(answer.status, b"", answer.headers)
    if "return=operationoutcome" in wanted:
        text = f"stored as message {result.message_id} ({result.state})"
        info = outcome("information", "informational", text)
        return FhirAnswer(answer.status, msgspec.json.encode(info), answer.headers)
    return answer
