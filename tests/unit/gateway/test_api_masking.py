"""PHI masking is one function over the response models' declarations, at any depth."""

from __future__ import annotations

import datetime as dt

from careweave.gateway.api.masking import MASK, mask_phi, present
from careweave.gateway.api.schemas import EventOut, LineageOut, MessageOut

AT = dt.datetime(2025, 3, 3, tzinfo=dt.UTC)


def lineage() -> LineageOut:
    message = MessageOut(
        id=1, channel="ehr", content_type="hl7", sender="a", received_at=AT, trace_id="t",
        dedup_key="EPIC|RBMC|1", state="error", error="PID-7: '19481399'", ordering_key="E209",
        duplicates=0,
    )  # fmt: skip
    event = EventOut(id=1, event_type="PatientAdmitted", idempotency_key="admit:E209",
                     payload='{"family": "HALVORSEN"}', created_at=AT)  # fmt: skip
    return LineageOut(message=message, raw="PID|1||E209||HALVORSEN", events=[event], effects=[],
                      attempts=[], replays=[], case_ids=[])  # fmt: skip


def test_every_declared_field_is_masked_at_every_depth() -> None:
    masked = mask_phi(lineage())
    assert masked.raw == MASK
    assert masked.message.error == MASK
    assert masked.message.ordering_key == MASK
    assert masked.events[0].payload == MASK
    assert masked.events[0].idempotency_key == MASK
    assert masked.message.dedup_key == "EPIC|RBMC|1"  # not PHI: kept
    assert masked.events[0].event_type == "PatientAdmitted"


def test_none_stays_none_and_phi_read_sees_everything() -> None:
    whole = lineage()
    assert present(whole, frozenset({"phi:read"})) is whole
    empty = mask_phi(MessageOut(
        id=2, channel="c", content_type="x", sender="", received_at=AT, trace_id="t",
        dedup_key=None, state="processed", error=None, ordering_key=None, duplicates=0,
    ))  # fmt: skip
    assert empty.error is None
    assert empty.ordering_key is None
    assert present([whole], frozenset({"messages:read"}))[0].raw == MASK
