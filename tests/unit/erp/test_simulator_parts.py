"""The simulator's books, fault generator and idempotency cache, without a server."""

import datetime as dt
from decimal import Decimal

import pytest

from careweave.exceptions import ValidationError
from careweave.sandbox.erp import ErpState, seed_demo_books
from careweave.sandbox.erp.config import FaultConfig
from careweave.sandbox.erp.faults import FaultInjector
from careweave.sandbox.erp.idempotency import Claim, IdempotencyCache, StoredResponse
from careweave.sandbox.erp.records import JournalLineRecord, JournalRecord, Segments
from careweave.sandbox.erp.routes_versioned import parse_account
from careweave.sandbox.erp.wire import InventoryTransactionIn, PurchaseOrderIn, PurchaseOrderLineIn

SEG = Segments("10", "4010", "61000")


def journal(*amounts: tuple[str, str]) -> JournalRecord:
    lines = [
        JournalLineRecord(n, SEG, Decimal(d), Decimal(c)) for n, (d, c) in enumerate(amounts, 1)
    ]
    return JournalRecord("", "E1", "10", dt.date(2026, 11, 27), "", "api", "USD", lines)


def test_balanced_journal_posts_and_its_item_key_never_posts_twice():
    state = ErpState()
    posted, replayed = state.post_journal(journal(("10.00", "0"), ("0", "10.00")), "k1")
    again, replayed_again = state.post_journal(journal(("10.00", "0"), ("0", "10.00")), "k1")
    assert (posted.journal_id, replayed) == ("JE-0000001", False)
    assert (again.journal_id, replayed_again) == ("JE-0000001", True)
    assert state.counts()["journals"] == 1


@pytest.mark.parametrize(
    ("amounts", "reason"),
    [
        ((("10.00", "0"), ("0", "9.99")), "unbalanced: debits 10.00, credits 9.99"),
        ((("10.00", "0"),), "at least two lines"),
        ((("10.00", "10.00"), ("0", "0")), "line 1: exactly one of debit, credit"),
        ((("10.001", "0"), ("0", "10.001")), "line 1: debit 10.001"),
        ((("-5", "0"), ("0", "-5")), "non-negative"),
    ],
)
def test_bad_journals_are_refused_with_the_reason(amounts, reason):
    state = ErpState()
    with pytest.raises(ValidationError, match=reason.replace("(", r"\(")):
        state.post_journal(journal(*amounts))
    assert state.journals() == []


def test_v1_account_strings():
    assert parse_account(1, "10-4010-61000") == SEG
    assert parse_account(1, "10-4010-61000-CARD-PG1").physician_group == "PG1"
    with pytest.raises(ValidationError, match="line 2: account '10-4010'"):
        parse_account(2, "10-4010")
    with pytest.raises(ValidationError, match="line 3"):
        parse_account(3, "10--61000")


def test_inventory_moves_and_refuses_to_go_negative():
    state = ErpState()
    seed_demo_books(state)
    assert state.on_hand("STENT-DES-3015", "MAIN-CATHLAB") == 10
    tx = state.record_transaction(
        InventoryTransactionIn("issue", "STENT-DES-3015", "MAIN-CATHLAB", 2, lot="L1", serial="S9")
    )
    assert tx.on_hand_after == 8
    with pytest.raises(ValidationError, match=r"cannot issue 9 .* 8 on hand"):
        state.record_transaction(
            InventoryTransactionIn("issue", "STENT-DES-3015", "MAIN-CATHLAB", 9)
        )
    with pytest.raises(ValidationError, match="not in the item master"):
        state.record_transaction(InventoryTransactionIn("receipt", "NOPE", "MAIN-CATHLAB", 1))
    with pytest.raises(ValidationError, match="not a known location"):
        state.record_transaction(InventoryTransactionIn("receipt", "STENT-DES-3015", "MARS", 1))


def test_bill_only_po_lines_must_document_the_case():
    state = ErpState()
    seed_demo_books(state)
    line = PurchaseOrderLineIn("STENT-DES-3015", 1, Decimal("1450.00"), patient_id="P1")
    with pytest.raises(ValidationError, match="procedure_code, procedure_date, lot or serial"):
        state.create_purchase_order(PurchaseOrderIn("CardioVasc", "10", [line], bill_only=True))
    full = PurchaseOrderLineIn(
        "STENT-DES-3015", 1, Decimal("1450.00"), "P1", "92928", dt.date(2026, 11, 27), serial="S9"
    )
    po = state.create_purchase_order(PurchaseOrderIn("CardioVasc", "10", [full], bill_only=True))
    assert po.po_number == "PO-0000001" and po.lines[0].serial == "S9"


def test_faults_are_deterministic_for_a_seed_and_bursts_have_their_length():
    config = FaultConfig(seed=42, burst_probability=0.1, burst_length=3, slow_probability=0.1)
    first = FaultInjector(config).decide()
    run_a = FaultInjector(config)
    run_b = FaultInjector(config)
    fates_a = [run_a.decide() for _ in range(300)]
    fates_b = [run_b.decide() for _ in range(300)]
    assert fates_a == fates_b and first == fates_a[0]
    flags = "".join("U" if f.unavailable else "." for f in fates_a)
    assert "U" in flags
    # A burst answers exactly burst_length requests (a new one may start right after).
    runs = [len(r) for r in flags.rstrip("U").replace(".", " ").split()]
    assert runs and all(n % 3 == 0 for n in runs)
    assert any(f.delay > 0 for f in fates_a)
    other = FaultInjector(FaultConfig(seed=43, burst_probability=0.1, slow_probability=0.1))
    assert [other.decide() for _ in range(300)] != fates_a


def test_idempotency_cache_claims():
    cache = IdempotencyCache()
    assert cache.claim("c", "k", "fp")[0] is Claim.NEW
    assert cache.claim("c", "k", "fp")[0] is Claim.IN_FLIGHT
    assert cache.claim("c", "k", "other")[0] is Claim.MISMATCH
    assert cache.claim("other-client", "k", "fp")[0] is Claim.NEW
    cache.complete("c", "k", StoredResponse("fp", 201, [], b"{}"))
    claim, stored = cache.claim("c", "k", "fp")
    assert claim is Claim.REPLAY and stored is not None and stored.status == 201
    assert cache.claim("c", "k", "other")[0] is Claim.MISMATCH
    cache.complete("c", "k2", None)
    assert cache.claim("c", "k2", "fp")[0] is Claim.NEW
