"""Business state: what flows read and change, kept in the store and changed only in its commit.

Stock positions, the ledger, the period calendar, the charge ledger, the claim register and X12
control numbers are rows of the store's business-state tables (one table per :class:`StateTable`,
each a key and an encoded value). A flow reaches them through the :class:`BusinessState` handed to
it with the message it processes: reads see every change committed before and every change made
earlier in the same commit; writes are buffered and written by the store in the transaction that
commits the message. A message that ends in error changes nothing; a restart reads the state back
from the store; processes sharing PostgreSQL see one state because business-state transactions are
serialised there.

Typed repositories (``careweave.erp.inventory.InventoryBook`` and friends) sit on top of this
interface; flows never encode rows themselves.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from typing import Protocol, TypeVar

import msgspec

T = TypeVar("T")


class StateTable(enum.StrEnum):
    """The business-state tables (each is a table of the store, created by a numbered migration)."""

    INVENTORY_POSITIONS = "inventory_positions"
    """On hand and on order per ``location|item``."""
    INVENTORY_MOVEMENTS = "inventory_movements"
    """Each movement applied, by business key (so a replay gets the first outcome back)."""
    ENCOUNTER_SUPPLIES = "encounter_supplies"
    """Per encounter: the supplies issued and its procedure, for reversals and bill-only POs."""
    ENCOUNTER_COSTS = "encounter_costs"
    """Per encounter: the supply-cost journals posted, to reverse when the visit is cancelled."""
    LEDGER_JOURNALS = "ledger_journals"
    """Each journal careweave posted, by business key (with its late-posting move, if any)."""
    LEDGER_BALANCES = "ledger_balances"
    """Signed balance per ``entity|account|currency``, by period."""
    LEDGER_ENTITIES = "ledger_entities"
    """The entities careweave posted for, in one row ``entities`` (whom month-end close accrues for)."""
    PERIODS = "periods"
    """Closed accounting periods, by ``YYYY-MM``."""
    CHARGE_POSITIONS = "charge_positions"
    """Per encounter: the net charge positions patient-to-billing has sent."""
    CLAIMS = "claims"
    """The claim register: each claim submitted, by CLM01."""
    CLAIM_LINES = "claim_lines"
    """Which claim bills each charge line, by line key (a line is on one claim only)."""
    CLAIM_TRANSACTIONS = "claim_transactions"
    """Each 837 transaction set sent, by ``GS06/ST02``: its claims and the 999's answer."""
    BILLING_ENCOUNTERS = "billing_encounters"
    """Per encounter: registered with the revenue-cycle platform, and its diagnoses so far."""
    CONTROL_NUMBERS = "control_numbers"
    """The last X12 control number issued, per sender and kind (ISA13, GS06, ST02)."""
    MPI_RECORDS = "mpi_records"
    """The patient index: each source record (first identifier ``authority|value``) and its person."""
    MPI_IDENTIFIERS = "mpi_identifiers"
    """Every identifier the index has seen (``authority|value``) -> the record that carries it."""
    MPI_PERSONS = "mpi_persons"
    """Each enterprise person: its records and what it was merged into or from."""
    MPI_BLOCKS = "mpi_blocks"
    """Blocking keys (``rule|key``) -> record ids, the candidates a new record is scored against."""
    MPI_REVIEWS = "mpi_reviews"
    """Possible matches for a person to decide (``record|record``), with their evidence."""


class BusinessState(Protocol):
    """A flow's view of business state inside the transaction committing its message."""

    def get(self, table: StateTable, key: str) -> bytes | None:
        """The encoded value stored under ``key``, or None."""
        ...

    def put(self, table: StateTable, key: str, value: bytes) -> None:
        """Store ``value`` under ``key`` (written when the message commits)."""
        ...

    def delete(self, table: StateTable, key: str) -> None:
        """Remove ``key`` (when the message commits)."""
        ...


def load(state: BusinessState, table: StateTable, key: str, kind: type[T]) -> T | None:
    """The value under ``key`` decoded as ``kind`` (a msgspec Struct or plain type), or None."""
    raw = state.get(table, key)
    return None if raw is None else msgspec.json.decode(raw, type=kind)


