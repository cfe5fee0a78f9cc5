"""careweave's running view of stock per location and item, to decide replenishment in-flow.

The ERP holds the books; flows cannot ask it synchronously while a message is processed, so this
position starts from the ERP's on-hand figures and follows every movement careweave sends. Each
movement is applied once per business key: a replay gets the first outcome back, so a requisition
decided then is decided identically again (and its idempotency key is the same).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping

import msgspec


class Movement(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of applying one movement."""

    location_id: str
    item_number: str
    quantity: int
    """Signed: negative for an issue, positive for a return or receipt."""
    on_hand_after: int
    on_order_after: int


class InventoryPosition:
    """On hand and on order per (location, item)."""

    def __init__(self, on_hand: Mapping[tuple[str, str], int] | None = None) -> None:
        self._lock = threading.Lock()
        self._on_hand: Counter[tuple[str, str]] = Counter(on_hand or {})
        self._on_order: Counter[tuple[str, str]] = Counter()
        self._applied: dict[str, Movement] = {}

    def on_hand(self, location_id: str, item_number: str) -> int:
        """Quantity on hand as careweave knows it."""
        with self._lock:
            return self._on_hand[(location_id, item_number)]

    def on_order(self, location_id: str, item_number: str) -> int:
        """Quantity requisitioned and not yet received."""
        with self._lock:
            return self._on_order[(location_id, item_number)]

    def apply(self, key: str, location_id: str, item_number: str, quantity: int) -> Movement:
        """Apply a movement once per ``key``; a second call returns the first outcome."""
        with self._lock:
            if (done := self._applied.get(key)) is not None:
                return done
            slot = (location_id, item_number)
            self._on_hand[slot] += quantity
            if quantity > 0 and key.startswith("receipt:"):
                self._on_order[slot] = max(0, self._on_order[slot] - quantity)
            done = Movement(
                location_id=location_id,
                item_number=item_number,
                quantity=quantity,
                on_hand_after=self._on_hand[slot],
                on_order_after=self._on_order[slot],
            )
            self._applied[key] = done
            return done

    def order(self, key: str, location_id: str, item_number: str, quantity: int) -> bool:
        """Record a requisition once per ``key``; False when it was already recorded."""
        with self._lock:
            marker = f"order:{key}"
            if marker in self._applied:
                return False
            self._on_order[(location_id, item_number)] += quantity
            self._applied[marker] = Movement(
                location_id=location_id,
                item_number=item_number,
                quantity=quantity,
                on_hand_after=self._on_hand[(location_id, item_number)],
                on_order_after=self._on_order[(location_id, item_number)],
            )
            return True
