"""Control numbers for outbound envelopes (ISA13, GS06, ST02), unique per sender.

A ``ControlNumberSource`` hands out the next number of a named counter. The in-memory one suits
tests and one-shot tools; :class:`StateControlNumbers` keeps the counters in the store's business
state, so numbers never repeat across runs, restarts or processes.
"""

from __future__ import annotations

from typing import Protocol

from careweave.model.state import BusinessState, StateTable, load, save

_MAX = {"interchange": 999_999_999, "group": 999_999_999, "transaction": 999_999_999}


class ControlNumberSource(Protocol):
    """Where envelope control numbers come from."""

    def next(self, counter: str) -> int:
        """The next number of *counter* (``interchange``, ``group``, ``transaction``)."""
        ...


class InMemoryControlNumbers:
    """Counters kept in a dict, starting after *start*."""

    def __init__(self, start: int = 0) -> None:
        self._counters: dict[str, int] = {}
        self._start = start

    def next(self, counter: str) -> int:
        """The next number of *counter*; wraps to 1 after the 9-digit maximum."""
        value = self._counters.get(counter, self._start) + 1
        if value > _MAX.get(counter, 999_999_999):
            value = 1
        self._counters[counter] = value
        return value


class StateControlNumbers:
    """Counters in business state (``StateTable.CONTROL_NUMBERS``), one row per sender and counter.

    A number is taken inside the commit of the message whose flow writes the envelope: it is never
    handed out twice (across restarts and processes sharing PostgreSQL), and a message that ends
    in error takes none.
    """

    def __init__(self, state: BusinessState, sender: str) -> None:
        self._state = state
        self._sender = sender

    def next(self, counter: str) -> int:
        """The next number of *counter* for this sender; wraps to 1 after the 9-digit maximum."""
        key = f"{self._sender}|{counter}"
        value = (load(self._state, StateTable.CONTROL_NUMBERS, key, int) or 0) + 1
        if value > _MAX.get(counter, 999_999_999):
            value = 1
        save(self._state, StateTable.CONTROL_NUMBERS, key, value)
        return value
