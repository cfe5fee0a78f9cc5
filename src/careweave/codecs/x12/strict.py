"""Validate a transaction set against its implementation guide's generated rules.

The walker keeps a stack of open loops, as the guide nests them. A segment goes to the innermost
open loop that has a matching segment (or a child loop it opens) at or after the current
position; otherwise the loops above are tried, closing the inner ones; a segment no open loop
expects is reported. Matching uses the segment id and, where the guide tells same-id segments
apart by a qualifier (NM1*85 and NM1*87, HL03 levels), the qualifier's code; when no qualifier
matches, the segment goes where its id fits and its qualifier is reported as a bad code.

HL loops are matched by level (HL03) wherever the open loops allow that level, so a level may
repeat after deeper levels (a provider HL after subscriber HLs); the parent an HL02 names must
have a level the guide allows as that level's parent.

Every problem carries the segment's position (ST is 1), its id, the element (``CLM05-01``)
when it is an element problem, a 999 code (IK304 1-8 for segments, IK403 1-13 for elements)
and a message.
"""

from __future__ import annotations

import msgspec

from careweave.codecs.x12.guide_rules import (
    UNBOUNDED,
    GuideRules,
    LoopSpec,
    SegmentSpec,
    load_rules,
)
from careweave.codecs.x12.strict_elements import check_segment, digits_only
from careweave.codecs.x12.tokenizer import Delimiters, Segment, is_segment_id


class GuideError(msgspec.Struct, frozen=True):
    """One problem, as ``x12 validate --json`` prints it."""

    segment_position: int
    """Position within the transaction set (ST is 1); 0 for envelope problems outside it."""
    segment_id: str
    element: str | None
    code: str
    """IK304 (segment) or IK403 (element) code of the 999 vocabulary, or ``unsupported``."""
    message: str


class _Frame:
    """One open loop instance: its spec, where the walk is in it, and how often items were used."""

    __slots__ = ("cursor", "loop", "uses")

    def __init__(self, loop: LoopSpec) -> None:
        self.loop = loop
        self.cursor = 0
        self.uses = [0] * len(loop.items)
        self.uses[0] = 1

    def find(self, segment: Segment, exact: bool, component: str) -> int | None:
        """The index of the item *segment* fits at or after the cursor (HL levels: anywhere)."""
        items = self.loop.items
        start = self.cursor
        # Items sharing the cursor's position may come in any order.
        while start > 1 and items[start - 1].pos == items[self.cursor].pos:
            start -= 1
        is_hl = segment.id == "HL"
        for index in range(1, len(items)):
            if index < start and not (is_hl and isinstance(items[index], LoopSpec)):
                continue
            item = items[index]
            head = item.trigger if isinstance(item, LoopSpec) else item
            if _matches(head, segment, exact, component):
                return index
        return None


def _matches(spec: SegmentSpec, segment: Segment, exact: bool, separator: str) -> bool:
    if spec.id != segment.id:
        return False
    qualifier = spec.qualifier_spec
    if qualifier is None or not qualifier.codes:
        return True
    if not exact:
        return True
    assert spec.key is not None
    index, component = spec.key
    value = segment.element(index)
    if component:
        parts = value.split(separator)
        value = parts[component - 1] if component <= len(parts) else ""
    return value in qualifier.codes


def _segment_ids(loop: LoopSpec) -> set[str]:
    ids: set[str] = set()
    for item in loop.items:
        if isinstance(item, LoopSpec):
            ids |= _segment_ids(item)
        else:
            ids.add(item.id)
    return ids


