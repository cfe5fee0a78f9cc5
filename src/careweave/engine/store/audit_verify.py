"""Walking a store's audit chain page by page, recomputing every hash and link."""

from __future__ import annotations

import msgspec

from careweave.engine.store.base import BaseStore
from careweave.model.audit import GENESIS_HASH, AuditBreak, verify_link

PAGE = 1000
"""Entries read at a time: memory stays bounded however long the chain grows."""


class ChainReport(msgspec.Struct, frozen=True, kw_only=True):
    """What a walk of the chain found."""

    entries: int
    """Entries that hold, from the first (all of them when ``broken`` is None)."""
    head: str
    """The hash of the last entry that holds (:data:`GENESIS_HASH` for an empty log)."""
    broken: AuditBreak | None = None
    """The first entry that does not match, if any."""


async def verify_chain(store: BaseStore, *, page: int = PAGE) -> ChainReport:
    """Walk the whole chain in pages of ``page``; stop at the first entry that does not match.

    A row altered in place fails its own hash; a row deleted from the middle leaves the next one
    linked to a hash that is no longer there (and a gap in ``seq``); a row inserted likewise
    breaks the link after it. Deleting the newest entries cannot be seen from the chain alone:
    compare the head printed now with one kept elsewhere.
    """
    seq, head, count = 0, GENESIS_HASH, 0
    while batch := await store.audit_entries(after_seq=seq, limit=page):
        for entry in batch:
            broken = verify_link(entry, prev_seq=seq, prev_hash=head)
            if broken is not None:
                return ChainReport(entries=count, head=head, broken=broken)
            seq, head, count = entry.seq, entry.hash, count + 1
    return ChainReport(entries=count, head=head)
