"""careweave's running view of stock per location and item, to decide replenishment in-flow.

The ERP holds the books; flows cannot ask it synchronously while a message is processed, so this
position starts from the ERP's on-hand figures (``on_hand.csv``, read-only master data) and follows
every movement careweave sends. It is business state (``careweave.model.state``): one row per
``location|item`` in ``INVENTORY_POSITIONS``, written only when the message that moved the stock
commits. Each movement and requisition is applied once per business key (``INVENTORY_MOVEMENTS``):
a replay gets the first outcome back, so a requisition decided then is decided identically again
(and its idempotency key is the same).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import msgspec

from careweave.model.state import BusinessState, StateTable, load, save

OpeningStock = Mapping[tuple[str, str], int]
"""On hand per (location, item) before careweave moved anything (the master data's ``on_hand``)."""


class StockPosition(msgspec.Struct, frozen=True, kw_only=True):
    """On hand and on order of one item at one location."""

    on_hand: int
    on_order: int = 0


class Movement(msgspec.Struct, frozen=True, kw_only=True):
    """The outcome of applying one movement (or recording one requisition)."""

    location_id: str
    item_number: str
    quantity: int
    """Signed: negative for an issue, positive for a return or receipt (ordered, for an order)."""
    on_hand_after: int
    on_order_after: int


def position_key(location_id: str, item_number: str) -> str:
    """The row key of a position: ``location|item``."""
    return f"{location_id}|{item_number}"


def _order_key(key: str) -> str:
    return f"order:{key}"


class InventoryBook:
    """On hand and on order per (location, item), kept in business state."""

    def __init__(self, state: BusinessState, opening: OpeningStock | None = None) -> None:
        self._state = state
        self._opening = opening or {}

    def position(self, location_id: str, item_number: str) -> StockPosition:
        """The stored position, or the opening figure when nothing moved yet."""
        stored = load(
            self._state,
            StateTable.INVENTORY_POSITIONS,
            position_key(location_id, item_number),
            StockPosition,
        )
        if stored is not None:
            return stored
        return StockPosition(on_hand=self._opening.get((location_id, item_number), 0))

    def on_hand(self, location_id: str, item_number: str) -> int:
        """Quantity on hand as careweave knows it."""
        return self.position(location_id, item_number).on_hand

    def on_order(self, location_id: str, item_number: str) -> int:
        """Quantity requisitioned and not yet received."""
        return self.position(location_id, item_number).on_order

    def movement(self, key: str) -> Movement | None:
        """The outcome of the movement applied under ``key``, if any."""
        return load(self._state, StateTable.INVENTORY_MOVEMENTS, key, Movement)

    def apply(self, key: str, location_id: str, item_number: str, quantity: int) -> Movement:
        """Apply a movement once per ``key``; a second call returns the first outcome.

        A receipt (a key starting ``receipt:``) also takes its quantity off the order.
        """
        if (done := self.movement(key)) is not None:
            return done
        before = self.position(location_id, item_number)
        on_order = before.on_order
        if quantity > 0 and key.startswith("receipt:"):
            on_order = max(0, on_order - quantity)
        after = StockPosition(on_hand=before.on_hand + quantity, on_order=on_order)
        return self._record(key, location_id, item_number, quantity, after)

    def order(self, key: str, location_id: str, item_number: str, quantity: int) -> bool:
        """Record a requisition once per ``key``; False when it was already recorded."""
        if self.movement(_order_key(key)) is not None:
            return False
        before = self.position(location_id, item_number)
        after = StockPosition(on_hand=before.on_hand, on_order=before.on_order + quantity)
        self._record(_order_key(key), location_id, item_number, quantity, after)
        return True

    def _record(
        self, key: str, location_id: str, item_number: str, quantity: int, after: StockPosition
    ) -> Movement:
        save(
            self._state,
            StateTable.INVENTORY_POSITIONS,
            position_key(location_id, item_number),
            after,
        )
        done = Movement(
            location_id=location_id,
            item_number=item_number,
            quantity=quantity,
            on_hand_after=after.on_hand,
            on_order_after=after.on_order,
        )
        save(self._state, StateTable.INVENTORY_MOVEMENTS, key, done)
        return done


def stock_positions(
    rows: Iterable[tuple[str, bytes]], opening: OpeningStock | None = None
) -> dict[tuple[str, str], StockPosition]:
    """Every position from committed ``INVENTORY_POSITIONS`` rows, over the opening figures.

    For reports and tests (``await store.state_rows(StateTable.INVENTORY_POSITIONS)``).
    """
    positions = {slot: StockPosition(on_hand=qty) for slot, qty in (opening or {}).items()}
    for key, value in rows:
        location_id, _, item_number = key.partition("|")
        positions[(location_id, item_number)] = msgspec.json.decode(value, type=StockPosition)
    return positions