class GuideValidator:
    """Walks one transaction set's segments (ST to SE) against a guide."""

    def __init__(self, guide: GuideRules, delimiters: Delimiters) -> None:
        self.guide = guide
        self.delimiters = delimiters
        self.external = load_rules().external_codes
        self.errors: list[GuideError] = []
        self._known = _segment_ids(guide.tree)
        self._origin = 0
        self._levels: dict[str, str] = {}

    def validate(self, segments: list[Segment]) -> list[GuideError]:
        """Every problem of the transaction set *segments* (ST first, SE last)."""
        if not segments:
            return self.errors
        self._origin = segments[0].position - 1
        root = _Frame(self.guide.tree)
        self._elements(self.guide.tree.trigger, segments[0])
        stack = [root]
        for segment in segments[1:]:
            self._place(stack, segment)
        while stack:
            self._close(stack.pop(), segments[-1])
        return self.errors

    def _error(self, segment: Segment, code: str, message: str, element: str | None = None) -> None:
        position = segment.position - self._origin
        self.errors.append(GuideError(position, segment.id, element, code, message))

    def _place(self, stack: list[_Frame], segment: Segment) -> None:
        if not is_segment_id(segment.id):
            self._error(segment, "1", f"{segment.id!r} is not a segment id")
            return
        for exact in (True, False):
            for depth in range(len(stack) - 1, -1, -1):
                index = stack[depth].find(segment, exact, self.delimiters.component)
                if index is not None:
                    self._enter(stack, depth, index, segment)
                    return
        where = stack[-1].loop.id
        if segment.id in self._known:
            self._error(segment, "2", f"{segment.id} is not expected here (in loop {where})")
        else:
            self._error(segment, "1", f"{segment.id} is not a segment of this guide")

    def _enter(self, stack: list[_Frame], depth: int, index: int, segment: Segment) -> None:
        while len(stack) > depth + 1:
            self._close(stack.pop(), segment)
        frame = stack[depth]
        frame.cursor = index
        frame.uses[index] += 1
        item = frame.loop.items[index]
        if isinstance(item, LoopSpec):
            if item.usage == "N":
                self._error(segment, "2", f"loop {item.id} ({item.name}) is not used in this guide")
            elif item.repeat != UNBOUNDED and frame.uses[index] > item.repeat:
                self._error(
                    segment,
                    "4",
                    f"loop {item.id} repeats {frame.uses[index]} times, max {item.repeat}",
                )
            stack.append(_Frame(item))
            spec = item.trigger
        else:
            spec = item
            if item.usage == "N":
                self._error(
                    segment, "2", f"{item.id} ({item.name}) is not used in loop {frame.loop.id}"
                )
            elif item.max_use != UNBOUNDED and frame.uses[index] > item.max_use:
                self._error(
                    segment, "5", f"{item.id} used {frame.uses[index]} times, max {item.max_use}"
                )
        self._elements(spec, segment)
        if segment.id == "HL":
            self._hierarchy(segment)

    def _elements(self, spec: SegmentSpec, segment: Segment) -> None:
        for problem in check_segment(spec, segment, self.delimiters, self.external):
            if problem.element == "ST03" and problem.code == "7":
                continue  # ST03 chose the guide; a later errata's reference is not an error
            self._error(segment, problem.code, problem.message, problem.element or None)

    def _hierarchy(self, segment: Segment) -> None:
        """HL01 counting from 1; HL02 naming an earlier HL whose level may parent this one."""
        number, parent, level = segment.element(1), segment.element(2), segment.element(3)
        expected = str(len(self._levels) + 1)
        if number != expected:
            # HL01 counts the transaction's HL segments from 1, as the guides require.
            self._error(segment, "7", f"HL01 {number!r} should be {expected}", "HL01")
        self._levels[number if digits_only(number) else f"?{len(self._levels)}"] = level
        allowed = self.guide.hl_parents.get(level)
        if allowed is None:
            return  # an unknown level is reported by HL03's code check
        if not allowed:
            if parent:
                self._error(
                    segment, "7", f"HL level {level} is a root level: HL02 must be empty", "HL02"
                )
            return
        parent_level = self._levels.get(parent)
        if parent_level is None:
            self._error(segment, "7", f"HL02 {parent!r} names no earlier HL", "HL02")
        elif parent_level not in allowed:
            self._error(
                segment,
                "7",
                f"HL level {level} cannot be a child of level {parent_level} "
                f"(allowed: {', '.join(allowed)})",
                "HL02",
            )

    def _close(self, frame: _Frame, at: Segment) -> None:
        for index, item in enumerate(frame.loop.items):
            if item.usage != "R" or frame.uses[index]:
                continue
            if isinstance(item, LoopSpec):
                what, missing = f"loop {item.id} ({item.name})", item.trigger.id
            else:
                what, missing = f"segment {item.id} ({item.name})", item.id
            position = at.position - self._origin
            self.errors.append(
                GuideError(
                    position, missing, None, "3", f"required {what} missing in loop {frame.loop.id}"
                )
            )


def validate_segments(
    guide: GuideRules, segments: list[Segment], delimiters: Delimiters
) -> list[GuideError]:
    """Every problem of one transaction set's *segments* (ST to SE) under *guide*."""
    return GuideValidator(guide, delimiters).validate(segments)
