"""Encryption at rest: the payload codec that seals with AES-256-GCM under a key id.

Every sealed value names the key that sealed it, so a keyring can hold several (see
:mod:`careweave.engine.store.phi_keys`): new values are sealed with the current key, old ones open
with whichever key they name. Keys the store compares in SQL are sealed deterministically with
AES-SIV (RFC 5297) under the index key, so equal keys stay equal and still read back; the search
tokens of dedup keys are HMAC-SHA256 under a key derived from the same index key. All primitives
come from ``cryptography``; nothing here is home-made cryptography.

A value without a seal's prefix is returned as stored: rows written before the key was turned on
stay readable, and the next write of each is sealed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from careweave.engine.store.phi_keys import Keyring
from careweave.exceptions import StoreError

BLOB_MAGIC = b"\x00cw1"
"""Prefix of a sealed payload: no HL7, X12, JSON or FHIR payload starts with a NUL byte."""
TEXT_PREFIX = "cw1:"
"""Prefix of a sealed text: ``cw1:kid:base64url(nonce + ciphertext)``."""
KEY_PREFIX = "cwk:"
"""Prefix of a deterministically sealed key: ``cwk:kid:base32(siv)``."""
TOKEN_PREFIX = "cwt:"  # noqa: S105 (a prefix, not a secret)
"""Prefix of a search token: ``cwt:base32(hmac)``."""
_NONCE = 12


def _derive(key: bytes, purpose: bytes, length: int) -> bytes:
    """A sub-key for one purpose, so that no key is used by two primitives."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=purpose).derive(key)


def _b32(data: bytes) -> str:
    # Base32 (lower case, no padding) has no SQL LIKE wildcard and no separator of ours.
    return base64.b32encode(data).decode().rstrip("=").lower()


def _unb32(text: str) -> bytes:
    padded = text.upper() + "=" * (-len(text) % 8)
    return base64.b32decode(padded)


class AesGcmCodec:
    """Seals PHI with AES-256-GCM (values) and AES-SIV / HMAC-SHA256 (keys) from a keyring."""

    seals_fields = True

    def __init__(self, keyring: Keyring) -> None:
        self._current = keyring.current
        self._index_kid = keyring.index
        self._gcm = {
            kid: AESGCM(_derive(k, b"careweave seal v1", 32)) for kid, k in keyring.keys.items()
        }
        self._siv = {
            kid: AESSIV(_derive(k, b"careweave key v1", 64)) for kid, k in keyring.keys.items()
        }
        self._mac_key = _derive(keyring.keys[keyring.index], b"careweave token v1", 32)

    # -- values ---------------------------------------------------------------------------------

    def _encrypt(self, data: bytes) -> tuple[bytes, bytes]:
        kid = self._current.encode()
        nonce = os.urandom(_NONCE)
        return kid, nonce + self._gcm[self._current].encrypt(nonce, data, kid)

    def _decrypt(self, kid: str, sealed: bytes) -> bytes:
        cipher = self._gcm.get(kid)
        if cipher is None:
            raise StoreError(f"a stored value is sealed with key {kid!r}, not in the keyring")
        try:
            return cipher.decrypt(sealed[:_NONCE], sealed[_NONCE:], kid.encode())
        except InvalidTag:
            raise StoreError(
                f"a stored value does not open with key {kid!r} (wrong key or altered row)"
            ) from None

    def seal(self, data: bytes) -> bytes:
        """``BLOB_MAGIC``, the key id's length and the key id, then nonce and ciphertext."""
        kid, sealed = self._encrypt(data)
        return BLOB_MAGIC + bytes([len(kid)]) + kid + sealed

    def open(self, stored: bytes) -> bytes:
        """The payload ``stored`` seals (returned as is when it was stored in clear)."""
        if not stored.startswith(BLOB_MAGIC):
            return stored
        at = len(BLOB_MAGIC)
        size = stored[at]
        kid = stored[at + 1 : at + 1 + size].decode()
        return self._decrypt(kid, stored[at + 1 + size :])

    def seal_text(self, text: str) -> str:
        """``cw1:kid:base64url(nonce + ciphertext)``."""
        kid, sealed = self._encrypt(text.encode())
        return f"{TEXT_PREFIX}{kid.decode()}:{base64.urlsafe_b64encode(sealed).decode()}"

    def open_text(self, stored: str) -> str:
        """The text ``stored`` seals (returned as is when it was stored in clear)."""
        if not stored.startswith(TEXT_PREFIX):
            return stored
        kid, _, body = stored[len(TEXT_PREFIX) :].partition(":")
        return self._decrypt(kid, base64.urlsafe_b64decode(body)).decode()

    # -- keys compared in SQL --------------------------------------------------------------------

    def seal_key(self, key: str) -> str:
        """``cwk:kid:base32(AES-SIV(key))`` under the index key: equal keys, equal results."""
        sealed = self._siv[self._index_kid].encrypt(key.encode(), [KEY_PREFIX.encode()])
        return f"{KEY_PREFIX}{self._index_kid}:{_b32(sealed)}"

    def open_key(self, stored: str) -> str:
        """The key ``stored`` seals (returned as is when it was stored in clear)."""
        if not stored.startswith(KEY_PREFIX):
            return stored
        kid, _, body = stored[len(KEY_PREFIX) :].partition(":")
        cipher = self._siv.get(kid)
        if cipher is None:
            raise StoreError(f"a stored key is sealed with key {kid!r}, not in the keyring")
        try:
            return cipher.decrypt(_unb32(body), [KEY_PREFIX.encode()]).decode()
        except InvalidTag:
            raise StoreError(f"a stored key does not open with key {kid!r}") from None

    def token(self, text: str) -> str:
        """``cwt:base32(HMAC-SHA256(text))``: what a search term is compared by."""
        digest = hmac.new(self._mac_key, text.encode(), hashlib.sha256).digest()
        return f"{TOKEN_PREFIX}{_b32(digest[:20])}"

    def seal_dedup_key(self, key: str) -> str:
        """The sealed key, then the token of its last ``|`` part (an HL7 v2 MSH-10) if it has one.

        Both are deterministic, so the unique ``(channel, dedup_key)`` index still decides
        duplicates; the token lets an operator find a message by its control id alone.
        """
        sealed = self.seal_key(key)
        _head, sep, last = key.rpartition("|")
        return f"{sealed} {self.token(last)}" if sep and last else sealed

    def open_dedup_key(self, stored: str) -> str:
        """The dedup key ``stored`` holds."""
        return self.open_key(stored.split(" ", 1)[0])

    def search_terms(self, text: str) -> list[str]:
        """``LIKE`` patterns: the whole dedup key equal to ``text``, or its control id."""
        return [self.seal_key(text), f"{self.seal_key(text)} %", f"% {self.token(text)}"]
