"""Run the clearinghouse simulator in the foreground: ``python -m careweave.sandbox.clearinghouse``."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import uvicorn

from careweave.sandbox.clearinghouse.app import ClearinghouseSimulator
from careweave.sandbox.clearinghouse.payers import ClearinghouseConfig
from careweave.sandbox.clearinghouse.service import Clearinghouse


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(description="careweave clearinghouse and payer simulator")
    parser.add_argument("--inbound", type=Path, default=Path("clearinghouse/inbound"))
    parser.add_argument("--outbound", type=Path, default=Path("clearinghouse/outbound"))
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8093)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--poll-interval", type=float, default=1.0)
    args = parser.parse_args(argv)
    config = ClearinghouseConfig(inbound=args.inbound, outbound=args.outbound, seed=args.seed)
    house = Clearinghouse(config, clock=lambda: dt.datetime.now(dt.UTC))
    simulator = ClearinghouseSimulator(house, poll_interval=args.poll_interval)
    uvicorn.run(simulator.app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
