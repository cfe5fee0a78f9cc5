"""``python -m careweave.sandbox.ehr_fhir``: run the simulated EHR FHIR API in the foreground.

With ``--key-out DIR`` it generates a client key pair, registers its public half and writes the
private PEM where careweave's ``private_key_path`` can point.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

import msgspec
import uvicorn

from careweave.sandbox.ehr_fhir.app import EhrFhirSimulator
from careweave.sandbox.ehr_fhir.keys import generate_client_key
from careweave.sandbox.ehr_fhir.seed import seed_cardiology


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m careweave.sandbox.ehr_fhir", description=__doc__
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--cases", type=int, default=20, help="cardiology cases to serve")
    parser.add_argument("--client-id", default="careweave")
    parser.add_argument("--jwks", type=Path, help="a JWKS file of the client's public keys")
    parser.add_argument("--key-out", type=Path, help="generate a key pair into this folder")
    parser.add_argument("--algorithm", choices=["ES384", "RS384"], default="ES384")
    parser.add_argument("--token-ttl", type=float, default=300.0, help="seconds")
    parser.add_argument("--open", action="store_true", help="serve without authentication")
    args = parser.parse_args(argv)
    simulator = EhrFhirSimulator(token_ttl=args.token_ttl, require_auth=not args.open)
    if args.jwks is not None:
        simulator.tokens.register(args.client_id, msgspec.json.decode(args.jwks.read_bytes()))
    if args.key_out is not None:
        key = generate_client_key(args.algorithm)
        args.key_out.mkdir(parents=True, exist_ok=True)
        (args.key_out / f"{args.client_id}.pem").write_bytes(key.private_pem)
        (args.key_out / f"{args.client_id}.jwks.json").write_bytes(msgspec.json.encode(key.jwks))
        simulator.tokens.register(args.client_id, key.jwks)
        print(f"private key: {args.key_out / f'{args.client_id}.pem'} (kid {key.key_id})")
    seed_cardiology(simulator.resources, args.cases)
    uvicorn.run(simulator.app, host=args.host, port=args.port, log_level="info")


if __name__ == "__main__":
    main()
