"""The ERP connector: careweave's governed access to a cloud ERP's REST API.

Every request waits for the client-side token bucket, carries a bearer token that is refreshed
before it expires (and once more if the ERP answers 401), and every POST carries an
Idempotency-Key derived from the business identity of what it creates. Failures surface as
careweave's delivery errors, judged by the shared HTTP boundary
(:mod:`careweave.connectors.http_boundary`; a 409 to an Idempotency-Key still in flight is
transient); retrying them is the caller's policy, and is always safe because a retry sends the
same key and the same bytes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from careweave.connectors.erp.config import ErpConfig
from careweave.connectors.erp.rate_limit import AsyncRateLimiter
from careweave.connectors.erp.translate import (
    idempotency_key,
    item_body,
    item_from_wire,
    journal_body,
)
from careweave.connectors.http_boundary import (
    ClientSecretAuth,
    OAuth2TokenCache,
    error_for_response,
    send,
)
from careweave.exceptions import ConfigError, PermanentDeliveryError, TransientDeliveryError
from careweave.model.erp import (
    ErpItem,
    InventoryTransactionRequest,
    JournalRequest,
    PostOutcome,
    PurchaseOrderRequest,
    RequisitionRequest,
)

_LOG = logging.getLogger("careweave.connectors.erp")
_T = TypeVar("_T")


class ApiDeprecation(msgspec.Struct, frozen=True):
    """The ERP said the API version in use is deprecated."""

    api_version: str
    deprecation: str
    sunset: str | None = None
    successor: str | None = None


class _BulkResult(msgspec.Struct):
    index: int
    status: int
    id: str | None = None
    error: str | None = None
    replayed: bool = False


class _BulkAnswer(msgspec.Struct):
    results: list[_BulkResult]


class ErpConnector:
    """Async client of a cloud ERP (the careweave simulator or a real one with the same API)."""

    def __init__(
        self,
        config: ErpConfig,
        *,
        secret: str,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        logger: logging.Logger | None = None,
    ) -> None:
        if not secret:
            raise ConfigError(f"the ERP connector needs its client secret (${config.secret_env})")
        self.config = config
        self._http = httpx.AsyncClient(
            base_url=config.base_url,
            transport=transport,
            timeout=httpx.Timeout(config.read_timeout, connect=config.connect_timeout),
            limits=httpx.Limits(max_connections=config.max_connections),
        )
        self._log = logger or _LOG
        self.limiter = AsyncRateLimiter(
            config.rate_limit, config.rate_burst, clock=clock, sleep=sleep
        )
        self.tokens = OAuth2TokenCache(
            self._http,
            config.token_path,
            ClientSecretAuth(config.client_id, secret),
            leeway=config.token_refresh_leeway,
            default_lifetime=3600.0,
            clock=clock,
        )
        self.deprecation: ApiDeprecation | None = None
        self.requests_sent = 0

    async def aclose(self) -> None:
        """Close the connections."""
        await self._http.aclose()

    async def __aenter__(self) -> ErpConnector:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # -- general ledger --------------------------------------------------------------------

    async def post_journal(self, journal: JournalRequest) -> PostOutcome:
        """Post one journal; a journal the ERP refuses raises :class:`PermanentDeliveryError`."""
        body = journal_body(journal, self.config.api_version)
        key = idempotency_key("journal", journal.business_key)
        response = await self._post("journals", body, key, f"journal {journal.business_key}")
        return self._accepted(journal.business_key, response, "journal_id")

    async def post_journals(self, journals: Sequence[JournalRequest]) -> list[PostOutcome]:
        """Post journals in bulk requests of ``batch_size``; one outcome per journal, in order.

        A refused journal is a ``rejected`` outcome; a failed request raises, and posting the
        same journals again is safe (each journal carries its own Idempotency-Key).
        """
        version = self.config.api_version
        outcomes: list[PostOutcome] = []
        for batch in _batches(journals, self.config.batch_size):
            keys = [idempotency_key("journal", j.business_key) for j in batch]
            body = {
                "journals": [
                    {"journal": journal_body(j, version), "idempotency_key": k}
                    for j, k in zip(batch, keys, strict=True)
                ]
            }
            what = f"bulk of {len(batch)} journals from {batch[0].business_key}"
            response = await self._post("journals/bulk", body, _batch_key(keys), what)
            outcomes.extend(self._bulk_outcomes([j.business_key for j in batch], response, what))
        return outcomes

    # -- item master -----------------------------------------------------------------------

    async def get_item(self, item_number: str) -> ErpItem | None:
        """The ERP's item, or None when the item master has no such item."""
        response = await self._request(
            "GET",
            self._path(f"items/{quote(item_number, safe='')}"),
            what=f"item {item_number}",
            missing_ok=True,
        )
        if response.status_code == 404:
            return None
        return item_from_wire(_decode(response, f"item {item_number}"), self.config.api_version)

    async def upsert_items(self, items: Sequence[ErpItem]) -> list[PostOutcome]:
        """Create or replace items in bulk; one outcome per item, keyed by item number."""
        version = self.config.api_version
        outcomes: list[PostOutcome] = []
        for batch in _batches(items, self.config.batch_size):
            body = {"items": [item_body(item, version) for item in batch]}
            key = idempotency_key("items", hashlib.sha256(msgspec.json.encode(body)).hexdigest())
            what = f"bulk of {len(batch)} items from {batch[0].item_number}"
            response = await self._post("items/bulk", body, key, what)
            outcomes.extend(self._bulk_outcomes([i.item_number for i in batch], response, what))
        return outcomes

    # -- inventory and procurement ---------------------------------------------------------

    async def record_inventory_transaction(self, tx: InventoryTransactionRequest) -> PostOutcome:
        """Issue, return or receive stock at a location."""
        body = msgspec.to_builtins(tx)
        body.pop("business_key")
        key = idempotency_key("inventory", tx.business_key)
        response = await self._post(
            "inventory/transactions", body, key, f"inventory {tx.business_key}"
        )
        return self._accepted(tx.business_key, response, "transaction_id")

    async def on_hand(self, item_number: str, location_id: str) -> int:
        """On-hand quantity of an item at a location."""
        what = f"on-hand {item_number}@{location_id}"
        params = {"item_number": item_number, "location_id": location_id}
        response = await self._request(
            "GET", self._path("inventory/on-hand"), params=params, what=what
        )
        payload = _decode(response, what)
        quantity = payload.get("quantity") if isinstance(payload, dict) else None
        if not isinstance(quantity, int):
            raise PermanentDeliveryError(f"{what}: ERP answer lacks an integer quantity")
        return quantity

    async def create_requisition(self, requisition: RequisitionRequest) -> PostOutcome:
        """Open a replenishment requisition."""
        body = msgspec.to_builtins(requisition)
        body.pop("business_key")
        key = idempotency_key("requisition", requisition.business_key)
        what = f"requisition {requisition.business_key}"
        response = await self._post("requisitions", body, key, what)
        return self._accepted(requisition.business_key, response, "requisition_id")

    async def create_purchase_order(self, order: PurchaseOrderRequest) -> PostOutcome:
        """Open a purchase order (bill-only for consigned implants used in a case)."""
        body = msgspec.to_builtins(order)
        body.pop("business_key")
        key = idempotency_key("purchase-order", order.business_key)
        what = f"purchase order {order.business_key}"
        response = await self._post("purchase-orders", body, key, what)
        return self._accepted(order.business_key, response, "po_number")

    # -- the wire --------------------------------------------------------------------------

    def _path(self, resource: str) -> str:
        return f"/api/{self.config.api_version}/{resource}"

    async def _post(self, resource: str, body: Any, key: str, what: str) -> httpx.Response:
        return await self._request("POST", self._path(resource), body=body, key=key, what=what)

    async def _request(
        self,
        method: str,
        path: str,
        *,
        what: str,
        body: Any = None,
        key: str | None = None,
        params: dict[str, str] | None = None,
        missing_ok: bool = False,
    ) -> httpx.Response:
        # Encoded once: a retry after a refused token sends the very same bytes.
        content = None if body is None else msgspec.json.encode(body)
        for attempt in (1, 2):
            await self.limiter.acquire()
            token = await self.tokens.get()
            headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
            if content is not None:
                headers["Content-Type"] = "application/json"
            if key is not None:
                headers["Idempotency-Key"] = key
            response = await send(
                self._http, method, path, what=what, content=content, headers=headers, params=params
            )
            self.requests_sent += 1
            self._notice_deprecation(response)
            if response.status_code == 401:
                self.tokens.invalidate(token)
                if attempt == 1:
                    continue
                break
            if response.is_success or (missing_ok and response.status_code == 404):
                return response
            error = error_for_response(response, what)
            if response.status_code == 429:
                # Every request of this client waits, not only the one that was refused.
                self.limiter.back_off(error.retry_after if error.retry_after is not None else 1.0)
            raise error
        raise TransientDeliveryError(f"{what}: the ERP refused a freshly issued token", status=401)

    def _notice_deprecation(self, response: httpx.Response) -> None:
        deprecation = response.headers.get("deprecation")
        if deprecation is None or self.deprecation is not None:
            return
        link = response.headers.get("link", "")
        successor = link.split(";")[0].strip(" <>") if "successor-version" in link else None
        self.deprecation = ApiDeprecation(
            api_version=self.config.api_version,
            deprecation=deprecation,
            sunset=response.headers.get("sunset"),
            successor=successor,
        )
        self._log.warning(
            "ERP API %s is deprecated (Deprecation: %s; Sunset: %s; successor: %s): "
            "set ErpConfig.api_version to the successor",
            self.config.api_version,
            deprecation,
            self.deprecation.sunset,
            successor,
        )

    def _accepted(self, business_key: str, response: httpx.Response, id_field: str) -> PostOutcome:
        payload = _decode(response, business_key)
        document_id = payload.get(id_field) if isinstance(payload, dict) else None
        if not isinstance(document_id, str):
            raise PermanentDeliveryError(f"{business_key}: ERP answer lacks {id_field}")
        replayed = response.headers.get("idempotent-replayed") == "true" or bool(
            payload.get("replayed")
        )
        return PostOutcome(business_key, "replayed" if replayed else "posted", document_id)

    @staticmethod
    def _bulk_outcomes(
        business_keys: list[str], response: httpx.Response, what: str
    ) -> list[PostOutcome]:
        try:
            answer = msgspec.json.decode(response.content, type=_BulkAnswer)
        except msgspec.DecodeError as exc:
            raise PermanentDeliveryError(f"{what}: malformed bulk answer: {exc}") from exc
        if sorted(r.index for r in answer.results) != list(range(len(business_keys))):
            raise PermanentDeliveryError(f"{what}: bulk answer does not cover every entry once")
        whole_replay = response.headers.get("idempotent-replayed") == "true"
        outcomes: list[PostOutcome] = []
        for result in sorted(answer.results, key=lambda r: r.index):
            key = business_keys[result.index]
            if 200 <= result.status < 300:
                replayed = result.replayed or whole_replay
                outcomes.append(PostOutcome(key, "replayed" if replayed else "posted", result.id))
            else:
                error = result.error or f"refused with status {result.status}"
                outcomes.append(PostOutcome(key, "rejected", error=error))
        return outcomes


def _decode(response: httpx.Response, what: str) -> Any:
    try:
        return msgspec.json.decode(response.content)
    except msgspec.DecodeError as exc:
        raise PermanentDeliveryError(f"{what}: ERP answer is not JSON: {exc}") from exc


def _batches(records: Sequence[_T], size: int) -> list[Sequence[_T]]:
    return [records[i : i + size] for i in range(0, len(records), size)]


def _batch_key(item_keys: list[str]) -> str:
    return idempotency_key("bulk", "\n".join(item_keys))
