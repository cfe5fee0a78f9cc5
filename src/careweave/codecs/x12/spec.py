"""How an implementation guide lays out a transaction: loops, their segments, usage and repeats.

A ``LoopRule`` starts with its trigger segment and lists, in standard order, the segments and
child loops it may hold. Segment rules that share an id and sit next to each other (the 2300
loop's many DTP or REF) form one slot: the guide lets them come in any order among themselves.
"""

from __future__ import annotations

import msgspec

from careweave.codecs.x12.tokenizer import Segment

UNBOUNDED = 0
"""``max_use`` / ``max_repeat`` value meaning ">1" (no limit)."""


class SegmentRule(msgspec.Struct, frozen=True):
    """A segment a loop may hold, told apart from its siblings by an optional qualifier."""

    id: str
    qualifiers: frozenset[str] | None = None
    """Allowed values of the qualifier element; None matches any segment with this id."""
    qualifier_element: int = 1
    """Which element holds the qualifier (HL uses HL03)."""
    required: bool = False
    max_use: int = 1

    def matches(self, segment: Segment) -> bool:
        """Whether *segment* is this rule's segment (id and qualifier)."""
        if segment.fields[0] != self.id:
            return False
        return self.qualifiers is None or segment.element(self.qualifier_element) in self.qualifiers


class LoopRule(msgspec.Struct, frozen=True):
    """A loop: its trigger segment, then its segments and child loops in order."""

    id: str
    """Implementation guide loop id (``2100``, ``2010AA``)."""
    name: str
    trigger: SegmentRule
    body: tuple[SegmentRule | LoopRule, ...] = ()
    required: bool = False
    max_repeat: int = 1


def seg(
    segment_id: str,
    *qualifiers: str,
    required: bool = False,
    max_use: int = 1,
    element: int = 1,
) -> SegmentRule:
    """Shorthand for a SegmentRule: ``seg("REF", "EI", "SY", max_use=2)``."""
    return SegmentRule(
        segment_id, frozenset(qualifiers) if qualifiers else None, element, required, max_use
    )


def loop(
    loop_id: str,
    name: str,
    trigger: SegmentRule,
    *body: SegmentRule | LoopRule,
    required: bool = False,
    max_repeat: int = 1,
) -> LoopRule:
    """Shorthand for a LoopRule; the trigger is always required within its loop."""
    trigger = SegmentRule(
        trigger.id, trigger.qualifiers, trigger.qualifier_element, True, trigger.max_use
    )
    return LoopRule(loop_id, name, trigger, tuple(body), required, max_repeat)


class CompiledLoop:
    """A LoopRule flattened for fast walking: items, their slots and child compilations."""

    __slots__ = ("children", "group_start", "items", "rule")

    def __init__(self, rule: LoopRule) -> None:
        self.rule = rule
        self.items: list[SegmentRule | LoopRule] = [rule.trigger, *rule.body]
        self.children: dict[int, CompiledLoop] = {}
        self.group_start: list[int] = []
        for index, item in enumerate(self.items):
            previous = self.items[index - 1] if index else None
            same_slot = (
                isinstance(item, SegmentRule)
                and isinstance(previous, SegmentRule)
                and previous.id == item.id
                and index > 1
            )
            self.group_start.append(self.group_start[index - 1] if same_slot else index)
            if isinstance(item, LoopRule):
                self.children[index] = CompiledLoop(item)

    def segment_ids(self) -> set[str]:
        """Every segment id this loop or its descendants may hold."""
        ids = {item.id for item in self.items if isinstance(item, SegmentRule)}
        for child in self.children.values():
            ids |= child.segment_ids()
        return ids


def trigger_of(item: SegmentRule | LoopRule) -> SegmentRule:
    """The segment rule that starts *item* (itself for a segment)."""
    return item.trigger if isinstance(item, LoopRule) else item
