"""The simulated ERP's trial balance: double entry from the journals it accepted, over HTTP."""

from __future__ import annotations

from decimal import Decimal

import httpx

from careweave.sandbox.erp import ErpSimulatorConfig
from tests.integration.erp.test_simulator_http import bearer


def journal(key: str, day: str, debit: str, credit: str, amount: str) -> dict[str, object]:
    entity = debit.split("-", maxsplit=1)[0]
    return {
        "external_id": key, "entity": entity, "posting_date": day,
        "lines": [{"account": debit, "debit": amount}, {"account": credit, "credit": amount}],
    }  # fmt: skip


def test_the_trial_balance_sums_debits_and_credits_per_entity_account_and_period(
    serve_erp,
) -> None:
    server = serve_erp(ErpSimulatorConfig(rate_limit=1000, rate_burst=1000))
    with httpx.Client(base_url=server.base_url) as client:
        headers = bearer(client)
        for n, body in enumerate([
            journal("J1", "2026-03-20", "10-8100-10100", "10-8100-12000", "600.00"),
            journal("J2", "2026-03-21", "10-8100-48000", "10-8100-12000", "300.00"),
            journal("J3", "2026-04-02", "10-8100-10100", "10-8100-12000", "50.00"),
            journal("J4", "2026-03-20", "20-8100-10100", "20-8100-12000", "7.00"),
        ]):  # fmt: skip
            posted = client.post("/api/v1/journals", json=body,
                                 headers={**headers, "Idempotency-Key": f"k{n}"})  # fmt: skip
            assert posted.status_code == 201, posted.text
        # The same journal again under its key is a replay: it counts once.
        client.post("/api/v1/journals", json=journal("J1", "2026-03-20", "10-8100-10100",
                    "10-8100-12000", "600.00"), headers={**headers, "Idempotency-Key": "k0"})  # fmt: skip
        march = client.get("/api/v2/trial-balance", params={"period": "2026-03", "entity": "10"},
                           headers=headers).json()  # fmt: skip
        everything = client.get("/api/v1/trial-balance", headers=headers).json()
        bad = client.get("/api/v2/trial-balance", params={"period": "March"}, headers=headers)
    assert [(r["account"], r["debits"], r["credits"], r["balance"]) for r in march] == [
        ("10100", "600.00", "0.00", "600.00"),
        ("12000", "0.00", "900.00", "-900.00"),
        ("48000", "300.00", "0.00", "300.00"),
    ]
    assert {(r["entity"], r["period"], r["account"], r["balance"]) for r in everything} >= {
        ("10", "2026-04", "10100", "50.00"), ("20", "2026-03", "12000", "-7.00"),
    }  # fmt: skip
    for entity in ("10", "20"):  # double entry: each entity's debits equal its credits
        rows = [r for r in everything if r["entity"] == entity]
        assert sum(Decimal(r["balance"]) for r in rows) == 0
    assert bad.status_code == 422 and "YYYY-MM" in bad.text
