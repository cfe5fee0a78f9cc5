"""A parsed 835 becomes finance events: one posting per payment or adjustment, idempotent."""

from __future__ import annotations

from collections import Counter, defaultdict
from decimal import Decimal

import msgspec
import pytest

from careweave.codecs.x12.remittance import RemittanceAdvice, parse_remittances
from careweave.exceptions import MappingError
from careweave.mappings.x12_remittance import posted_total, remittance_events
from careweave.model.finance import (
    ClaimAdjustmentPosting,
    ClaimDenied,
    ClaimPaid,
    ContractualAdjustmentPosted,
    PatientResponsibilityAssigned,
    ProviderLevelAdjustment,
    RemittanceReceived,
    WriteOffPosted,
)
from careweave.model.revenue import DenialCategory
from careweave.revenue.denial_work import open_work_item
from tests.conftest import corpus_path

from .x12_samples import PAYMENT, sample_835

CORPUS_835 = ("cob-contractural-adjustment.835", "medicare-part-a.835")

EventUnion = (
    RemittanceReceived
    | ClaimPaid
    | ContractualAdjustmentPosted
    | PatientResponsibilityAssigned
    | ClaimDenied
    | WriteOffPosted
    | ProviderLevelAdjustment
)


def advice_of(text: str) -> RemittanceAdvice:
    (advice,) = parse_remittances(text)
    return advice


def claim_ref(key: str) -> str:
    return key.split(":")[4]


def check_totals(advice: RemittanceAdvice, events) -> None:
    """Payment and every claim add up to the cent; one posting per non-zero amount."""
    (received,) = [e for e in events if isinstance(e, RemittanceReceived)]
    assert received.payment_amount == advice.payment
    assert posted_total(events) == advice.payment
    by_claim: dict[str, Decimal] = defaultdict(Decimal)
    for event in events:
        if isinstance(event, ClaimPaid | ClaimAdjustmentPosting):
            by_claim[claim_ref(event.idempotency_key)] += event.amount
    seen: Counter[str] = Counter()
    for claim in advice.claims:
        seen[claim.id] += 1
        ref = claim.id if seen[claim.id] == 1 else f"{claim.id}~{seen[claim.id]}"
        assert by_claim[ref] == claim.charge, ref
    amounts = [a.amount for c in advice.claims for a in c.adjustments]
    amounts += [a.amount for c in advice.claims for line in c.lines for a in line.adjustments]
    adjustments = [e for e in events if isinstance(e, ClaimAdjustmentPosting)]
    assert len(adjustments) == sum(1 for a in amounts if a != 0)
    paid = [e for e in events if isinstance(e, ClaimPaid)]
    assert len(paid) == sum(1 for c in advice.claims if c.paid != 0)
    plb = [e for e in events if isinstance(e, ProviderLevelAdjustment)]
    assert len(plb) == sum(1 for p in advice.provider_adjustments if p.amount != 0)
    keys = [e.idempotency_key for e in events]
    assert len(keys) == len(set(keys))


def test_sample_835_totals_to_the_cent():
    advice = advice_of(sample_835())
    assert advice.balanced
    events = remittance_events(advice)
    check_totals(advice, events)
    assert posted_total(events) == Decimal(PAYMENT)


def test_sample_835_postings_by_kind():
    events = remittance_events(advice_of(sample_835()))
    kinds = Counter(type(e).__name__ for e in events)
    assert kinds == {
        "RemittanceReceived": 1,
        "ClaimPaid": 5,  # A, C, D reversal, D correction, E (B paid nothing)
        "ContractualAdjustmentPosted": 4,
        "PatientResponsibilityAssigned": 4,
        "ClaimDenied": 2,
        "WriteOffPosted": 1,
        "ProviderLevelAdjustment": 2,
    }
    denials = {e.claim_id: e for e in events if isinstance(e, ClaimDenied)}
    assert denials["CLM-B"].category is DenialCategory.AUTHORIZATION
    assert denials["CLM-B"].line_number is None
    assert denials["CLM-B"].amount == Decimal("2400.00")
    assert denials["CLM-C"].category is DenialCategory.CODING
    assert denials["CLM-C"].rarcs == ("M51",)
    assert denials["CLM-C"].line_number == 2
    assert denials["CLM-C"].procedure_code == "J1100"
    (write_off,) = [e for e in events if isinstance(e, WriteOffPosted)]
    assert (write_off.group_code, write_off.carc) == ("OA", "23")


