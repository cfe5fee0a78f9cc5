"""The item crosswalk: EHR supply codes, GTIN, HIBCC, UDI and catalog numbers to ERP item numbers.

Entries are effective-dated and versioned: adding an entry for a code that already has one makes a
new version that wins from its effective date on, and the old version stays for history (a replay of
last month's case resolves as the crosswalk said then, when the date says so). A miss is not an
error: the caller parks the work and shows :meth:`ItemCrosswalk.suggest`'s ranked candidates (GTIN
match, catalog number, fuzzy description) to the supply-chain team.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import re
from collections.abc import Iterable
from decimal import Decimal

import msgspec

from careweave.exceptions import ValidationError
from careweave.model.supplies import SupplyUsed


class CodeKind(enum.StrEnum):
    """Which identifier of an item a crosswalk entry keys on."""

    EHR = "ehr"
    """The EHR's own supply or implant code (ZSU-2, FT1-34)."""
    GTIN = "gtin"
    """GS1 GTIN-14 (also the device identifier of a GS1 UDI)."""
    HIBCC = "hibcc"
    """HIBCC labeler + product code (the primary data of a HIBCC UDI)."""
    UDI = "udi"
    """A device identifier as the UDI carries it, when neither GS1 nor HIBCC applies."""
    CATALOG = "catalog"
    """The manufacturer's catalog (reference) number."""


RESOLUTION_ORDER = (CodeKind.EHR, CodeKind.UDI, CodeKind.GTIN, CodeKind.HIBCC, CodeKind.CATALOG)
"""The most specific identifier first: the EHR code is what the EHR means by the line."""


class MasterItem(msgspec.Struct, frozen=True, kw_only=True):
    """An ERP item master entry, as the crosswalk and the flows need it."""

    item_number: str
    description: str
    standard_cost: Decimal
    uom: str = "EA"
    gtin: str | None = None
    manufacturer: str | None = None
    catalog_number: str | None = None
    consigned: bool = False
    vendor: str = ""
    """Who is paid for the item (the bill-only PO's vendor for consigned implants)."""


class CrosswalkEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One mapping of a code to an ERP item number, valid from a date (to a date)."""

    kind: CodeKind
    code: str
    item_number: str
    effective_from: dt.date
    effective_to: dt.date | None = None
    """Last day the entry applies (inclusive); None while it is current."""
    version: int = 1
    source: str = "csv"
    """Where the entry came from: ``csv`` (the file under version control), ``cli``, ``api``."""
    added_by: str = ""

    def applies_on(self, day: dt.date) -> bool:
        """Whether the entry is in effect on ``day``."""
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


class ItemMatch(msgspec.Struct, frozen=True, kw_only=True):
    """A resolved item: the ERP item and the entry (kind, code, version) that resolved it."""

    item: MasterItem
    entry: CrosswalkEntry


class Suggestion(msgspec.Struct, frozen=True, kw_only=True):
    """A candidate ERP item for an unmatched code, with why and how strongly it matches."""

    item_number: str
    description: str
    reason: str
    score: float

    def line(self) -> str:
        """One readable line for a case's details."""
        return f"{self.item_number} ({self.description}): {self.reason}, score {self.score:.2f}"


def normalize(kind: CodeKind, code: str) -> str:
    """The comparable form of a code: upper case, no spaces; catalog numbers without punctuation."""
    text = code.strip().upper()
    if kind is CodeKind.CATALOG:
        # Senders write "DES-3015", "DES 3015" or "des3015" for the same reference number.
        return re.sub(r"[^0-9A-Z]", "", text.rsplit("^", 1)[-1])
    if kind is CodeKind.GTIN:
        return text.zfill(14) if text.isdigit() else text
    return re.sub(r"\s", "", text)


_GS1_DI = re.compile(r"^\(01\)(\d{14})|^01(\d{14})")


def udi_identifiers(udi: str) -> list[tuple[CodeKind, str]]:
    """The device identifier(s) a UDI carries: the GTIN of a GS1 UDI, the HIBCC primary data."""
    text = udi.strip()
    if match := _GS1_DI.match(text):
        return [(CodeKind.GTIN, match.group(1) or match.group(2))]
    if text.startswith("+"):
        primary = text[1:].split("/", 1)[0].split("$", 1)[0]
        # The last character of HIBCC primary data is the unit-of-measure digit + check char pair;
        # the labeler (4) + product code is what identifies the item.
        return [(CodeKind.HIBCC, primary[:-1] if len(primary) > 5 else primary)]
    return [(CodeKind.UDI, text)]


def identifiers_of(event: SupplyUsed) -> list[tuple[CodeKind, str]]:
    """Every identifier a supply line carries, most specific first."""
    found: list[tuple[CodeKind, str]] = [(CodeKind.EHR, event.item.code)]
    if event.udi:
        found += udi_identifiers(event.udi)
    if event.gtin:
        found.append((CodeKind.GTIN, event.gtin))
    if event.catalog_number:
        found.append((CodeKind.CATALOG, event.catalog_number))
    order = {kind: n for n, kind in enumerate(RESOLUTION_ORDER)}
    return sorted(found, key=lambda pair: order[pair[0]])


