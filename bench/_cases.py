"""Surgical cases for the end-to-end benchmark, written by the simulated EHR of the example.

One case is three HL7 v2 messages from the hospital's EHR, in this order on one connection (the
patient's): the ADT^A01 admission, the DFT^P03 of a single-chamber pacemaker implant (its FT1
lines: the procedure, the introducer sheath, the pulse generator and the atrial lead, both implants with
lot, serial and UDI in ZSU, and two drugs) and the ADT^A03 discharge. Events, charge lines and
messages come from :mod:`careweave.sandbox.ehr` (the enterprise of
:mod:`careweave.sandbox.health_system`, so the example's master data fits), with supplies drawn
only from items the ERP item master holds: every case goes through the whole fan-out, none parks.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from careweave.sandbox.ehr import chargemaster as cdm
from careweave.sandbox.ehr.catalog import ItemCatalog, ItemCategory
from careweave.sandbox.ehr.events import ClinicalEvent, EventKind
from careweave.sandbox.ehr.organization import Specialty, UnitKind
from careweave.sandbox.ehr.population import Patient
from careweave.sandbox.ehr.render import MessageWriter
from careweave.sandbox.ehr.timeline import LOCAL_ZONE, TimelineBuilder, replace
from careweave.sandbox.health_system import day_config, enterprise


@dataclass(frozen=True)
class SurgicalCase:
    """The three messages of one case and what the benchmark needs to follow it."""

    number: int
    patient_key: str
    """The patient's enterprise id: all three messages go on the connection it picks."""
    admission: bytes
    procedure: bytes
    """The DFT^P03 whose journals the latency is measured to."""
    discharge: bytes
    procedure_control_id: str
    """MSH-10 of the DFT^P03."""

    @property
    def messages(self) -> tuple[bytes, bytes, bytes]:
        """In sending order."""
        return self.admission, self.procedure, self.discharge


_SINGLE_CHAMBER_ATRIAL = replace(
    cdm.PROCEDURES[cdm.CaseKind.PACEMAKER_SINGLE],
    supplies=(
        (ItemCategory.SHEATH, 1, 1, "PEEL-AWAY"),
        (ItemCategory.PACEMAKER, 1, 1, "SINGLE"),
        (ItemCategory.LEAD, 1, 1, "ATRIAL"),
    ),
)
"""A single-chamber pacemaker paced from the atrium (AAI): the simulator's ventricular lead is one
of the codes its ERP deliberately lacks, the atrial one is known."""


class _CaseTimeline(TimelineBuilder):
    """The lifecycle of an inpatient pacemaker implant, reduced to A01, DFT^P03, A03."""

    def case(self, patient: Patient, start: dt.datetime) -> list[ClinicalEvent]:
        self._events.clear()
        facility = self._system.hospital_a if self._chance(0.75) else self._system.hospital_b
        surgeon = self._provider(Specialty.ELECTROPHYSIOLOGY)
        room = self._location(facility, UnitKind.CATH_LAB)
        template = _SINGLE_CHAMBER_ATRIAL
        dx = self._diagnoses(template.diagnoses)
        visit = self._new_visit(
            facility, patient, "I", room, surgeon, start, dx, service="CAR",
            admission_type="EL", allow_duplicate=False,
        )  # fmt: skip
        self._event(EventKind.ADMIT, start, facility, patient, visit)
        begin = start + dt.timedelta(minutes=90)
        procedure, lines = self._charges.procedure_case(
            template, self._catalog, begin, room.unit, surgeon, dx
        )
        end = begin + dt.timedelta(minutes=procedure.minutes)
        self._event(
            EventKind.CHARGES, end + dt.timedelta(minutes=30), facility, patient, visit,
            charges=lines, procedure=procedure,
        )  # fmt: skip
        discharge = end + dt.timedelta(hours=22)
        final = replace(visit, discharge_time=discharge)
        self._event(EventKind.DISCHARGE, discharge, facility, patient, final)
        return [event for _, _, event in self._events]


def surgical_cases(count: int, seed: int = 11, first: int = 0) -> list[SurgicalCase]:
    """``count`` cases numbered from ``first``, the same bytes for the same seed and numbers."""
    books = enterprise()
    # Only the items the ERP knows: a benchmark case never parks on an item-miss case.
    catalog = ItemCatalog(items=books.catalog.erp_items(), missing_from_erp=frozenset())
    rng = random.Random(f"{seed}:{first}:e2e-cases")
    timeline = _CaseTimeline(day_config(seed, count), books.system, books.patients, catalog, rng)
    writer = MessageWriter(
        random.Random(f"{seed}:{first}:e2e-control-ids"), books.system.empi_authority
    )
    day = dt.datetime.combine(books.config.start_date, dt.time(6, 0), LOCAL_ZONE)
    cases: list[SurgicalCase] = []
    for n in range(first, first + count):
        patient = rng.choice(books.patients)
        start = day + dt.timedelta(seconds=(n * 7) % (13 * 3600))
        admission, procedure, discharge = (
            writer.write(event, 0) for event in timeline.case(patient, start)
        )
        cases.append(
            SurgicalCase(
                number=n,
                patient_key=patient.enterprise_id,
                admission=admission.raw,
                procedure=procedure.raw,
                discharge=discharge.raw,
                procedure_control_id=procedure.control_id,
            )
        )
    return cases
