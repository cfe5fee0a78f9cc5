"""The clearinghouse's answers: 999 for good and broken 837s, 277CA, and balanced 835s that
careweave's parser and pyx12 both accept; split, delayed and deterministic payments."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal
from pathlib import Path

import msgspec

from careweave.codecs.x12 import parse_277, parse_999, parse_remittances, validate_interchange
from careweave.codecs.x12.claims import Organization, ServiceLine
from careweave.sandbox.clearinghouse import (
    Clearinghouse,
    ClearinghouseConfig,
    PayerRules,
    sample_payers,
)
from tests.integration.clearinghouse.claim_builder import (
    MEDICARE,
    RECEIVED,
    SettableClock,
    claim,
    make_clearinghouse,
    x12_837,
)
from tests.unit.x12.claim_fixtures import make_claims
from tests.unit.x12.pyx12_oracle import pyx12_errors


def _outbound(root: Path, suffix: str) -> list[Path]:
    return sorted((root / "outbound").glob(f"*.{suffix}"))


def test_a_valid_837_is_accepted_by_a_999_pyx12_accepts(tmp_path: Path) -> None:
    house, _ = make_clearinghouse(tmp_path)
    receipt = house.submit(x12_837(claim("C1"), claim("C2", ("99214", "200.00"))))
    assert (receipt.accepted, receipt.claims_accepted, receipt.claims_rejected) == (True, 2, 0)
    (ack,) = parse_999(house.read("999", receipt.ack_999) or "")
    assert (ack.status, ack.accepted, [t.status for t in ack.transactions]) == ("A", 1, ["A"])
    assert ack.transactions[0].link_key == "1/0001"
    assert pyx12_errors(tmp_path / "outbound" / receipt.ack_999) == []


def test_a_broken_837_is_rejected_naming_the_segment_and_nothing_is_adjudicated(
    tmp_path: Path,
) -> None:
    house, _ = make_clearinghouse(tmp_path)
    broken = x12_837(claim("C1")).replace("CLM*C1*150*", "CLM*C1*1X0*")
    receipt = house.submit(broken)
    assert not receipt.accepted and receipt.status_277 == "" and receipt.claims_accepted == 0
    assert receipt.problems == ["segment 20 (CLM): CLM02 '1X0' is not a decimal number"]
    (ack,) = parse_999(house.read("999", receipt.ack_999) or "")
    (response,) = ack.transactions
    assert (ack.status, response.status, response.codes) == ("R", "R", ["5"])
    (error,) = response.errors
    assert (error.segment_id, error.position, error.loop_id) == ("CLM", 18, "2300")
    assert [(e.position, e.code, e.value) for e in error.elements] == [("2", "6", "1X0")]
    assert house.adjudicated() == [] and house.pending() == 0
    assert pyx12_errors(tmp_path / "outbound" / receipt.ack_999) == []


def test_a_wrong_segment_count_and_non_x12_are_answered_not_crashed(tmp_path: Path) -> None:
    house, _ = make_clearinghouse(tmp_path)
    text = x12_837(claim("C1"))
    count = text.split("\nSE*")[1].split("*")[0]
    receipt = house.submit(text.replace(f"\nSE*{count}*", f"\nSE*{int(count) + 3}*"))
    (ack,) = parse_999(house.read("999", receipt.ack_999) or "")
    assert ack.transactions[0].status == "R" and "4" in ack.transactions[0].codes
    garbage = house.submit(b"this is not an X12 file")
    assert not garbage.accepted and garbage.problems
    assert "TA1*" in (house.read("999", garbage.ack_999) or "")


def test_277ca_accepts_and_rejects_claims_with_stc_codes(tmp_path: Path) -> None:
    house, _ = make_clearinghouse(tmp_path)
    nowhere = Organization("NOWHERE MUTUAL", "99999")
    receipt = house.submit(x12_837(claim("OK1"), claim("BADPAYER", payer=nowhere),
                                   claim("BADMEMBER", member="M-1")))  # fmt: skip
    assert (receipt.claims_accepted, receipt.claims_rejected) == (1, 2)
    assert any("'99999'" in p for p in receipt.problems)
    (report,) = parse_277(house.read("277", receipt.status_277) or "")
    by_claim = {e.link_key: e for e in report.claims()}
    assert set(by_claim) == {"OK1", "BADPAYER", "BADMEMBER"}
    ok = by_claim["OK1"]
    assert (ok.statuses[0].category, ok.statuses[0].code) == ("A2", "20")
    assert ok.payer_claim_id == house.adjudicated()[0].payer_claim_id
    assert [(s.category, s.code) for s in by_claim["BADPAYER"].statuses] == [("A3", "116")]
    bad_member = by_claim["BADMEMBER"].statuses[0]
    assert (bad_member.category, bad_member.code, bad_member.entity) == ("A3", "164", "IL")
    assert [c.claim_id for c in house.adjudicated()] == ["OK1"]
    assert pyx12_errors(tmp_path / "outbound" / receipt.status_277) == []


# The claim fixtures serve from 2025-01-06 on: the day's files reach the clearinghouse in March.
DAY_RECEIVED = dt.datetime(2025, 3, 3, 8, 0, tzinfo=dt.UTC)


def _day_of_claims(house: Clearinghouse) -> set[str]:
    """A varied batch (three payers, 1-4 lines) plus claims that trip each denial rule."""
    professional = make_claims(45, institutional=False)
    served = dt.date(2025, 2, 24)
    rules = (
        claim("CATH-NOAUTH", ("93458", "2500.00"), service=served),
        claim("ECG-NONEC", ("93000", "40.00"), payer=MEDICARE, diagnoses=("E119",), filing="MB",
              service=served),
        claim("LATE", service=dt.date(2024, 10, 1)),
    )  # fmt: skip
    first = house.submit(x12_837(*professional[:30], *rules))
    second = house.submit(x12_837(*professional[30:], rules[2], start=100))
    institutional = house.submit(x12_837(*make_claims(12, institutional=True, seed=3),
                                         kind="institutional", start=200))  # fmt: skip
    assert first.claims_accepted == 33 and second.claims_accepted == 16
    assert institutional.claims_accepted == 12
    return {c.claim_id for c in professional} | {"CATH-NOAUTH", "ECG-NONEC", "LATE"}


def test_every_835_parses_balances_and_validates_with_pyx12(tmp_path: Path) -> None:
    house, clock = make_clearinghouse(tmp_path, now=DAY_RECEIVED)
    _day_of_claims(house)
    assert house.files("835") == []  # nothing is paid on the day it is received
    clock.advance(60)
    released = house.files("835")
    paths = _outbound(tmp_path, "835")
    assert len(paths) == len(released) >= 6
    paid: Counter[str] = Counter()
    decided = {(c.claim_id, c.trace_number): c for c in house.adjudicated()}
    for path in paths:
        assert pyx12_errors(path) == [], path.name
        assert validate_interchange(path.read_bytes()).problems == [], path.name
        (advice,) = parse_remittances(path.read_bytes())
        assert advice.balanced, advice.imbalances
        plb = sum((p.amount for p in advice.provider_adjustments), Decimal(0))
        assert advice.payment == sum((c.paid for c in advice.claims), Decimal(0)) - plb
        for payment in advice.claims:
            paid[payment.id] += 1
            expected = decided[(payment.id, advice.trace_number)]
            assert (payment.paid, payment.status) == (expected.paid, expected.status)
            cas = sum((a.amount for ln in payment.lines for a in ln.adjustments), Decimal(0))
            assert payment.charge - payment.paid == cas
    # each adjudicated claim is on exactly one check (LATE and its duplicate are two claims)
    assert sum(paid.values()) == len(house.adjudicated()) == 33 + 16 + 12
    for path in [*_outbound(tmp_path, "999"), *_outbound(tmp_path, "277")]:
        assert pyx12_errors(path) == [], path.name
    reasons = {(a.group, a.reason) for p in paths for adv in parse_remittances(p.read_bytes())
               for c in adv.claims for ln in c.lines for a in ln.adjustments}  # fmt: skip
    assert {("CO", "45"), ("PR", "1"), ("PR", "2"), ("CO", "197"), ("CO", "50"), ("CO", "29"),
            ("CO", "18")} <= reasons  # fmt: skip


def test_835s_are_released_on_their_payment_date(tmp_path: Path) -> None:
    house, clock = make_clearinghouse(tmp_path)
    house.submit(x12_837(claim("C1"), claim("C2", ("99214", "200.00"))))
    clock.advance(13)
    assert house.files("835") == [] and house.pending() >= 1
    clock.advance(1)  # ACME pays 14 days after receipt
    (released,) = house.release_due() or house.files("835")
    assert released.released == RECEIVED.date() + dt.timedelta(days=14)
    assert house.read("835", released.name) is not None


def _eager_payer() -> PayerRules:
    (acme,) = (p for p in sample_payers() if p.payer_id == "60054")
    return msgspec.structs.replace(acme, split_share=1.0, interest_share=1.0, delayed_share=0.5,
                                   max_delay_days=5)  # fmt: skip


def test_split_checks_delays_and_interest(tmp_path: Path) -> None:
    clock = SettableClock()
    config = ClearinghouseConfig(inbound=tmp_path / "in", outbound=tmp_path / "out",
                                 payers=(_eager_payer(),))  # fmt: skip
    house = Clearinghouse(config, clock=clock)
    house.submit(x12_837(*(claim(f"C{i}", ("99213", f"{150 + i}.00"), member=f"M{i}")
                           for i in range(12))))  # fmt: skip
    clock.advance(30)
    decided = house.adjudicated()
    due = RECEIVED.date() + dt.timedelta(days=14)
    on_time = {c.trace_number for c in decided if c.payment_date == due}
    assert len(on_time) == 2  # the on-time claims were split across two checks
    assert any(c.payment_date > due for c in decided)  # and some were paid days later
    for path in sorted((tmp_path / "out").glob("*.835")):
        (advice,) = parse_remittances(path.read_bytes())
        (interest,) = advice.provider_adjustments
        assert interest.reason == "L6" and interest.amount < 0 and advice.balanced
        assert advice.payment == sum((c.paid for c in advice.claims), Decimal(0)) - interest.amount
        assert pyx12_errors(path) == []


def test_same_seed_same_files_other_seed_other_plan(tmp_path: Path) -> None:
    def run(root: Path, seed: int) -> dict[str, bytes]:
        house, clock = make_clearinghouse(root, seed, now=DAY_RECEIVED)
        _day_of_claims(house)
        clock.advance(60)
        house.release_due()
        return {p.name: p.read_bytes() for p in sorted((root / "outbound").iterdir())}

    first, again = run(tmp_path / "a", 7), run(tmp_path / "b", 7)
    assert first == again
    other = run(tmp_path / "c", 8)
    assert other != first


def test_the_drop_directory_is_polled_and_files_move_to_processed(tmp_path: Path) -> None:
    house, _ = make_clearinghouse(tmp_path)
    inbound = tmp_path / "inbound"
    (inbound / "batch1.837").write_text(x12_837(claim("C1")))
    (inbound / ".partial.837").write_text("ISA*")  # a writer still at work: left alone
    (inbound / "notes.pdf").write_bytes(b"%PDF")
    (receipt,) = house.poll()
    assert receipt.accepted and receipt.claims_accepted == 1
    assert sorted(p.name for p in inbound.iterdir() if p.is_file()) == [".partial.837", "notes.pdf"]
    assert (inbound / "processed" / f"{receipt.submission_id}-batch1.837").exists()
    assert (tmp_path / "outbound" / receipt.ack_999).exists()
    assert house.poll() == []


def test_public_surface() -> None:
    import careweave.sandbox.clearinghouse as package

    assert {"Clearinghouse", "ClearinghouseConfig", "ClearinghouseSimulator", "PayerRules",
            "PriorAuthorization", "SubmissionReceipt", "OutboundFile", "AdjudicatedClaim",
            "sample_payers", "write_277ca"} <= set(package.__all__)  # fmt: skip
    assert all(hasattr(package, name) for name in package.__all__)


def test_institutional_room_and_board_by_revenue_code_alone(tmp_path: Path) -> None:
    house, clock = make_clearinghouse(tmp_path)
    stay = claim("STAY1", ("99223", "400.00"))
    room = ServiceLine(Decimal("2400.00"), Decimal(2), stay.lines[0].service_date,
                       revenue_code="0120")  # fmt: skip
    stay = msgspec.structs.replace(stay, lines=(*stay.lines, room), facility_code="11")
    receipt = house.submit(x12_837(stay, kind="institutional"))
    assert receipt.claims_accepted == 1
    clock.advance(30)
    (released,) = house.files("835")
    (advice,) = parse_remittances(house.read("835", released.name) or "")
    lines = advice.claims[0].lines
    assert [(ln.procedure_qualifier, ln.procedure_code) for ln in lines] == [
        ("HC", "99223"), ("NU", "0120"),
    ]  # fmt: skip
    # not on the fee schedule: 60% allowed; the $500 deductible is 240 + 260 over the two lines
    assert [(a.group, a.reason, a.amount) for a in lines[1].adjustments] == [
        ("CO", "45", Decimal("960.00")), ("PR", "1", Decimal("260.00")),
        ("PR", "2", Decimal("236.00")),
    ]  # fmt: skip
    assert lines[1].paid == Decimal("944.00") and advice.balanced
    assert pyx12_errors(tmp_path / "outbound" / released.name) == []
