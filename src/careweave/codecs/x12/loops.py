"""Build a transaction's loop tree by walking its segments against an implementation guide.

The walker keeps a stack of open loops. A segment goes to the innermost open loop that expects
it at or after the current position; otherwise the loops above are tried (closing the inner
ones); otherwise the segment is out of place. Along the way it records what a 999 reports:
unrecognized (1) or unexpected (2) segments, required segments or loops missing (3), loops over
their maximum (4), segments over their maximum use (5) and element errors (8).
"""

from __future__ import annotations

from collections.abc import Iterator

import msgspec

from careweave.codecs.x12.elements import ElementIssue, check_elements
from careweave.codecs.x12.spec import UNBOUNDED, CompiledLoop, LoopRule, SegmentRule, trigger_of
from careweave.codecs.x12.tokenizer import Delimiters, Segment, is_segment_id

# Segment ids of X12 005010 that a health care transaction may carry; an id outside this set and
# outside the guide is "unrecognized" (IK304 1) rather than merely misplaced (2).
_KNOWN_ID_TEXT = (
    " "
    "AK1 AK2 AK9 AMT BHT BPR CAS CL1 CLM CLP CN1 CR1 CR2 CR3 CRC CTP CUR DMG DSB DTM DTP FRM GE "
    "GS HCP HI HL IEA IK3 IK4 IK5 INS ISA K3 LIN LQ LX MEA MIA MOA N1 N2 N3 N4 NM1 NTE OI PAT PER "
    "PLB PRV PS1 PWK QTY RDM REF SBR SE ST STC SV1 SV2 SV5 SVC SVD TA1 TRN TS2 TS3 CTX DN1 DN2 "
    "EQ EB III MSG AAA HSD INV"
)
_KNOWN_IDS = frozenset(_KNOWN_ID_TEXT.split())


class Loop(msgspec.Struct):
    """One loop instance: its guide id and name, and its segments and child loops in order."""

    id: str
    name: str
    items: list[Segment | Loop] = msgspec.field(default_factory=list)

    @property
    def segments(self) -> list[Segment]:
        """The loop's own segments (not those of child loops)."""
        return [item for item in self.items if isinstance(item, Segment)]

    @property
    def loops(self) -> list[Loop]:
        """The loop's direct child loops."""
        return [item for item in self.items if isinstance(item, Loop)]

    def first(self, segment_id: str, qualifier: str | None = None) -> Segment | None:
        """The loop's first own segment with this id (and element-1 qualifier, when given)."""
        for item in self.items:
            if (
                isinstance(item, Segment)
                and item.fields[0] == segment_id
                and (qualifier is None or item.element(1) == qualifier)
            ):
                return item
        return None

    def walk(self) -> Iterator[Loop]:
        """This loop and every loop below it, depth first."""
        yield self
        for child in self.loops:
            yield from child.walk()


class StructureIssue(msgspec.Struct, frozen=True):
    """A segment-level problem, shaped like a 999 IK3 (and its IK4 element errors)."""

    code: str
    """IK304: 1 unrecognized id, 2 unexpected, 3 required missing, 4 loop over maximum,
    5 segment over maximum use, 8 segment has data element errors."""
    segment_id: str
    position: int
    """Position within the transaction set (ST is 1), as IK302 wants it."""
    loop_id: str
    message: str
    elements: list[ElementIssue] = msgspec.field(default_factory=list)


class _Frame:
    __slots__ = ("compiled", "cursor", "node", "uses")

    def __init__(self, compiled: CompiledLoop, node: Loop) -> None:
        self.compiled = compiled
        self.node = node
        self.cursor = 0
        self.uses = [0] * len(compiled.items)
        self.uses[0] = 1

    def forward(self, segment: Segment, exact: bool) -> int | None:
        items = self.compiled.items
        for index in range(max(self.compiled.group_start[self.cursor], 1), len(items)):
            head = trigger_of(items[index])
            if exact and head.matches(segment):
                return index
            if not exact and head.id == segment.fields[0] and head.qualifiers is not None:
                return index
        return None

    def backward(self, segment: Segment) -> int | None:
        items = self.compiled.items
        for index in range(1, self.compiled.group_start[self.cursor]):
            item = items[index]
            if isinstance(item, SegmentRule) and item.matches(segment):
                return index
        return None


