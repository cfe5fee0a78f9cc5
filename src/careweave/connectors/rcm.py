"""Destination connector for a revenue-cycle platform's charges API.

Three kinds of effect go to the platform, told apart by content type (the payloads and their
content types are canonical, in :mod:`careweave.model.rcm`, so that flows build them without
importing this connector):

- a charge line (:data:`CHARGE_CONTENT_TYPE`, an :class:`RcmChargeLine`): charges delivered at
  the same time are sent together as one ``POST /api/charges/batch``; the platform answers per
  line, and each effect gets its own line's answer;
- an encounter update (:data:`ENCOUNTER_CONTENT_TYPE`, an :class:`RcmEncounterUpdate`):
  ``PUT /api/encounters/{id}`` registers the patient and coverage, then marks the encounter
  discharged so that its account becomes ready to bill;
- a billed notice (:data:`CLAIM_BILLED_CONTENT_TYPE`, an :class:`RcmClaimBilled`):
  ``POST /api/claims/billed`` tells the platform an account went out on a claim.

Idempotency: every line carries its own key (the charge's business identity), and the batch key
is derived from the line keys, so a batch re-sent after a lost answer is answered, not applied
twice. A line the platform rejects (bad code, late for a billed account) is a permanent failure of
that effect only; the others of the batch stand.

What an HTTP answer or a failed exchange means is the shared HTTP boundary's rule
(:mod:`careweave.connectors.http_boundary`): 408, 425, 429, 5xx and a 409 to an Idempotency-Key
are transient, every other 4xx permanent.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import ClassVar

import httpx
import msgspec

from careweave.connectors.base import BaseDestination, ConnectorConfig, Receipt, shorten
from careweave.connectors.http_boundary import raise_for_status, send
from careweave.exceptions import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from careweave.model.rcm import (
    CHARGE_CONTENT_TYPE,
    CLAIM_BILLED_CONTENT_TYPE,
    ENCOUNTER_CONTENT_TYPE,
    RcmAccount,
    RcmChargeLine,
    RcmClaimBilled,
    RcmEncounterUpdate,
)
from careweave.model.records import Effect


class _LineResult(msgspec.Struct, frozen=True):
    line_key: str
    status: str
    reason: str = ""


class _BatchResult(msgspec.Struct, frozen=True):
    batch_key: str
    replayed: bool
    results: list[_LineResult]


class RcmDestinationConfig(
    msgspec.Struct,
    ConnectorConfig,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    tag="rcm",
    tag_field="type",
):
    """Where the platform is and how charges are batched (``connector = { type = "rcm", ... }``)."""

    flow_only: ClassVar[bool] = True

    base_url: str
    """The platform's root, e.g. ``http://rcm.example:8080``."""
    max_batch: int = 200
    """Most lines in one batch request."""
    batch_window: float = 0.01
    """Seconds a first charge waits for others to join its batch."""
    timeout: float = 30.0
    source: str = "careweave"
    """Sent as the batch's ``source``."""


_Pending = tuple[RcmChargeLine, "asyncio.Future[Receipt]"]


