"""Fixing an item miss once: add the crosswalk entry, persist it, resolve the case, replay its work.

This is what ``careweave crosswalk add CODE ITEM`` and the API call: every transaction parked on
``item-miss:{code}`` is replayed through today's crosswalk, so inventory and the GL catch up, and the
case's audit trail records who fixed what and how many messages it released.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import msgspec

from careweave.masterdata.crosswalk_file import CrosswalkFile
from careweave.masterdata.items import CodeKind, CrosswalkEntry, ItemCrosswalk
from careweave.model.audit import AuditAction, AuditEntry
from careweave.model.records import CaseState

if TYPE_CHECKING:
    from careweave.engine.runtime import Engine


class ItemMissFix(msgspec.Struct, frozen=True, kw_only=True):
    """What one fix did: the new entry, the cases it resolved, the messages it replayed."""

    entry: CrosswalkEntry
    case_ids: list[int]
    replayed: int


def item_miss_key(code: str) -> str:
    """The exception-case key of an unresolvable item code."""
    return f"item-miss:{code}"


ALWAYS = dt.date(1900, 1, 1)
"""Start date of an entry for a code that never had one: it has always meant that item."""


def default_effective_from(
    crosswalk: ItemCrosswalk, kind: CodeKind, code: str, today: dt.date
) -> dt.date:
    """When a new entry starts if nobody says: today for a code that already has an entry; for a
    new code, always (so the parked transactions of past days resolve on replay)."""
    return today if crosswalk.history(kind, code) else ALWAYS


async def fix_item_miss(
    engine: Engine,
    crosswalk: ItemCrosswalk,
    code: str,
    item_number: str,
    *,
    actor: str,
    effective_from: dt.date,
    kind: CodeKind = CodeKind.EHR,
    crosswalk_file: CrosswalkFile | None = None,
    source: str = "api",
) -> ItemMissFix:
    """Map ``code`` to ``item_number`` and replay every transaction parked on the code's case."""
    entry = crosswalk.add(
        kind, code, item_number, effective_from=effective_from, source=source, added_by=actor
    )
    if crosswalk_file is not None:
        crosswalk_file.save(crosswalk.entries())
    # The crosswalk lives in a file, not the store: the audit entry follows the saved change.
    await engine.store.append_audit(
        AuditEntry(
            actor=actor,
            action=AuditAction.CROSSWALK_CHANGE,
            subject=f"crosswalk:{kind.value}:{code}",
            detail={
                "item": item_number,
                "version": str(entry.version),
                "effective_from": effective_from.isoformat(),
                "source": source,
            },
        )
    )
    cases = await engine.store.list_cases(state=CaseState.OPEN, case_key=item_miss_key(code))
    replayed = 0
    resolution = f"crosswalk {kind}:{code} -> {item_number} (version {entry.version})"
    for case in cases:
        replayed += await engine.resolve_case(case.id, actor=actor, resolution=resolution)
    return ItemMissFix(entry=entry, case_ids=[c.id for c in cases], replayed=replayed)
