"""Element readers shared by the supply-chain parsers: numbers, counts, positions, parties.

Every bad value raises :class:`SupplyParseError`, an X12Error that also carries the segment's
position within its transaction set, the element (``PO102``) and a 999 element code, so that
``x12 validate`` can report it like any other element problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from careweave.codecs.x12.supply.model import PartId, Party, Totals
from careweave.codecs.x12.tokenizer import Segment
from careweave.exceptions import X12Error


class SupplyParseError(X12Error):
    """A supply-chain document cannot be read: where (position within ST..SE), which element."""

    def __init__(
        self, position: int, segment_id: str, element: str | None, code: str, problem: str
    ) -> None:
        where = f"segment {position} ({segment_id})" + (f" {element}" if element else "")
        super().__init__(f"{where}: {problem}")
        self.position = position
        self.segment_id = segment_id
        self.element = element
        self.code = code
        """IK403 code (``1`` required element missing, ``6`` not a number), or IK304 ``3`` (a
        required segment missing) when *element* is None."""
        self.problem = problem


class SegmentReader:
    """Reads the elements of a transaction set's segments, numbering them from its ST (1)."""

    def __init__(self, segments: Sequence[Segment]) -> None:
        self._start = segments[0].position if segments else 1

    def position(self, segment: Segment) -> int:
        """*segment*'s position within the transaction set (ST is 1)."""
        return segment.position - self._start + 1

    def fail(self, segment: Segment, index: int, code: str, problem: str) -> SupplyParseError:
        """The error for element *index* of *segment*."""
        element = f"{segment.id}{index:02d}"
        return SupplyParseError(self.position(segment), segment.id, element, code, problem)

    def required(self, segment: Segment, index: int) -> str:
        """Element *index*, or SupplyParseError (code 1) when it is empty."""
        value = segment.element(index)
        if not value:
            raise self.fail(segment, index, "1", "required element is missing")
        return value

    def decimal(self, segment: Segment, index: int, required: bool = True) -> Decimal | None:
        """Element *index* as a Decimal (None when empty and not required)."""
        value = segment.element(index)
        if not value:
            if required:
                raise self.fail(segment, index, "1", "required number is missing")
            return None
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise self.fail(segment, index, "6", f"{value!r} is not a number") from None
        if not number.is_finite():
            raise self.fail(segment, index, "6", f"{value!r} is not a number")
        return number

    def quantity(self, segment: Segment, index: int) -> Decimal:
        """A required decimal element."""
        value = self.decimal(segment, index)
        assert value is not None
        return value

    def integer(self, segment: Segment, index: int) -> int:
        """A required whole number (CTT01, TD102)."""
        value = self.required(segment, index)
        if not value.isdigit():
            raise self.fail(segment, index, "6", f"{value!r} is not a whole number")
        return int(value)

    def cents(self, segment: Segment, index: int) -> Decimal:
        """An ``N2`` element (two implied decimals: ``123456`` is 1234.56)."""
        value = self.required(segment, index)
        digits = value.removeprefix("-")
        if not digits.isdigit():
            raise self.fail(segment, index, "6", f"{value!r} is not an amount in cents (N2)")
        return Decimal(value).scaleb(-2)

    def totals(self, segment: Segment) -> Totals:
        """A CTT segment."""
        return Totals(self.integer(segment, 1), self.decimal(segment, 2, required=False),
                      self.position(segment))  # fmt: skip


def part_ids(segment: Segment, first: int) -> list[PartId]:
    """Qualifier/value pairs from element *first* on (PO106/PO107..., LIN02/LIN03...)."""
    found: list[PartId] = []
    index = first
    while index + 1 < len(segment.fields):
        qualifier, value = segment.element(index), segment.element(index + 1)
        if qualifier or value:
            found.append(PartId(qualifier, value))
        index += 2
    return found


def read_party(segment: Segment) -> Party:
    """An N1 segment (its N3/N4 are added by :func:`with_address`)."""
    return Party(segment.element(1), segment.element(2), segment.element(3), segment.element(4))


def with_address(party: Party, segment: Segment) -> Party:
    """*party* with an N3 (street lines) or N4 (city, state, postal code) folded in."""
    if segment.id == "N3":
        lines = [v for v in (segment.element(1), segment.element(2)) if v]
        return Party(party.entity, party.name, party.id_qualifier, party.id, lines, party.city,
                     party.state, party.postal_code)  # fmt: skip
    return Party(party.entity, party.name, party.id_qualifier, party.id, party.address,
                 segment.element(1), segment.element(2), segment.element(3))  # fmt: skip
