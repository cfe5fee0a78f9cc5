"""Clinical events to HL7 v2 messages, in the dialect of the facility that sends them."""

from __future__ import annotations

import itertools
import random

from careweave.sandbox.ehr import segments as s
from careweave.sandbox.ehr.events import ClinicalEvent, EventKind
from careweave.sandbox.ehr.financial import financial_segments
from careweave.sandbox.ehr.messages import GeneratedMessage
from careweave.sandbox.ehr.organization import Facility
from careweave.sandbox.ehr.scheduling import order_segments, schedule_segments

_ADT_WITH_CLINICAL = (
    EventKind.ADMIT,
    EventKind.REGISTER,
    EventKind.UPDATE,
    EventKind.CANCEL_DISCHARGE,
)


class MessageWriter:
    """Writes events as messages, numbering MSH-10 per sender the way each vendor does."""

    def __init__(self, rng: random.Random, empi_authority: str) -> None:
        self._empi = empi_authority
        self._counters: dict[str, itertools.count[int]] = {}
        self._rng = rng

    def control_id(self, facility: Facility) -> str:
        """The next MSH-10 of this facility's sender."""
        counter = self._counters.get(facility.code)
        if counter is None:
            counter = itertools.count(self._rng.randrange(10**6, 9 * 10**6))
            self._counters[facility.code] = counter
        n = next(counter)
        prefix = facility.dialect.control_id_prefix
        if facility.dialect.name == "cerner":
            # Cerner-like ids: Q<message number>T<thread>.
            return f"{prefix}{n}T{n % 97 + 1000}"
        return f"{prefix}{n}"

    def segments(self, event: ClinicalEvent, control_id: str) -> list[str]:
        """The message's segments, MSH first."""
        out = [s.msh(event, control_id)]
        kind, visit, facility = event.kind, event.visit, event.facility
        if kind in (EventKind.BOOK, EventKind.RESCHEDULE, EventKind.MODIFY,
                    EventKind.CANCEL_BOOKING):  # fmt: skip
            assert event.appointment is not None
            head, tail = schedule_segments(event, event.appointment)
            return out + head + [s.pid(event, self._empi)] + tail
        if kind is EventKind.ORDER:
            assert event.order is not None
            out.append(s.pid(event, self._empi))
            if visit is not None:
                out.append(s.pv1(event, visit))
            return out + order_segments(event, event.order)
        out += [s.evn(event), s.pid(event, self._empi)]
        if kind is EventKind.MERGE:
            return [*out, s.mrg(event)]
        assert visit is not None
        out.append(s.pv1(event, visit, swap_locations=kind is EventKind.CANCEL_TRANSFER))
        if kind is EventKind.CHARGES:
            out += financial_segments(event)
            out += s.diagnoses(event, visit, "F")
            # Epic repeats the coverage on charges; a practice-management system has no ADT feed
            # (clinic visits are scheduled, then charged), so its DFT carries the only IN1.
            if facility.dialect.name in ("epic", "practice"):
                out += s.in1(event, facility)
            return out
        if kind in _ADT_WITH_CLINICAL:
            out += s.diagnoses(event, visit, "A" if kind is EventKind.ADMIT else "W")
            out += s.in1(event, facility)
        elif kind is EventKind.DISCHARGE:
            out += s.diagnoses(event, visit, "F")
        return out

    def write(self, event: ClinicalEvent, sequence: int) -> GeneratedMessage:
        """The message for ``event``, encoded as its sender does."""
        facility = event.facility
        dialect = facility.dialect
        control_id = self.control_id(facility)
        terminator = dialect.segment_terminator
        body = terminator.join(self.segments(event, control_id)) + terminator
        visit = event.visit
        return GeneratedMessage(
            sequence=sequence,
            raw=body.encode(dialect.encoding),
            message_type=event.kind.value,
            control_id=control_id,
            sending_facility=facility.code,
            patient_key=event.patient.enterprise_id,
            visit_number=visit.visit_number if visit is not None else "",
            event_time=event.time.isoformat(),
        )
