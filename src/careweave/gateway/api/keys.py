"""The API's signing keys: EC P-256 (ES256), the current one and the previous one, by ``kid``.

Tokens are signed with the current key; both keys verify, so a token issued just before a
rotation stays valid until it expires. Keys are generated when the API starts (and again every
``key_rotation`` seconds) or loaded from a PEM file (the last key in the file is current). The
cryptography is pyjwt's and cryptography's: this module only keeps the keys.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from careweave.exceptions import ConfigError


@dataclass(frozen=True)
class SigningKey:
    """One key pair and its id."""

    kid: str
    private: ec.EllipticCurvePrivateKey
    created: float

    @property
    def public(self) -> ec.EllipticCurvePublicKey:
        """The key that verifies."""
        return self.private.public_key()

    def jwk(self) -> dict[str, str]:
        """The public key as a JWK (RFC 7517), as the JWKS publishes it."""
        numbers = self.public.public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64(numbers.x.to_bytes(32, "big")),
            "y": _b64(numbers.y.to_bytes(32, "big")),
            "kid": self.kid,
            "use": "sig",
            "alg": "ES256",
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _key(private: ec.EllipticCurvePrivateKey, created: float) -> SigningKey:
    if not isinstance(private.curve, ec.SECP256R1):
        raise ConfigError("[api] key_file: keys must be EC P-256 (ES256)")
    der = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # The thumbprint of the public key: stable for a loaded key, unique for a generated one.
    return SigningKey(hashlib.sha256(der).hexdigest()[:16], private, created)


def generate_key(now: float | None = None) -> SigningKey:
    """A new P-256 key."""
    return _key(ec.generate_private_key(ec.SECP256R1()), now if now is not None else time.time())


def load_keys(path: Path) -> list[SigningKey]:
    """Every EC private key of a PEM file, in file order; ConfigError naming what is wrong."""
    try:
        text = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"[api] key_file {path}: {exc.strerror or exc}") from exc
    marker = b"-----END"
    blocks = [b + marker + rest.split(b"\n", 1)[0] + b"\n" for b, rest in _pairs(text, marker)]
    keys: list[SigningKey] = []
    for block in blocks:
        try:
            private = serialization.load_pem_private_key(block, password=None)
        except ValueError as exc:
            raise ConfigError(f"[api] key_file {path}: not a PEM private key ({exc})") from exc
        if not isinstance(private, ec.EllipticCurvePrivateKey):
            raise ConfigError(f"[api] key_file {path}: keys must be EC P-256 (ES256)")
        keys.append(_key(private, 0.0))
    if not keys:
        raise ConfigError(f"[api] key_file {path}: no private key in it")
    return keys


def _pairs(text: bytes, marker: bytes) -> list[tuple[bytes, bytes]]:
    parts = text.split(marker)
    return [(parts[i], parts[i + 1]) for i in range(len(parts) - 1)]


class KeyRing:
    """The current signing key and the previous one."""

    def __init__(
        self,
        keys: list[SigningKey],
        *,
        rotation: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not keys:
            raise ValueError("a key ring needs a key")
        self._current = keys[-1]
        self._previous = keys[-2] if len(keys) > 1 else None
        self._rotation = rotation
        self._clock = clock

    @classmethod
    def generated(cls, rotation: float, clock: Callable[[], float] = time.time) -> KeyRing:
        """A ring of one fresh key, replaced every ``rotation`` seconds."""
        return cls([generate_key(clock())], rotation=rotation, clock=clock)

    def rotate(self) -> SigningKey:
        """Make a new current key; the current one becomes the previous one (the older goes)."""
        self._previous, self._current = self._current, generate_key(self._clock())
        return self._current

    def current(self) -> SigningKey:
        """The key to sign with (rotated first when a generated key is past its time)."""
        if self._rotation is not None and self._clock() - self._current.created >= self._rotation:
            self.rotate()
        return self._current

    def find(self, kid: str) -> SigningKey | None:
        """The key that has ``kid``, current or previous."""
        return next((k for k in self.valid_keys() if k.kid == kid), None)

    def valid_keys(self) -> list[SigningKey]:
        """The keys that verify, current first."""
        return [self._current, *([self._previous] if self._previous is not None else [])]

    def jwks(self) -> dict[str, Any]:
        """The JSON Web Key Set to publish."""
        return {"keys": [k.jwk() for k in self.valid_keys()]}
