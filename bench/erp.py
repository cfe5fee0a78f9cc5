"""ERP connector throughput against the simulated ERP's rate limit.

Posts journals through :class:`ErpConnector` to the simulator (20 requests/s per client, 503
bursts, slow answers, 2-second tokens) with a retrying driver, checks that none was lost or
doubled, and prints one JSON line per scenario::

    {"bench": "erp", "target": 16.0, "requests_per_s": ..., "rate_limit": 20, "ratio": ...}

``requests_per_s`` counts the requests the ERP admitted (its rate limiter let them through) per
second of the run; ``target`` is 80 % of the rate limit, the sustained throughput required.
Run: ``.venv/bin/python bench/erp.py [--journals N]``.
"""

from __future__ import annotations

import os
import sys

# bench/queue.py would shadow the standard library's queue module (which uvicorn and psycopg
# import) when this file runs as a script: its own folder must not come first on sys.path.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _HERE]

import argparse
import asyncio
import datetime as dt
import json
import logging
import platform
from collections import Counter
from decimal import Decimal

from careweave.connectors.erp import (
    ErpConfig,
    ErpConnector,
    GlSegments,
    JournalLine,
    JournalRequest,
)
from careweave.sandbox.erp import (
    ErpSimulator,
    ErpSimulatorConfig,
    ErpSimulatorServer,
    FaultConfig,
)
from careweave.sandbox.erp.driver import drive_journals

RATE_LIMIT = 20.0
TARGET_RATIO = 0.8


def make_journals(count: int) -> list[JournalRequest]:
    return [
        JournalRequest(
            business_key=f"bench-case-{n:05d}/supply-cost/v1",
            entity="10",
            posting_date=dt.date(2026, 11, 27),
            lines=[
                JournalLine(GlSegments("10", "4010", "61000", "CARD"), debit=Decimal("125.40")),
                JournalLine(GlSegments("10", "8400", "14000"), credit=Decimal("125.40")),
            ],
        )
        for n in range(count)
    ]


async def run(scenario: str, journals: int, bulk: bool) -> dict[str, object]:
    config = ErpSimulatorConfig(
        token_ttl=2.0,
        rate_limit=RATE_LIMIT,
        rate_burst=int(RATE_LIMIT),
        faults=FaultConfig(
            seed=5, burst_probability=0.03, burst_length=3, slow_probability=0.02, slow_seconds=0.5
        ),
    )
    simulator = ErpSimulator(config)
    batch = make_journals(journals)
    with ErpSimulatorServer(simulator) as server:
        connector_config = ErpConfig(
            base_url=server.base_url,
            client_id="careweave",
            rate_limit=RATE_LIMIT,
            batch_size=10,
            read_timeout=0.3,
            token_refresh_leeway=0.5,
        )
        async with ErpConnector(connector_config, secret="careweave-secret") as connector:
            report = await drive_journals(connector, batch, bulk=bulk, concurrency=4)
    posted = Counter(j.external_id for j in simulator.state.journals())
    correct = set(posted) == {j.business_key for j in batch} and max(posted.values()) == 1
    admitted = simulator.gateway.counters.admitted
    requests_per_s = admitted / report.elapsed
    return {
        "bench": "erp",
        "scenario": scenario,
        "target": RATE_LIMIT * TARGET_RATIO,
        "requests_per_s": round(requests_per_s, 2),
        "rate_limit": RATE_LIMIT,
        "ratio": round(requests_per_s / RATE_LIMIT, 3),
        "journals": journals,
        "journals_per_s": round(journals / report.elapsed, 1),
        "seconds": round(report.elapsed, 2),
        "unavailable_503": simulator.gateway.counters.unavailable,
        "rate_limited_429": simulator.gateway.counters.rate_limited,
        "replayed": simulator.gateway.counters.replayed,
        "tokens_issued": simulator.issuer.issued,
        "none_lost_none_doubled": correct and not report.failures,
        "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "machine": f"{platform.machine()} {platform.python_implementation()} "
        f"{platform.python_version()}",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--journals", type=int, default=300)
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for scenario, bulk in (("single-posts", False), ("bulk-10", True)):
        print(json.dumps(asyncio.run(run(scenario, args.journals, bulk))), flush=True)


if __name__ == "__main__":
    main()
