"""Run the revenue-cycle platform simulator in the foreground: ``python -m careweave.sandbox.rcm``."""

from __future__ import annotations

import argparse

import uvicorn

from careweave.sandbox.rcm.app import RcmSimulator


def main(argv: list[str] | None = None) -> None:
    """Parse the arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(description="careweave revenue-cycle platform simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8092)
    args = parser.parse_args(argv)
    uvicorn.run(RcmSimulator().app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
