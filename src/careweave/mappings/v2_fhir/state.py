"""What the segment walker knows at a point of the message: the patient, the visit, the order,
the result group and the resource the next NTE or RXR belongs to."""

from __future__ import annotations

from collections.abc import Callable

from careweave.codecs.hl7v2 import Message, Segment
from careweave.mappings.v2_fhir.bundle import BundleWriter, Json


class WalkState:
    """Mutable state of one message's walk; handlers read and advance it."""

    __slots__ = (
        "appointment",
        "coverage",
        "document",
        "document_files",
        "document_text",
        "encounter",
        "encounter_resource",
        "last",
        "message",
        "order_control",
        "patient",
        "patient_resource",
        "pending_orc",
        "pending_timing",
        "report",
        "service_request",
        "trigger",
        "writer",
    )

    def __init__(self, message: Message, writer: BundleWriter) -> None:
        self.message = message
        self.writer = writer
        self.trigger = message.get("MSH-9.2").upper()
        """The trigger event (``A01``, ``R01``)."""
        self.patient: str | None = None
        """Reference to the Patient of the last PID."""
        self.patient_resource: Json | None = None
        self.encounter: str | None = None
        """Reference to the Encounter of the last PV1 (under the current patient)."""
        self.encounter_resource: Json | None = None
        self.pending_orc: Segment | None = None
        """An ORC not yet joined to the OBR, RXO, RXE or RXA that details it."""
        self.pending_timing: Segment | None = None
        """A TQ1 read before the OBR of its order."""
        self.order_control: Segment | None = None
        """The ORC of the order being read (kept for the segments after its detail)."""
        self.service_request: Json | None = None
        self.report: Json | None = None
        """The DiagnosticReport that the OBX segments of this result group belong to."""
        self.document: Json | None = None
        """The DocumentReference of a TXA, whose OBX segments are the document's text."""
        self.document_text: list[str] = []
        """The lines of that document read so far."""
        self.document_files: list[Json] = []
        """Its encapsulated (ED) parts, as attachments."""
        self.appointment: Json | None = None
        self.coverage: Json | None = None
        self.last: Json | None = None
        """The last clinical resource made: NTE notes and RXR routes attach to it."""

    def subject(self) -> Json | None:
        """A reference to the current patient, None before any PID."""
        return {"reference": self.patient} if self.patient else None

    def context(self) -> Json | None:
        """A reference to the current encounter, None when there is none."""
        return {"reference": self.encounter} if self.encounter else None

    def end_order(self) -> None:
        """Forget the order and result group (a new PID or ORC starts another)."""
        self.order_control = None
        self.pending_timing = None
        self.service_request = None
        self.report = None


Handler = Callable[[WalkState, Segment], None]
"""Converts one segment, given the walk's state."""