class ItemCrosswalk:
    """Resolves the codes on a supply line to an ERP item, as of a date."""

    def __init__(self, items: Iterable[MasterItem], entries: Iterable[CrosswalkEntry] = ()) -> None:
        self._items = {item.item_number: item for item in items}
        self._entries: dict[tuple[CodeKind, str], list[CrosswalkEntry]] = {}
        for entry in entries:
            self._index(entry)

    # -- the item master --------------------------------------------------------------------

    def item(self, item_number: str) -> MasterItem | None:
        """The ERP item, or None."""
        return self._items.get(item_number)

    def items(self) -> list[MasterItem]:
        """Every ERP item known to the crosswalk."""
        return list(self._items.values())

    def put_item(self, item: MasterItem) -> None:
        """Add or replace an ERP item (the item master changed)."""
        self._items[item.item_number] = item

    # -- entries ----------------------------------------------------------------------------

    def _index(self, entry: CrosswalkEntry) -> None:
        key = (entry.kind, normalize(entry.kind, entry.code))
        self._entries.setdefault(key, []).append(entry)

    def entries(self) -> list[CrosswalkEntry]:
        """Every entry, every version, in key then version order."""
        return [e for key in sorted(self._entries) for e in self._entries[key]]

    def history(self, kind: CodeKind, code: str) -> list[CrosswalkEntry]:
        """The versions of one code's entry, oldest first."""
        return list(self._entries.get((kind, normalize(kind, code)), []))

    def add(
        self,
        kind: CodeKind,
        code: str,
        item_number: str,
        *,
        effective_from: dt.date,
        source: str = "api",
        added_by: str = "",
    ) -> CrosswalkEntry:
        """Map ``code`` to ``item_number`` from ``effective_from`` on: a new version of the entry.

        The current version (if any) ends the day before; an unknown item number is refused, since
        a crosswalk entry to nothing would release parked work into a second failure.
        """
        if item_number not in self._items:
            raise ValidationError(f"crosswalk {kind}:{code}: ERP item {item_number!r} is unknown")
        if not code.strip():
            raise ValidationError(f"crosswalk {kind}: the code is empty")
        key = (kind, normalize(kind, code))
        versions = self._entries.setdefault(key, [])
        for n, old in enumerate(versions):
            # Close the current version the day before; an overlapping older one loses on version.
            if old.effective_to is None and old.effective_from < effective_from:
                end = effective_from - dt.timedelta(days=1)
                versions[n] = msgspec.structs.replace(old, effective_to=end)
        entry = CrosswalkEntry(
            kind=kind,
            code=code.strip(),
            item_number=item_number,
            effective_from=effective_from,
            version=max((e.version for e in versions), default=0) + 1,
            source=source,
            added_by=added_by,
        )
        versions.append(entry)
        return entry

    def lookup(self, kind: CodeKind, code: str, on: dt.date) -> CrosswalkEntry | None:
        """The entry (latest version) for one code in effect on ``on``."""
        versions = self._entries.get((kind, normalize(kind, code)), [])
        live = [e for e in versions if e.applies_on(on)]
        return max(live, key=lambda e: e.version) if live else None

    def resolve(self, event: SupplyUsed, on: dt.date) -> ItemMatch | None:
        """The ERP item of a supply line, from its most specific identifier that has an entry."""
        for kind, code in identifiers_of(event):
            entry = self.lookup(kind, code, on)
            if entry is not None and (item := self._items.get(entry.item_number)) is not None:
                return ItemMatch(item=item, entry=entry)
        return None

    # -- suggestions ------------------------------------------------------------------------

    def suggest(self, event: SupplyUsed, limit: int = 3) -> list[Suggestion]:
        """Ranked ERP items that may be what an unmatched supply line means."""
        scores: dict[str, tuple[float, str]] = {}

        def offer(item: MasterItem, score: float, reason: str) -> None:
            if score > scores.get(item.item_number, (0.0, ""))[0]:
                scores[item.item_number] = (score, reason)

        gtins = {
            normalize(CodeKind.GTIN, c) for k, c in identifiers_of(event) if k is CodeKind.GTIN
        }
        catalog = normalize(CodeKind.CATALOG, event.catalog_number or "")
        description = (event.description or event.item.display or "").upper()
        # seq2 is the one the matcher caches: set it once, then cheap upper bounds before ratio().
        matcher = difflib.SequenceMatcher(None)
        matcher.set_seq2(description)
        for item in self._items.values():
            if item.gtin and normalize(CodeKind.GTIN, item.gtin) in gtins:
                offer(item, 1.0, f"same GTIN {item.gtin}")
            if catalog and normalize(CodeKind.CATALOG, item.catalog_number or "") == catalog:
                offer(item, 0.9, f"same catalog number {item.catalog_number}")
            if description:
                matcher.set_seq1(item.description.upper())
                if matcher.real_quick_ratio() >= 0.6 and matcher.quick_ratio() >= 0.6:
                    ratio = matcher.ratio()
                    if ratio >= 0.6:
                        offer(item, round(0.8 * ratio, 2), "similar description")
        ranked = sorted(scores.items(), key=lambda kv: (-kv[1][0], kv[0]))[:limit]
        return [
            Suggestion(
                item_number=number,
                description=self._items[number].description,
                reason=reason,
                score=score,
            )
            for number, (score, reason) in ranked
        ]