def test_keys_name_payer_trace_claim_line_and_index():
    events = remittance_events(advice_of(sample_835()))
    keys = [e.idempotency_key for e in events]
    assert keys[0] == "835:remittance:1512345678:EFT20260310A"
    assert "835:paid:1512345678:EFT20260310A:CLM-A" in keys
    assert "835:adj:1512345678:EFT20260310A:CLM-A:2:3" in keys  # line 2, copay
    assert "835:adj:1512345678:EFT20260310A:CLM-B:claim:1" in keys
    assert "835:paid:1512345678:EFT20260310A:CLM-D" in keys  # the reversal
    assert "835:paid:1512345678:EFT20260310A:CLM-D~2" in keys  # the correction
    assert "835:plb:1512345678:EFT20260310A:2" in keys


def test_receiving_the_same_835_twice_yields_identical_keys_and_events():
    first = remittance_events(advice_of(sample_835()), source_message_id="msg-1")
    again = remittance_events(advice_of(sample_835()), source_message_id="msg-1")
    assert [e.idempotency_key for e in first] == [e.idempotency_key for e in again]
    assert first == again


def test_another_trace_number_is_another_remittance():
    first = {e.idempotency_key for e in remittance_events(advice_of(sample_835()))}
    other = remittance_events(advice_of(sample_835(trace="EFT20260311B")))
    assert first.isdisjoint(e.idempotency_key for e in other)


def test_common_facts_and_entity_resolution():
    advice = advice_of(sample_835())
    events = remittance_events(advice, entity_for=lambda payee: f"entity-of-{payee.id}")
    assert {e.entity for e in events} == {"entity-of-1234567893"}
    assert {e.payer_id for e in events} == {"1512345678"}
    assert {str(e.remitted_on) for e in events} == {"2026-03-10"}
    assert remittance_events(advice)[0].entity == "1234567893"


def test_unbalanced_835_is_refused_naming_the_problem():
    advice = advice_of(sample_835(payment="1422.36"))
    with pytest.raises(MappingError, match=r"does not balance: BPR02 payment 1422\.36"):
        remittance_events(advice)


def test_835_without_trace_number_is_refused():
    advice = advice_of(sample_835(trace=""))
    with pytest.raises(MappingError, match="TRN02 trace number is missing"):
        remittance_events(advice)


def test_835_without_payee_is_refused():
    advice = advice_of(sample_835())
    with pytest.raises(MappingError, match=r"no payee \(N1\*PE\)"):
        remittance_events(advice, entity_for=lambda payee: "")


def test_events_round_trip_through_json_with_exact_decimals():
    events = remittance_events(advice_of(sample_835()))
    data = msgspec.json.encode(events)
    assert b'"amount":"-12.35"' in data
    assert msgspec.json.decode(data, type=list[EventUnion]) == events


def test_denials_open_work_items_once():
    events = remittance_events(advice_of(sample_835()))
    items = [open_work_item(e) for e in events if isinstance(e, ClaimDenied)]
    assert {i.owner_team for i in items} == {"utilization-management", "coding"}
    again = [open_work_item(e) for e in remittance_events(advice_of(sample_835()))
             if isinstance(e, ClaimDenied)]  # fmt: skip
    assert [i.item_id for i in items] == [i.item_id for i in again]


@pytest.mark.parametrize("name", CORPUS_835)
def test_corpus_835_totals_to_the_cent(name):
    path = corpus_path("x12", "linuxforhealth-x12", "835_005010X221A1", name)
    for advice in parse_remittances(path.read_bytes()):
        events = remittance_events(advice)
        check_totals(advice, events)
        keys = [e.idempotency_key for e in events]
        assert keys == [e.idempotency_key for e in remittance_events(advice)]


def test_corpus_835_with_denied_lines():
    path = corpus_path("x12", "pyx12", "835_mult_loops.txt")
    (advice,) = parse_remittances(path.read_bytes())
    events = remittance_events(advice)
    check_totals(advice, events)
    denied = [e for e in events if isinstance(e, ClaimDenied)]
    assert [e.line_number for e in denied] == [1, 2, 3]
    assert sum(e.amount for e in denied) == Decimal("915.39")


def test_corpus_835_that_does_not_balance_is_refused():
    path = corpus_path("x12", "linuxforhealth-x12", "835_005010X221A1", "tertiary-payment.835")
    (advice,) = parse_remittances(path.read_bytes())
    with pytest.raises(MappingError, match=r"does not balance.*claim 0001000054"):
        remittance_events(advice)
