"""The timeline toolkit the encounter lifecycles are written with: visits, bookings, orders,
charge postings and merges, each emitted as a time-stamped clinical event."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import TypeVar
from zoneinfo import ZoneInfo

import msgspec

from careweave.sandbox.ehr import chargemaster as cdm
from careweave.sandbox.ehr.casework import ChargeWriter
from careweave.sandbox.ehr.catalog import ItemCatalog
from careweave.sandbox.ehr.config import EhrScenarioConfig
from careweave.sandbox.ehr.events import (
    Appointment,
    ChargeLine,
    ClinicalEvent,
    EventKind,
    Location,
    Order,
    VisitSnapshot,
)
from careweave.sandbox.ehr.organization import (
    EPIC,
    Facility,
    HealthSystem,
    Provider,
    Specialty,
    UnitKind,
)
from careweave.sandbox.ehr.population import Patient

LOCAL_ZONE = ZoneInfo("America/Chicago")
_S = TypeVar("_S", bound=msgspec.Struct)
MINUTE = dt.timedelta(minutes=1)


class TimelineBuilder:
    """Shared state and steps of every encounter lifecycle; events collect in ``self._events``."""

    def __init__(
        self,
        config: EhrScenarioConfig,
        system: HealthSystem,
        patients: tuple[Patient, ...],
        catalog: ItemCatalog,
        rng: random.Random,
    ) -> None:
        self._config = config
        self._system = system
        self._patients = patients
        self._catalog = catalog
        self._rng = rng
        self._charges = ChargeWriter(rng, first_id=int(rng.randrange(10**7, 5 * 10**7)))
        self._visit_ids = itertools.count(int(rng.randrange(10**8, 5 * 10**8)))
        self._order_ids = itertools.count(int(rng.randrange(10**6, 5 * 10**6)))
        self._duplicate_mrns = itertools.count(9100000)
        self._events: list[tuple[dt.datetime, int, ClinicalEvent]] = []
        self._sequence = itertools.count()

    # -- helpers ---------------------------------------------------------------------------

    def _emit(self, event: ClinicalEvent) -> None:
        self._events.append((event.time, next(self._sequence), event))

    def _provider(self, specialty: Specialty) -> Provider:
        return self._rng.choice(self._system.providers_of(specialty))

    def _location(self, facility: Facility, kind: UnitKind) -> Location:
        unit = self._rng.choice(facility.units_of(kind))
        return Location(unit, self._rng.choice(unit.rooms), self._rng.choice(unit.beds))

    def _mrn(self, patient: Patient, facility: Facility) -> str:
        return patient.cerner_mrn if facility.dialect.name == "cerner" else patient.epic_mrn

    def _chance(self, p: float) -> bool:
        return self._rng.random() < p

    def _new_visit(
        self,
        facility: Facility,
        patient: Patient,
        patient_class: str,
        location: Location,
        attending: Provider,
        admit_time: dt.datetime,
        diagnoses: tuple[cdm.Diagnosis, ...],
        *,
        service: str,
        admission_type: str = "R",
        allow_duplicate: bool = True,
    ) -> VisitSnapshot:
        mrn = self._mrn(patient, facility)
        rates = self._config.rates
        if (
            allow_duplicate
            and facility.dialect is EPIC
            and self._chance(rates.duplicate_registration)
        ):
            mrn = f"E{next(self._duplicate_mrns):07d}"
        number = next(self._visit_ids)
        return VisitSnapshot(
            visit_number=str(number),
            account_number=f"{'F' if facility.dialect.name == 'cerner' else 'H'}{number + 7000000}",
            mrn=mrn,
            patient_class=patient_class,
            admission_type=admission_type,
            hospital_service=service,
            location=location,
            prior_location=None,
            attending=attending,
            referring=self._provider(Specialty.PRIMARY_CARE) if self._chance(0.6) else None,
            admit_time=admit_time,
            discharge_time=None,
            diagnoses=diagnoses,
        )

    def _diagnoses(self, principal: tuple[cdm.Diagnosis, ...]) -> tuple[cdm.Diagnosis, ...]:
        first = self._rng.choice(principal)
        others = self._rng.sample(cdm.SECONDARY_DIAGNOSES, self._rng.randint(0, 3))
        return (first, *[d for d in others if d != first])

    def _event(
        self,
        kind: EventKind,
        when: dt.datetime,
        facility: Facility,
        patient: Patient,
        visit: VisitSnapshot | None,
        **payload: object,
    ) -> None:
        mrn = visit.mrn if visit is not None else self._mrn(patient, facility)
        self._emit(
            ClinicalEvent(
                kind=kind,
                time=when,
                facility=facility,
                patient=patient,
                mrn=mrn,
                visit=visit,
                **payload,  # type: ignore[arg-type]
            )
        )

    def _maybe_update(
        self, facility: Facility, patient: Patient, visit: VisitSnapshot, when: dt.datetime
    ) -> None:
        if self._chance(self._config.rates.demographics_update):
            self._event(EventKind.UPDATE, when, facility, patient, visit)

    def _maybe_merge(
        self, facility: Facility, patient: Patient, visit: VisitSnapshot, last: dt.datetime
    ) -> None:
        survivor = self._mrn(patient, facility)
        if visit.mrn != survivor:
            when = last + dt.timedelta(hours=self._rng.randint(2, 30))
            self._event(EventKind.MERGE, when, facility, patient, None, prior_mrn=visit.mrn)

    def _post(
        self,
        facility: Facility,
        patient: Patient,
        visit: VisitSnapshot,
        when: dt.datetime,
        lines: tuple[ChargeLine, ...],
        **payload: object,
    ) -> dt.datetime:
        """A DFT; maybe a later credit of one of its lines. Returns the last posting time."""
        self._event(EventKind.CHARGES, when, facility, patient, visit, charges=lines, **payload)
        if lines and self._chance(self._config.rates.charge_credit):
            when = when + dt.timedelta(hours=self._rng.randint(4, 60))
            credit = self._charges.credit(self._rng.choice(lines))
            self._event(EventKind.CHARGES, when, facility, patient, visit, charges=(credit,))
        return when

    def _book(
        self, facility: Facility, patient: Patient, when: dt.datetime, appointment: Appointment
    ) -> Appointment | None:
        """SIU S12, maybe S13/S14; None when the booking ends in an S15 cancellation."""
        rng, rates = self._rng, self._config.rates
        booked = when - dt.timedelta(days=rng.randint(2, 21), minutes=rng.randrange(600))
        self._event(EventKind.BOOK, booked, facility, patient, None, appointment=appointment)
        step = booked
        if self._chance(rates.reschedule):
            step += dt.timedelta(hours=rng.randint(1, 24))
            shift = dt.timedelta(minutes=rng.choice((-60, -30, 30, 60, 90)))
            appointment = replace(appointment, start=appointment.start + shift)
            self._event(
                EventKind.RESCHEDULE, step, facility, patient, None, appointment=appointment
            )
        if self._chance(rates.modify_appointment):
            step += dt.timedelta(hours=rng.randint(1, 24))
            appointment = replace(appointment, minutes=appointment.minutes + 15)
            self._event(EventKind.MODIFY, step, facility, patient, None, appointment=appointment)
        if self._chance(rates.cancel_appointment):
            step += dt.timedelta(hours=rng.randint(1, 24))
            cancelled = replace(appointment, status="Cancelled")
            self._event(
                EventKind.CANCEL_BOOKING, step, facility, patient, None, appointment=cancelled
            )
            return None
        return appointment

    def _appointment(
        self,
        location: Location,
        provider: Provider,
        start: dt.datetime,
        minutes: int,
        code: str,
        text: str,
    ) -> Appointment:
        number = next(self._order_ids)
        return Appointment(
            placer_id=f"{number}",
            filler_id=f"{number + 5000000}",
            start=start,
            minutes=minutes,
            service_code=code,
            service_text=text,
            location=location,
            provider=provider,
            reason=text,
            status="Booked",
        )

    def _professional(
        self,
        patient: Patient,
        visit: VisitSnapshot,
        end: dt.datetime,
        lines: tuple[ChargeLine, ...],
    ) -> None:
        group = self._system.physician_group
        location = Location(group.units[0], group.units[0].rooms[0], "")
        number = next(self._visit_ids)
        pro_visit = replace(
            visit,
            visit_number=f"PG{number}",
            account_number=f"PG{number}",
            mrn=patient.practice_chart,
            location=location,
            prior_location=None,
            hospital_visit_number=visit.visit_number,
        )
        when = end + dt.timedelta(hours=self._rng.randint(12, 72))
        self._post(group, patient, pro_visit, when, lines)

    def _hospital(self) -> Facility:
        return self._system.hospital_a if self._chance(0.7) else self._system.hospital_b

    def _order(
        self,
        facility: Facility,
        patient: Patient,
        visit: VisitSnapshot | None,
        when: dt.datetime,
        ordering: Provider,
        code: str,
        text: str,
        diagnosis: cdm.Diagnosis | None = None,
    ) -> None:
        dx = diagnosis or (visit.diagnoses[0] if visit is not None else cdm.CARDIAC_DIAGNOSES[0])
        order = Order(
            control="NW",
            placer_number=str(next(self._order_ids)),
            code=code,
            text=text,
            ordering=ordering,
            requested_time=when,
            diagnosis=dx,
        )
        self._event(EventKind.ORDER, when, facility, patient, visit, order=order)


def replace(obj: _S, **changes: object) -> _S:
    """A copy of the struct ``obj`` with ``changes`` applied."""
    return msgspec.structs.replace(obj, **changes)
