"""``python -m careweave.sandbox.erp --port N``: run the simulated cloud ERP."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from careweave.sandbox.erp.app import ErpSimulator
from careweave.sandbox.erp.config import ErpSimulatorConfig, FaultConfig
from careweave.sandbox.erp.seed import seed_demo_books
from careweave.sandbox.erp.server import serve_forever


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m careweave.sandbox.erp", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8900)
    parser.add_argument("--client-id", default="careweave")
    parser.add_argument("--client-secret", default="careweave-secret")
    parser.add_argument("--token-ttl", type=float, default=60.0, help="seconds")
    parser.add_argument("--rate-limit", type=float, default=20.0, help="requests/s per client")
    parser.add_argument("--rate-burst", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0, help="fault generator seed")
    parser.add_argument("--burst-probability", type=float, default=0.0, help="chance of 503s")
    parser.add_argument("--burst-length", type=int, default=3)
    parser.add_argument("--slow-probability", type=float, default=0.0)
    parser.add_argument("--slow-seconds", type=float, default=1.0)
    parser.add_argument("--empty", action="store_true", help="start without the demo books")
    args = parser.parse_args(argv)
    config = ErpSimulatorConfig(
        clients={args.client_id: args.client_secret},
        token_ttl=args.token_ttl,
        rate_limit=args.rate_limit,
        rate_burst=args.rate_burst,
        faults=FaultConfig(
            seed=args.seed,
            burst_probability=args.burst_probability,
            burst_length=args.burst_length,
            slow_probability=args.slow_probability,
            slow_seconds=args.slow_seconds,
        ),
    )
    simulator = ErpSimulator(config)
    if not args.empty:
        seed_demo_books(simulator.state)
    serve_forever(simulator, args.host, args.port)


if __name__ == "__main__":
    main()