def save(state: BusinessState, table: StateTable, key: str, value: object) -> None:
    """Encode ``value`` as JSON and store it under ``key``."""
    state.put(table, key, msgspec.json.encode(value))


StateReader = Callable[[StateTable, str], "bytes | None"]
"""How a :class:`StateOverlay` reads a committed value (a query on the transaction's connection)."""

Change = tuple[StateTable, str, "bytes | None"]
"""A buffered write: table, key, new value (None: delete)."""


class StateOverlay:
    """Buffered writes over a reader of committed state: the one implementation flows run against.

    The store builds one per message over its transaction's connection, hands it to the flows, and
    writes :meth:`changes` only if the message is stored without error. Nested overlays (one per
    message over the batch's) let a group commit see earlier messages' changes.

    A committed value is read once per overlay and remembered (a missing one too): nothing but the
    overlay's own writes changes business state while it lives, since the store holds the state's
    one transaction (SQLite's single writer, PostgreSQL's business-state lock). A message's flows
    read the same rows many times (the period calendar and the entity list for every journal).
    """

    def __init__(self, read: StateReader) -> None:
        self._read = read
        self._pending: dict[tuple[StateTable, str], bytes | None] = {}
        self._committed: dict[tuple[StateTable, str], bytes | None] = {}

    def get(self, table: StateTable, key: str) -> bytes | None:
        """The pending value if this overlay changed ``key``, else the committed one."""
        slot = (table, key)
        if slot in self._pending:
            return self._pending[slot]
        if slot in self._committed:
            return self._committed[slot]
        value = self._committed[slot] = self._read(table, key)
        return value

    def put(self, table: StateTable, key: str, value: bytes) -> None:
        """Buffer a write."""
        self._pending[(table, key)] = value

    def delete(self, table: StateTable, key: str) -> None:
        """Buffer a delete."""
        self._pending[(table, key)] = None

    def changes(self) -> list[Change]:
        """Every buffered write, in the order keys were first written."""
        return [(table, key, value) for (table, key), value in self._pending.items()]

    def merge(self, changes: Iterable[Change]) -> None:
        """Buffer another overlay's changes on top of this one's."""
        for table, key, value in changes:
            self._pending[(table, key)] = value

    def __len__(self) -> int:
        return len(self._pending)


class InMemoryState:
    """Business state in a dict: for unit tests of flows and for what-if runs (``careweave diff``)."""

    def __init__(self) -> None:
        self.rows: dict[tuple[StateTable, str], bytes] = {}

    def get(self, table: StateTable, key: str) -> bytes | None:
        """The stored value or None."""
        return self.rows.get((table, key))

    def put(self, table: StateTable, key: str, value: bytes) -> None:
        """Store a value."""
        self.rows[(table, key)] = value

    def delete(self, table: StateTable, key: str) -> None:
        """Remove a value."""
        self.rows.pop((table, key), None)

    def items(self, table: StateTable) -> Iterator[tuple[str, bytes]]:
        """Every row of ``table``."""
        return ((k, v) for (t, k), v in sorted(self.rows.items()) if t is table)

    def apply(self, changes: Iterable[Change]) -> None:
        """Apply an overlay's changes as a commit would."""
        for table, key, value in changes:
            if value is None:
                self.delete(table, key)
            else:
                self.put(table, key, value)


class NoBusinessState:
    """The state of a channel that runs no flows: any access is a wiring bug, said plainly."""

    def get(self, table: StateTable, key: str) -> bytes | None:
        """Refuse: this message is processed outside a business-state transaction."""
        raise RuntimeError(f"business state ({table}) read outside a store transaction")

    def put(self, table: StateTable, key: str, value: bytes) -> None:
        """Refuse (see :meth:`get`)."""
        raise RuntimeError(f"business state ({table}) written outside a store transaction")

    def delete(self, table: StateTable, key: str) -> None:
        """Refuse (see :meth:`get`)."""
        raise RuntimeError(f"business state ({table}) written outside a store transaction")
