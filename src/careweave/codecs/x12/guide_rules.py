"""The generated 5010 implementation-guide rules (``x12_5010_rules.json.gz``), loaded once.

:mod:`careweave.codecs.x12.generate_rules` writes the file from pyx12's guide maps; this module
decodes it into typed specs (loops, segments, elements, composites) and finds the guide for a
transaction set's ST01 and implementation reference (ST03, else GS08).
"""

from __future__ import annotations

import gzip
from functools import cache
from importlib import resources
from typing import Literal

import msgspec

RULES_FILE = "x12_5010_rules.json.gz"
UNBOUNDED = 0
"""A repeat or max use of 0 means unbounded (``>1`` in the guides)."""

Usage = Literal["R", "S", "N"]


class ElementSpec(msgspec.Struct, kw_only=True):
    """A simple element, or a composite (``components`` set) of a segment."""

    ref: str
    """``CLM01``, ``CLM05`` (a composite), ``CLM05-01`` (a component)."""
    seq: int
    name: str
    usage: Usage
    de: str = ""
    type: str = "AN"
    """X12 data type: AN, ID, DT, TM, R, N0..N9, B."""
    min: int = 0
    max: int = 0
    codes: frozenset[str] = frozenset()
    """The guide's inline code values (empty when none)."""
    external: str | None = None
    """The external code list the guide names (``pos``, ``states``...), if any."""
    regex: str | None = None
    note: str | None = None
    """A rule the guide states in prose (``us_zip9``), added by the generator."""
    components: list[ElementSpec] | None = None
    width: int = 0
    """A composite's highest component position (computed on load)."""

    def __post_init__(self) -> None:
        if self.components:
            self.width = max(c.seq for c in self.components)


class SegmentSpec(msgspec.Struct, tag="segment", tag_field="kind", kw_only=True):
    """A segment in a loop: usage, position, maximum use, syntax notes and elements."""

    id: str
    name: str
    usage: Usage
    pos: int
    max_use: int
    syntax: list[str]
    elements: list[ElementSpec]
    key: tuple[int, int] | None = None
    """Where the qualifier that tells same-id segments apart sits: (element, component or 0)."""
    width: int = 0
    """The highest element position the guide defines (computed on load)."""
    qualifier_spec: ElementSpec | None = None
    """The element at ``key`` (computed on load)."""

    def __post_init__(self) -> None:
        self.width = max((e.seq for e in self.elements), default=0)
        self.qualifier_spec = self.qualifier()

    def qualifier(self) -> ElementSpec | None:
        """The element holding this segment's qualifier codes, if it has one."""
        if self.key is None:
            return None
        index, component = self.key
        field = self.field(index)
        if field is not None and component and field.components:
            return next((c for c in field.components if c.seq == component), None)
        return field

    def field(self, seq: int) -> ElementSpec | None:
        """The element (or composite) at position *seq* (1-based)."""
        for spec in self.elements:
            if spec.seq == seq:
                return spec
        return None


class LoopSpec(msgspec.Struct, tag="loop", tag_field="kind", kw_only=True):
    """A loop: usage, position, repeat, and its segments and child loops in order."""

    id: str
    name: str
    usage: Usage
    pos: int
    repeat: int
    items: list[SegmentSpec | LoopSpec]

    @property
    def trigger(self) -> SegmentSpec:
        """The loop's first segment, whose appearance opens (or repeats) the loop."""
        first = self.items[0]
        assert isinstance(first, SegmentSpec)
        return first


class GuideRules(msgspec.Struct, kw_only=True):
    """One implementation guide: its ST loop tree and HL level parentage."""

    name: str
    transaction_set: str
    implementation: str
    source: str
    tree: LoopSpec
    hl_parents: dict[str, list[str]]
    """HL03 level -> the levels its HL02 parent may have (``[]``: a root level)."""


class RuleSet(msgspec.Struct, kw_only=True):
    """Every guide and the external code lists the guides name."""

    guides: dict[str, GuideRules]
    external_codes: dict[str, frozenset[str]]


@cache
def load_rules() -> RuleSet:
    """The committed rules, decoded once per process."""
    raw = resources.files("careweave.codecs.x12").joinpath(RULES_FILE).read_bytes()
    return msgspec.json.decode(gzip.decompress(raw), type=RuleSet)


_SUCCESSORS = {
    "004010X098": "005010X222A1",
    "004010X096": "005010X223A2",
    "004010X091": "005010X221A1",
    "004010X095": "005010X220A1",
    "004010X061": "005010X218",
    "004010X093": "005010X212",
}
"""4010 guides and the 5010 guide that replaced them, for the "resubmit as" hint."""


class GuideLookup(msgspec.Struct, frozen=True):
    """The guide for a transaction set, or why there is none."""

    guide: GuideRules | None
    reason: str = ""


def find_guide(transaction_id: str, implementation: str) -> GuideLookup:
    """The guide rules for ST01 *transaction_id* under *implementation* (ST03 / GS08).

    An exact implementation reference wins; a later errata of the same guide (``005010X222A2``,
    ``005010X223A3``) uses the rules of the one careweave carries, since their segments and codes
    differ only in details the errata correct.
    """
    rules = load_rules()
    exact = rules.guides.get(f"{transaction_id} {implementation}")
    if exact is not None:
        return GuideLookup(exact)
    for guide in rules.guides.values():
        if (
            guide.transaction_set == transaction_id
            and implementation[:10] == (guide.implementation[:10])
        ):
            return GuideLookup(guide)
    label = f"{transaction_id} {implementation or '(no version)'}"
    known = sorted({g.implementation for g in rules.guides.values()
                    if g.transaction_set == transaction_id})  # fmt: skip
    if known and implementation.startswith("004010"):
        successor = _SUCCESSORS.get(implementation[:10])
        hint = f"; resubmit as {successor}" if successor else ""
        return GuideLookup(None, f"{label}: 4010 is not supported{hint}")
    if known:
        return GuideLookup(None, f"{label}: not supported; careweave validates {', '.join(known)}")
    return GuideLookup(None, f"{label}: transaction set {transaction_id} is not supported")
