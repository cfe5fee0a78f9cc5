"""Leases of the SQLite store, kept in memory.

The SQLite backend serves one process (a lock file enforces it), so a lease never has to be seen by
another process: leasing an effect costs no write and never waits behind a commit. An effect stays
``pending`` in the file while leased; if the process dies, it is simply claimed again after the
restart, which idempotency keys make harmless. The attempt a claim starts is counted here until its
outcome is written.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Lease:
    """Who holds an effect, until when, and which attempt they are making."""

    worker: str
    until: float
    attempt: int


class LeaseTable:
    """Leases by effect id (touched only from the event loop's thread)."""

    def __init__(self) -> None:
        self._leases: dict[int, Lease] = {}

    def __len__(self) -> int:
        return len(self._leases)

    def held(self, effect_id: int, now: float) -> bool:
        """True while someone holds an unexpired lease on the effect."""
        lease = self._leases.get(effect_id)
        return lease is not None and lease.until >= now

    def take(self, effect_id: int, worker: str, until: float, stored_attempts: int) -> int:
        """Lease the effect; returns the number of the attempt the worker is about to make."""
        previous = self._leases.get(effect_id)
        attempt = max(stored_attempts, previous.attempt if previous else 0) + 1
        self._leases[effect_id] = Lease(worker=worker, until=until, attempt=attempt)
        return attempt

    def holder(self, effect_id: int) -> str | None:
        """The worker holding the effect (expired or not), if any."""
        lease = self._leases.get(effect_id)
        return lease.worker if lease else None

    def release(self, effect_id: int) -> None:
        """Forget the lease (its outcome is written)."""
        self._leases.pop(effect_id, None)
