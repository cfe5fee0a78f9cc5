"""Remittances (real 835 files from the corpus) through the engine into the ERP's general ledger.

Each payment, adjustment and denial is one balanced journal; the cash a transaction posts equals its
BPR02 payment; the same 835 received twice posts once; an 835 without any payment date is held in
error with the reason, never posted on a guessed day.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from careweave.mappings.x12_decode import x12_decode
from careweave.mappings.x12_remittance import map_remittances
from careweave.masterdata import ChartOfAccounts
from careweave.model.base import BusinessEvent
from careweave.model.envelope import Envelope
from careweave.model.finance import ClaimDenied, RemittanceReceived
from careweave.model.records import MessageState, NewMessage
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario
from careweave.sandbox.erp_books import build_books
from tests.conftest import corpus_path
from tests.integration.erp_flows.expectations import unbalanced
from tests.integration.erp_flows.harness import erp_day

C = ChartOfAccounts()
X12 = "application/edi-x12"


def finance_events(raw: bytes) -> list[BusinessEvent]:
    envelope = Envelope(
        message=NewMessage(
            channel="t",
            raw=raw,
            content_type=X12,
            received_at=dt.datetime.now(dt.UTC),
            trace_id="t",
        )
    )
    x12_decode()(envelope)
    return map_remittances(envelope.decoded)


async def test_remittances_post_once_balanced_and_cash_equals_the_payment(tmp_path: Path) -> None:
    medicare = corpus_path(
        "x12", "linuxforhealth-x12", "835_005010X221A1", "medicare-part-a.835"
    ).read_bytes()
    denials = corpus_path("x12", "pyx12", "835_mult_loops.txt").read_bytes()
    undated = corpus_path(
        "x12", "linuxforhealth-x12", "835_005010X221A1", "cob-contractural-adjustment.835"
    ).read_bytes()
    scenario = generate_scenario(EhrScenarioConfig(seed=1, encounters_per_day=2))
    async with erp_day(tmp_path, build_books(scenario)) as day:
        ids = []
        for n, raw in enumerate((medicare, denials, undated, medicare)):
            result, _ = await day.engine.receive(
                "remittance", raw, content_type=X12, dedup_key=f"835-{n}"
            )
            ids.append(result.message_id)
        await day.settle()
        journals = day.simulator.state.journals()
        assert unbalanced(journals) == []

        posted = [e for e in finance_events(medicare) if not isinstance(e, RemittanceReceived)]
        keys = {f"journal:{e.idempotency_key}" for e in posted}
        medicare_journals = [j for j in journals if j.external_id in keys]
        assert len(medicare_journals) == len(posted) == 5  # received twice, posted once
        (received,) = [e for e in finance_events(medicare) if isinstance(e, RemittanceReceived)]
        cash = sum(
            (ln.debit - ln.credit for j in medicare_journals for ln in j.lines
             if ln.segments.account == C.cash),
            Decimal(0),
        )  # fmt: skip
        assert cash == received.payment_amount
        assert {j.entity for j in medicare_journals} == {received.entity}

        denied = [e for e in finance_events(denials) if isinstance(e, ClaimDenied)]
        pending = [
            ln for j in journals for ln in j.lines if ln.segments.account == C.denials_pending
        ]
        assert len(pending) == len(denied) == 3
        assert sum(ln.debit for ln in pending) == sum(e.amount for e in denied)
        assert len(journals) == 5 + 3

        errored = [await day.store.get_message(i) for i in ids]
        states = [m.state for m in errored]
        assert states == [
            MessageState.PROCESSED, MessageState.PROCESSED, MessageState.ERROR,
            MessageState.PROCESSED,
        ]  # fmt: skip
        assert "no payment date" in (errored[2].error or "")
