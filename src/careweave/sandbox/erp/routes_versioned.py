"""Items and journals: the resources whose shape changed between API v1 and v2."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody

from careweave.exceptions import ValidationError
from careweave.sandbox.erp.records import (
    SEGMENT_ORDER,
    JournalLineRecord,
    JournalRecord,
    Segments,
)
from careweave.sandbox.erp.state import ErpState
from careweave.sandbox.erp.wire import (
    BulkItemsV1,
    BulkItemsV2,
    BulkJournalsV1,
    BulkJournalsV2,
    BulkResponse,
    BulkResult,
    ItemV1,
    ItemV2,
    JournalLineV1,
    JournalLineV2,
    JournalV1,
    JournalV2,
    PostedJournal,
)

IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key")]


def parse_account(line_no: int, account: str) -> Segments:
    """Split a v1 account string; service line and physician group may be left off."""
    parts = account.split("-")
    if not 3 <= len(parts) <= len(SEGMENT_ORDER) or not all(p.strip() for p in parts):
        raise ValidationError(
            f"line {line_no}: account {account!r} is not "
            "entity-cost_center-account[-service_line[-physician_group]]"
        )
    return Segments(**dict(zip(SEGMENT_ORDER, parts, strict=False)))


def _journal_record(journal: JournalV1 | JournalV2) -> JournalRecord:
    lines: list[JournalLineRecord] = []
    wire_lines: Sequence[JournalLineV1 | JournalLineV2] = journal.lines
    for n, line in enumerate(wire_lines, 1):
        segments = (
            parse_account(n, line.account) if isinstance(line, JournalLineV1) else line.segments
        )
        lines.append(JournalLineRecord(n, segments, line.debit, line.credit, line.memo))
    return JournalRecord(
        journal_id="",
        external_id=journal.external_id,
        entity=journal.entity,
        posting_date=journal.posting_date,
        description=journal.description,
        source=journal.source,
        currency=journal.currency,
        lines=lines,
    )


def _journal_v1(record: JournalRecord) -> dict[str, Any]:
    lines = [
        JournalLineV1(x.segments.to_account_string(), x.debit, x.credit, x.memo)
        for x in record.lines
    ]
    body = msgspec.to_builtins(_header(record, JournalV1, lines))
    return {"journal_id": record.journal_id, **body}


def _journal_v2(record: JournalRecord) -> dict[str, Any]:
    lines = [JournalLineV2(x.segments, x.debit, x.credit, x.memo) for x in record.lines]
    body = msgspec.to_builtins(_header(record, JournalV2, lines))
    return {"journal_id": record.journal_id, **body}


def _header(record: JournalRecord, shape: Any, lines: list[Any]) -> Any:
    return shape(
        external_id=record.external_id,
        entity=record.entity,
        posting_date=record.posting_date,
        lines=lines,
        description=record.description,
        source=record.source,
        currency=record.currency,
    )


def _post_one(
    erp: ErpState, journal: JournalV1 | JournalV2, key: str | None
) -> Response[PostedJournal]:
    # The request's Idempotency-Key is also the journal's own key, the one a bulk entry carries:
    # a journal posted alone and later again in a bulk (or the other way round) posts once.
    posted, replayed = erp.post_journal(_journal_record(journal), key)
    answer = PostedJournal(posted.journal_id, posted.external_id, replayed=replayed)
    return Response(answer, status_code=200 if replayed else 201)


def _post_bulk(
    erp: ErpState, entries: list[tuple[JournalV1 | JournalV2, str | None]]
) -> BulkResponse:
    results: list[BulkResult] = []
    for index, (journal, key) in enumerate(entries):
        try:
            posted, replayed = erp.post_journal(_journal_record(journal), key)
        except ValidationError as exc:
            results.append(BulkResult(index, 422, error=exc.message))
            continue
        status = 200 if replayed else 201
        results.append(BulkResult(index, status, id=posted.journal_id, replayed=replayed))
    return BulkResponse(results)


def _find_journals(erp: ErpState, external_id: str | None) -> list[JournalRecord]:
    return [j for j in erp.journals() if external_id is None or j.external_id == external_id]


def _one_journal(erp: ErpState, journal_id: str) -> JournalRecord:
    record = erp.journal(journal_id)
    if record is None:
        raise NotFoundException(f"journal {journal_id} does not exist")
    return record


class JournalsV1Controller(Controller):
    """General-ledger journals, v1: each line's account is one segment string."""

    path = "/journals"

    @post("/", status_code=201)
    async def post_journal(
        self,
        data: JSONBody[JournalV1],
        erp: NamedDependency[ErpState],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PostedJournal]:
        """Post a balanced journal (422 when unbalanced)."""
        return _post_one(erp, data, idempotency_key)

    @post("/bulk", status_code=200)
    async def post_journals(
        self, data: JSONBody[BulkJournalsV1], erp: NamedDependency[ErpState]
    ) -> BulkResponse:
        """Post many journals; one result each, in order."""
        return _post_bulk(erp, [(e.journal, e.idempotency_key) for e in data.journals])

    @get("/")
    async def list_journals(
        self, erp: NamedDependency[ErpState], external_id: FromQuery[str | None] = None
    ) -> list[Any]:
        """Posted journals, optionally those with one external id."""
        return [_journal_v1(j) for j in _find_journals(erp, external_id)]

    @get("/{journal_id:str}")
    async def get_journal(
        self, journal_id: FromPath[str], erp: NamedDependency[ErpState]
    ) -> dict[str, Any]:
        """One posted journal."""
        return _journal_v1(_one_journal(erp, journal_id))