class RcmDestination(BaseDestination):
    """Delivers charge lines (batched) and encounter updates to the revenue-cycle platform."""

    def __init__(
        self, config: RcmDestinationConfig, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.config = config
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._pending: list[_Pending] = []
        self._flush: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self.batches_sent = 0
        """Batch requests made (for tests and metrics)."""

    async def open(self) -> None:
        """Create the connection pool."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.config.base_url,
                timeout=self.config.timeout,
                transport=self._transport,
            )

    async def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def deliver(self, effect: Effect) -> Receipt:
        """Send one effect: a charge joins the next batch, an encounter update goes at once."""
        await self.open()
        payload = effect.payload or b""
        try:
            if effect.content_type == ENCOUNTER_CONTENT_TYPE:
                update = msgspec.json.decode(payload, type=RcmEncounterUpdate)
                return await self._put_encounter(update, effect.idempotency_key)
            if effect.content_type == CHARGE_CONTENT_TYPE:
                line = msgspec.json.decode(payload, type=RcmChargeLine)
                return await self._enqueue(line)
            if effect.content_type == CLAIM_BILLED_CONTENT_TYPE:
                msgspec.json.decode(payload, type=RcmClaimBilled)  # refuse a malformed notice
                response = await self._call(
                    "POST", "/api/claims/billed", payload, effect.idempotency_key
                )
                return Receipt(status=response.status_code, response=shorten(response.text, 500))
        except msgspec.DecodeError as exc:
            raise PermanentDeliveryError(f"effect {effect.id}: unreadable payload: {exc}") from exc
        raise PermanentDeliveryError(
            f"effect {effect.id}: the RCM connector cannot send {effect.content_type!r}"
        )

    async def _put_encounter(self, update: RcmEncounterUpdate, key: str) -> Receipt:
        assert self._client is not None
        path = f"/api/encounters/{update.encounter_id}"
        body = msgspec.json.encode(update.update)
        response = await self._call("PUT", path, body, key)
        return Receipt(status=response.status_code, response=shorten(response.text, 500))

    async def _enqueue(self, line: RcmChargeLine) -> Receipt:
        future: asyncio.Future[Receipt] = asyncio.get_running_loop().create_future()
        self._pending.append((line, future))
        if len(self._pending) >= self.config.max_batch:
            self._send_now()
        elif self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(
                self.config.batch_window, self._send_now
            )
        return await future

    def _send_now(self) -> None:
        if self._flush is not None:
            self._flush.cancel()
            self._flush = None
        batch, self._pending = self._pending, []
        if batch:
            # The loop keeps only a weak reference to a task: hold it until it is done.
            task = asyncio.get_running_loop().create_task(self._send_batch(batch))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def _send_batch(self, batch: list[_Pending]) -> None:
        lines = [line for line, _ in batch]
        keys = "\n".join(sorted(line.line_key for line in lines))
        batch_key = "charges:" + hashlib.sha256(keys.encode()).hexdigest()[:32]
        body = msgspec.json.encode({"lines": lines, "source": self.config.source})
        try:
            response = await self._call("POST", "/api/charges/batch", body, batch_key)
            result = msgspec.json.decode(response.content, type=_BatchResult)
        except (DeliveryError, msgspec.DecodeError) as exc:
            error = (
                exc
                if isinstance(exc, DeliveryError)
                else TransientDeliveryError(f"unreadable batch answer: {exc}")
            )
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        self.batches_sent += 1
        verdicts = {r.line_key: r for r in result.results}
        for line, future in batch:
            if future.done():
                continue
            verdict = verdicts.get(line.line_key)
            if verdict is None:
                future.set_exception(
                    TransientDeliveryError(
                        f"batch {batch_key} answered nothing for {line.line_key}"
                    )
                )
            elif verdict.status in ("accepted", "duplicate"):
                future.set_result(Receipt(status=200, response=f"{verdict.status} in {batch_key}"))
            else:
                future.set_exception(
                    PermanentDeliveryError(
                        f"charge {line.line_key} rejected: {verdict.reason or 'no reason given'}",
                        status=200,
                        response=verdict.reason,
                    )
                )

    async def _call(self, method: str, path: str, body: bytes, key: str) -> httpx.Response:
        assert self._client is not None
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        response = await send(self._client, method, path, what="RCM", content=body, headers=headers)
        return raise_for_status(response, "RCM")


class RcmAccountsClient:
    """Reads the platform's billed accounts and reports the claims they went out on."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, transport=transport)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def ready_accounts(self) -> list[RcmAccount]:
        """The accounts ready to bill (discharged, covered, with a net charge)."""
        return msgspec.json.decode(await self._get("/api/claims/ready"), type=list[RcmAccount])

    async def accounts(self) -> list[RcmAccount]:
        """Every account the platform holds."""
        return msgspec.json.decode(await self._get("/api/accounts"), type=list[RcmAccount])

    async def mark_billed(self, account_id: str, claim_id: str) -> None:
        """Tell the platform an account went out on a claim (idempotent, so safe to retry)."""
        body = msgspec.json.encode({"account_id": account_id, "claim_id": claim_id})
        what = f"RCM billed notice for {account_id}"
        response = await send(
            self._client,
            "POST",
            "/api/claims/billed",
            what=what,
            content=body,
            headers={"Content-Type": "application/json"},
        )
        raise_for_status(response, what)

    async def _get(self, path: str) -> bytes:
        response = await send(self._client, "GET", path, what="RCM")
        return raise_for_status(response, "RCM").content
