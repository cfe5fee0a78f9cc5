"""The business-state overlay a message's flows run against: buffered writes, committed reads once."""

from __future__ import annotations

import collections

from careweave.model.state import InMemoryState, StateOverlay, StateTable

T = StateTable.PERIODS


class CountingReads:
    """Committed state that counts how often each key is read."""

    def __init__(self) -> None:
        self.state = InMemoryState()
        self.reads: collections.Counter[str] = collections.Counter()

    def read(self, table: StateTable, key: str) -> bytes | None:
        self.reads[key] += 1
        return self.state.get(table, key)


def test_a_committed_value_is_read_once_per_overlay_and_a_missing_one_too() -> None:
    committed = CountingReads()
    committed.state.put(T, "2025-03", b"closed")
    overlay = StateOverlay(committed.read)
    for _ in range(3):
        assert overlay.get(T, "2025-03") == b"closed"
        assert overlay.get(T, "2025-04") is None
    assert committed.reads == {"2025-03": 1, "2025-04": 1}
    assert len(overlay) == 0, "reads buffer no change"


def test_own_writes_win_over_what_was_read_and_the_next_overlay_reads_afresh() -> None:
    committed = CountingReads()
    committed.state.put(T, "2025-03", b"open")
    overlay = StateOverlay(committed.read)
    assert overlay.get(T, "2025-03") == b"open"
    overlay.put(T, "2025-03", b"closed")
    assert overlay.get(T, "2025-03") == b"closed"
    overlay.delete(T, "2025-03")
    assert overlay.get(T, "2025-03") is None
    assert committed.state.get(T, "2025-03") == b"open", "nothing reaches the committed state"
    committed.state.apply(overlay.changes())
    # The next message's overlay sees the commit, not the previous overlay's memory of it.
    assert StateOverlay(committed.read).get(T, "2025-03") is None
    assert committed.reads["2025-03"] == 2