class JournalsV2Controller(Controller):
    """General-ledger journals, v2: each line's account is a segments object."""

    path = "/journals"

    @post("/", status_code=201)
    async def post_journal(
        self,
        data: JSONBody[JournalV2],
        erp: NamedDependency[ErpState],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[PostedJournal]:
        """Post a balanced journal (422 when unbalanced)."""
        return _post_one(erp, data, idempotency_key)

    @post("/bulk", status_code=200)
    async def post_journals(
        self, data: JSONBody[BulkJournalsV2], erp: NamedDependency[ErpState]
    ) -> BulkResponse:
        """Post many journals; one result each, in order."""
        return _post_bulk(erp, [(e.journal, e.idempotency_key) for e in data.journals])

    @get("/")
    async def list_journals(
        self, erp: NamedDependency[ErpState], external_id: FromQuery[str | None] = None
    ) -> list[Any]:
        """Posted journals, optionally those with one external id."""
        return [_journal_v2(j) for j in _find_journals(erp, external_id)]

    @get("/{journal_id:str}")
    async def get_journal(
        self, journal_id: FromPath[str], erp: NamedDependency[ErpState]
    ) -> dict[str, Any]:
        """One posted journal."""
        return _journal_v2(_one_journal(erp, journal_id))


def _bulk_items(erp: ErpState, items: Sequence[ItemV1 | ItemV2]) -> BulkResponse:
    results: list[BulkResult] = []
    for index, item in enumerate(items):
        try:
            erp.put_item(item.to_record())
        except ValidationError as exc:
            results.append(BulkResult(index, 422, error=exc.message))
        else:
            results.append(BulkResult(index, 201, id=item.item_number))
    return BulkResponse(results)


class ItemsV1Controller(Controller):
    """Item master, v1: ``uom`` is a code string."""

    path = "/items"

    @get("/")
    async def list_items(self, erp: NamedDependency[ErpState]) -> list[ItemV1]:
        """Every item."""
        return [ItemV1.from_record(x) for x in erp.items()]

    @get("/{item_number:str}")
    async def get_item(self, item_number: FromPath[str], erp: NamedDependency[ErpState]) -> ItemV1:
        """One item."""
        item = erp.item(item_number)
        if item is None:
            raise NotFoundException(f"item {item_number} does not exist")
        return ItemV1.from_record(item)

    @post("/", status_code=201)
    async def put_item(self, data: JSONBody[ItemV1], erp: NamedDependency[ErpState]) -> ItemV1:
        """Create or replace an item."""
        return ItemV1.from_record(erp.put_item(data.to_record()))

    @post("/bulk", status_code=200)
    async def put_items(
        self, data: JSONBody[BulkItemsV1], erp: NamedDependency[ErpState]
    ) -> BulkResponse:
        """Create or replace many items."""
        return _bulk_items(erp, data.items)


class ItemsV2Controller(Controller):
    """Item master, v2: ``unit_of_measure`` is an object."""

    path = "/items"

    @get("/")
    async def list_items(self, erp: NamedDependency[ErpState]) -> list[ItemV2]:
        """Every item."""
        return [ItemV2.from_record(x) for x in erp.items()]

    @get("/{item_number:str}")
    async def get_item(self, item_number: FromPath[str], erp: NamedDependency[ErpState]) -> ItemV2:
        """One item."""
        item = erp.item(item_number)
        if item is None:
            raise NotFoundException(f"item {item_number} does not exist")
        return ItemV2.from_record(item)

    @post("/", status_code=201)
    async def put_item(self, data: JSONBody[ItemV2], erp: NamedDependency[ErpState]) -> ItemV2:
        """Create or replace an item."""
        return ItemV2.from_record(erp.put_item(data.to_record()))

    @post("/bulk", status_code=200)
    async def put_items(
        self, data: JSONBody[BulkItemsV2], erp: NamedDependency[ErpState]
    ) -> BulkResponse:
        """Create or replace many items."""
        return _bulk_items(erp, data.items)