class LoopWalker:
    """Walks one transaction set's segments against a guide, building its loop tree."""

    def __init__(self, guide: LoopRule, delimiters: Delimiters, check: bool = True) -> None:
        self.compiled = CompiledLoop(guide)
        self.delimiters = delimiters
        self.check = check
        self.issues: list[StructureIssue] = []
        self._known = _KNOWN_IDS | self.compiled.segment_ids()
        self._origin = 0

    def build(self, segments: list[Segment]) -> Loop:
        """The loop tree of *segments* (ST first); issues accumulate in ``self.issues``."""
        rule = self.compiled.rule
        root = Loop(rule.id, rule.name, [segments[0]] if segments else [])
        if not segments:
            return root
        self._origin = segments[0].position - 1
        stack = [_Frame(self.compiled, root)]
        for segment in segments[1:]:
            self._place(stack, segment)
        while stack:
            self._close(stack.pop(), segments[-1])
        return root

    def _issue(
        self,
        code: str,
        segment: Segment,
        loop_id: str,
        message: str,
        elements: list[ElementIssue] | None = None,
    ) -> None:
        position = segment.position - self._origin
        self.issues.append(
            StructureIssue(
                code,
                segment.fields[0],
                position,
                loop_id,
                f"{segment.label}: {message}",
                elements or [],
            )
        )

    def _place(self, stack: list[_Frame], segment: Segment) -> None:
        segment_id = segment.fields[0]
        if not is_segment_id(segment_id):
            self._issue("1", segment, stack[-1].node.id, f"{segment_id!r} is not a segment id")
            stack[-1].node.items.append(segment)
            return
        for exact in (True, False):
            for depth in range(len(stack) - 1, -1, -1):
                index = stack[depth].forward(segment, exact)
                if index is not None:
                    self._enter(stack, depth, index, segment, exact)
                    return
        for frame in reversed(stack):
            index = frame.backward(segment)
            if index is not None:
                frame.uses[index] += 1
                frame.node.items.append(segment)
                self._issue("2", segment, frame.node.id, "segment is out of order in its loop")
                return
        code = "2" if segment_id in self._known else "1"
        what = "not expected here" if code == "2" else "not a recognized segment"
        self._issue(code, segment, stack[-1].node.id, f"{segment_id} is {what}")
        stack[-1].node.items.append(segment)

    def _enter(
        self, stack: list[_Frame], depth: int, index: int, segment: Segment, exact: bool
    ) -> None:
        while len(stack) > depth + 1:
            self._close(stack.pop(), segment)
        frame = stack[depth]
        frame.cursor = index
        frame.uses[index] += 1
        item = frame.compiled.items[index]
        if isinstance(item, LoopRule):
            if item.max_repeat != UNBOUNDED and frame.uses[index] > item.max_repeat:
                message = f"loop {item.id} repeats {frame.uses[index]} times, max {item.max_repeat}"
                self._issue("4", segment, item.id, message)
            node = Loop(item.id, item.name, [segment])
            frame.node.items.append(node)
            stack.append(_Frame(frame.compiled.children[index], node))
            loop_id = item.id
        else:
            if item.max_use != UNBOUNDED and frame.uses[index] > item.max_use:
                self._issue(
                    "5",
                    segment,
                    frame.node.id,
                    f"{item.id} used {frame.uses[index]} times, max {item.max_use}",
                )
            frame.node.items.append(segment)
            loop_id = frame.node.id
        if not self.check:
            return
        elements = check_elements(segment, self.delimiters)
        if not exact:
            head = trigger_of(item)
            value = segment.element(head.qualifier_element)
            elements.insert(
                0,
                ElementIssue(
                    head.qualifier_element,
                    "7",
                    value,
                    f"{segment.id}{head.qualifier_element:02d} {value!r} "
                    f"is not a valid qualifier here",
                ),
            )
        if elements:
            self._issue("8", segment, loop_id, "; ".join(e.message for e in elements), elements)

    def _close(self, frame: _Frame, at: Segment) -> None:
        if not self.check:
            return
        for index, item in enumerate(frame.compiled.items):
            if item.required and frame.uses[index] == 0:
                head = trigger_of(item)
                what = f"loop {item.id}" if isinstance(item, LoopRule) else f"segment {item.id}"
                loop_id = item.id if isinstance(item, LoopRule) else frame.node.id
                self.issues.append(
                    StructureIssue(
                        "3",
                        head.id,
                        at.position - self._origin,
                        loop_id,
                        f"{at.label}: required {what} missing in loop {frame.node.id}",
                    )
                )
