"""Key pairs for SMART backend services clients: the private PEM for careweave, the JWKS for the EHR."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm


@dataclass(frozen=True)
class ClientKey:
    """A client's key pair as both sides hold it."""

    key_id: str
    algorithm: Literal["RS384", "ES384"]
    private_pem: bytes
    """What the client keeps (written to ``private_key_path``)."""
    jwks: dict[str, Any]
    """The public JWK Set the EHR registers for the client."""


def generate_client_key(
    algorithm: Literal["RS384", "ES384"] = "ES384", key_id: str = "careweave-1"
) -> ClientKey:
    """A fresh key pair (EC P-384 for ES384, RSA 2048 for RS384) and its public JWKS."""
    private: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
    if algorithm == "ES384":
        private = ec.generate_private_key(ec.SECP384R1())
        jwk = json.loads(ECAlgorithm.to_jwk(private.public_key()))
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    jwk.update({"kid": key_id, "alg": algorithm, "use": "sig", "key_ops": ["verify"]})
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return ClientKey(key_id, algorithm, pem, {"keys": [jwk]})
