"""Idempotency-Key bookkeeping: a repeated key gets the original answer and creates nothing."""

from __future__ import annotations

import hashlib
import threading
from enum import Enum

import msgspec


class StoredResponse(msgspec.Struct, frozen=True):
    """An answer kept to be replayed for a repeated Idempotency-Key."""

    fingerprint: str
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes


class Claim(Enum):
    """What the cache says about a key a request brings."""

    NEW = "new"
    """First time: the request runs, then :meth:`IdempotencyCache.complete` keeps its answer."""
    REPLAY = "replay"
    """Seen and answered: replay the stored answer."""
    IN_FLIGHT = "in_flight"
    """Seen and still running: answer 409, the client retries later."""
    MISMATCH = "mismatch"
    """Seen with another payload: answer 422."""


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What must be equal for two requests with one key to be the same request."""
    digest = hashlib.sha256()
    for part in (method.encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class IdempotencyCache:
    """Answers per (client, key); thread-safe because tests read it from another thread."""

    def __init__(self) -> None:
        self._done: dict[tuple[str, str], StoredResponse] = {}
        self._running: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()
        self.replays = 0

    def claim(self, client: str, key: str, print_: str) -> tuple[Claim, StoredResponse | None]:
        """Register a request carrying ``key``; say whether it runs, replays or is refused."""
        slot = (client, key)
        with self._lock:
            stored = self._done.get(slot)
            if stored is not None:
                if stored.fingerprint != print_:
                    return Claim.MISMATCH, None
                self.replays += 1
                return Claim.REPLAY, stored
            if slot in self._running:
                same = self._running[slot] == print_
                return (Claim.IN_FLIGHT if same else Claim.MISMATCH), None
            self._running[slot] = print_
        return Claim.NEW, None

    def complete(self, client: str, key: str, response: StoredResponse | None) -> None:
        """Keep the answer of a claimed key, or release the key (None) so a retry runs again."""
        slot = (client, key)
        with self._lock:
            self._running.pop(slot, None)
            if response is not None:
                self._done[slot] = response
