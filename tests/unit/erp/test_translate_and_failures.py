"""Canonical requests to v1/v2 wire shapes, and ERP wire failures to careweave errors.

The failures are judged by the shared HTTP boundary (tests/unit/connectors/test_http_boundary.py
holds its full table); these pin what the ERP connector relies on.
"""

import datetime as dt
from decimal import Decimal

import httpx
import pytest

from careweave.connectors.erp.translate import (
    idempotency_key,
    item_body,
    item_from_wire,
    journal_body,
)
from careweave.connectors.http_boundary import (
    error_for_exception,
    error_for_response,
    parse_retry_after,
)
from careweave.exceptions import MappingError, PermanentDeliveryError, TransientDeliveryError
from careweave.model.erp import ErpItem, GlSegments, JournalLine, JournalRequest

JOURNAL = JournalRequest(
    business_key="enc-1/alloc/v1",
    entity="10",
    posting_date=dt.date(2026, 11, 27),
    lines=[
        JournalLine(GlSegments("10", "4010", "61000", "CARD", "PG1"), debit=Decimal("12.50")),
        JournalLine(GlSegments("10", "8400", "14000"), credit=Decimal("12.50"), memo="stent"),
    ],
)


def test_v1_journal_lines_carry_an_account_string():
    body = journal_body(JOURNAL, "v1")
    assert body["external_id"] == "enc-1/alloc/v1"
    assert "business_key" not in body
    assert body["lines"][0] == {
        "account": "10-4010-61000-CARD-PG1",
        "debit": "12.50",
        "credit": "0.00",
        "memo": "",
    }
    assert body["lines"][1]["account"] == "10-8400-14000-000-000"


def test_v2_journal_lines_carry_a_segments_object():
    body = journal_body(JOURNAL, "v2")
    assert body["lines"][0]["segments"] == {
        "entity": "10",
        "cost_center": "4010",
        "account": "61000",
        "service_line": "CARD",
        "physician_group": "PG1",
    }
    assert "account" not in body["lines"][0]
    assert {k: v for k, v in body.items() if k != "lines"} == {
        k: v for k, v in journal_body(JOURNAL, "v1").items() if k != "lines"
    }


def test_items_round_trip_through_both_versions():
    item = ErpItem("A1", "Stent", "EA", Decimal("1450.00"), gtin="4006381333931", consigned=True)
    assert item_body(item, "v1")["uom"] == "EA"
    assert item_body(item, "v2")["unit_of_measure"] == {"code": "EA"}
    for version in ("v1", "v2"):
        assert item_from_wire(item_body(item, version), version) == item


def test_malformed_item_answers_are_mapping_errors():
    with pytest.raises(MappingError, match="unit_of_measure"):
        item_from_wire({"item_number": "A1", "uom": "EA"}, "v2")
    with pytest.raises(MappingError, match="malformed"):
        item_from_wire({"item_number": "A1"}, "v1")
    with pytest.raises(MappingError, match="not an object"):
        item_from_wire([], "v1")


def test_idempotency_key_is_stable_ascii_and_specific():
    key = idempotency_key("journal", "enc-1/alloc/v1 é")
    assert key == idempotency_key("journal", "enc-1/alloc/v1 é")
    assert key.isascii() and key.startswith("cw-journal-")
    assert key != idempotency_key("journal", "enc-1/alloc/v2 é")
    assert key != idempotency_key("requisition", "enc-1/alloc/v1 é")


def test_retry_after_seconds_and_http_dates():
    now = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Fri, 27 Nov 2026 12:00:05 GMT", now=now) == 5.0
    assert parse_retry_after("Fri, 27 Nov 2026 11:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def _response(
    status: int, headers: dict[str, str] | None = None, text: str = "{}"
) -> httpx.Response:
    # Every ERP POST carries an Idempotency-Key: a 409 to it means "the same key is in flight".
    request = httpx.Request(
        "POST", "http://erp/api/v2/journals", headers={"Idempotency-Key": "cw-journal-1"}
    )
    return httpx.Response(status, headers=headers, text=text, request=request)


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_statuses_a_retry_may_cure_are_transient(status):
    error = error_for_response(_response(status, {"Retry-After": "2"}), "journal J1")
    assert isinstance(error, TransientDeliveryError)
    assert error.retryable and error.status == status and error.retry_after == 2.0
    assert "journal J1" in error.message


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_refusals_are_permanent_and_keep_the_body(status):
    error = error_for_response(_response(status, text='{"detail":"unbalanced"}'), "journal J1")
    assert isinstance(error, PermanentDeliveryError)
    assert not error.retryable and error.status == status
    assert "unbalanced" in (error.response or "")


def test_exceptions_become_delivery_errors():
    request = httpx.Request("GET", "http://erp/")
    timeout = error_for_exception(httpx.ReadTimeout("slow", request=request), "x")
    refused = error_for_exception(httpx.ConnectError("refused", request=request), "x")
    garbled = error_for_exception(httpx.DecodingError("gzip", request=request), "x")
    assert isinstance(timeout, TransientDeliveryError)
    assert isinstance(refused, TransientDeliveryError)
    assert isinstance(garbled, PermanentDeliveryError)
