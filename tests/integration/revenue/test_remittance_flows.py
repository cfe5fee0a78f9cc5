"""An 835 arriving on an x12 channel: every payment and adjustment posted to the GL once, denials
opened as work items for their team, and an 835 that does not balance held in error, unposted.

Real 835s from the corpus (LinuxForHealth x12 test files): a Medicare Part A remittance that
balances, and a tertiary payment whose service line does not add up.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import msgspec

from careweave.app import build_engine
from careweave.codecs.x12 import parse_remittances
from careweave.config import parse_settings
from careweave.engine.store.sqlite import SqliteConfig, SqliteStore
from careweave.flows.services import FlowServices
from careweave.mappings.x12_decode import X12_CONTENT_TYPE
from careweave.mappings.x12_remittance import posted_total, remittance_events
from careweave.masterdata.entities import PayeeEntities
from careweave.model.finance import ClaimDenied, ClaimPaid
from careweave.model.records import CaseState, MessageState
from careweave.testing import RecordingHttpServer
from tests.conftest import corpus_path
from tests.integration.engine.helpers import wait_for

X12_835 = ("x12", "linuxforhealth-x12", "835_005010X221A1")


def settings(url: str) -> str:
    return f"""
[[channels]]
name = "clearinghouse"
format = "x12"
mapping = "x12-835-finance"
flows = ["remittance-posting", "denial-to-adjustment"]
source = {{ type = "mllp", port = 0 }}
[[channels.destinations]]
name = "general-ledger"
payload = "events"
event_types = ["NoSuchEvent"]
connector = {{ type = "http", url = "{url}/gl" }}
"""


async def test_a_balanced_835_posts_each_payment_and_adjustment_once(tmp_path: Path) -> None:
    raw = corpus_path(*X12_835, "medicare-part-a.835").read_bytes()
    expected = [e for a in parse_remittances(raw) for e in remittance_events(a)]
    payee = parse_remittances(raw)[0].payee.id
    with RecordingHttpServer() as gl:
        store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
        await store.open()
        engine = build_engine(
            parse_settings(settings(gl.url)),
            store,
            middleware=[],
            services=FlowServices(payees=PayeeEntities({payee: "RBH01"})),
        )
        await engine.start(listen=False)
        try:
            first, processing = await engine.receive(
                "clearinghouse", raw, content_type=X12_CONTENT_TYPE, dedup_key="835:a"
            )
            # The same remittance again under another file name: same keys, nothing posts twice.
            await engine.receive(
                "clearinghouse", raw, content_type=X12_CONTENT_TYPE, dedup_key="835:a-copy"
            )
            assert processing.state is MessageState.PROCESSED
            await wait_for(lambda: len(gl.requests) == 2 * len(expected), 10, "both deliveries")
        finally:
            await engine.stop()
            await store.close()
    posted = [msgspec.json.decode(r.body) for r in gl.applied.values()]
    assert set(gl.applied) == {e.idempotency_key for e in expected}
    assert gl.duplicates == len(expected)  # the copy was answered, not applied again
    assert all(p["entity"] == "RBH01" for p in posted)
    paid = sum(Decimal(p["amount"]) for p in posted if p["type"] == "ClaimPaid")
    assert paid == sum(e.amount for e in expected if isinstance(e, ClaimPaid))
    cash = sum(Decimal(p["payment_amount"]) for p in posted if p["type"] == "RemittanceReceived")
    plb = sum(Decimal(p["amount"]) for p in posted if p["type"] == "ProviderLevelAdjustment")
    assert cash == posted_total(expected) == paid - plb
    assert first.message_id > 0


async def test_an_835_that_does_not_balance_is_held_in_error_and_posts_nothing(
    tmp_path: Path,
) -> None:
    raw = corpus_path(*X12_835, "tertiary-payment.835").read_bytes()
    with RecordingHttpServer() as gl:
        store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
        await store.open()
        engine = build_engine(parse_settings(settings(gl.url)), store, middleware=[])
        await engine.start(listen=False)
        try:
            result, processing = await engine.receive(
                "clearinghouse", raw, content_type=X12_CONTENT_TYPE
            )
        finally:
            await engine.stop()
        stored = await store.get_message(result.message_id)
        effects = await store.list_effects(destination="general-ledger")
        await store.close()
    assert processing.state is MessageState.ERROR
    assert stored.state is MessageState.ERROR
    assert "does not balance" in (stored.error or "")
    assert "claim 0001000054" in (stored.error or "")
    assert effects == []
    assert gl.requests == []


async def test_a_denial_opens_a_work_item_owned_by_its_team(tmp_path: Path) -> None:
    raw = corpus_path(*X12_835, "medicare-part-a.835").read_bytes()
    denied = _with_denial(raw)
    events = [e for a in parse_remittances(denied) for e in remittance_events(a)]
    denials = [e for e in events if isinstance(e, ClaimDenied)]
    assert denials, "the altered 835 carries a denial"
    with RecordingHttpServer() as gl:
        store = SqliteStore(SqliteConfig(path=tmp_path / "cw.db"))
        await store.open()
        engine = build_engine(parse_settings(settings(gl.url)), store, middleware=[])
        await engine.start(listen=False)
        try:
            _result, processing = await engine.receive(
                "clearinghouse", denied, content_type=X12_CONTENT_TYPE
            )
            await wait_for(lambda: len(gl.applied) == len(events), 10, "GL postings")
        finally:
            await engine.stop()
        cases = await store.list_cases(state=CaseState.OPEN)
        await store.close()
    assert processing.state is MessageState.PARKED
    assert len(cases) == len(denials)
    case = cases[0]
    denial = denials[0]
    assert case.owning_team == denial.owner_team
    assert case.reason_code == f"DENIAL_{denial.category.value.upper()}"
    assert f"carc={denial.carc}" in case.details[0]
    assert any(d.startswith("denied_on=") for d in case.details)
    # The denial still reaches the GL: the amount moves to pending denials.
    assert denial.idempotency_key in gl.applied


def _with_denial(raw: bytes) -> bytes:
    """The 835 with its first contractual CAS turned into a CO-50 (medical necessity) denial."""
    text = raw.decode()
    assert "CAS*CO*" in text
    start = text.index("CAS*CO*")
    reason_at = start + len("CAS*CO*")
    end = text.index("*", reason_at)
    return (text[:reason_at] + "50" + text[end:]).encode()
