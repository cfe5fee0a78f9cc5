"""Encounter lifecycles: the ordered clinical events of each simulated visit.

Every encounter is simulated on its own timeline (booking, registration or admission, orders,
transfers, updates, procedures, charges, discharge, cancellations, merges); the timelines are then
merged by time. Lifecycles are coherent by construction: nothing follows an A11, a DFT only refers
to a visit already registered, an A03 follows its A01/A04, a retired MRN is never used after its A40.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from careweave.sandbox.ehr import chargemaster as cdm
from careweave.sandbox.ehr.events import (
    ClinicalEvent,
    EventKind,
)
from careweave.sandbox.ehr.organization import (
    Specialty,
    UnitKind,
)
from careweave.sandbox.ehr.population import Patient
from careweave.sandbox.ehr.timeline import LOCAL_ZONE, MINUTE, TimelineBuilder, replace


class Simulation(TimelineBuilder):
    """Turns a configuration into a time-ordered list of clinical events."""

    def run(self) -> list[ClinicalEvent]:
        """Simulate every encounter and return all events in time order."""
        config = self._config
        mix = config.mix
        kinds: list[tuple[Callable[[Patient, dt.datetime], None], float]] = [
            (self._clinic_visit, mix.clinic_visit),
            (self._ed_visit, mix.ed_visit),
            (self._inpatient_stay, mix.inpatient_stay),
            (self._cath_case, mix.cath_lab_case),
            (self._device_case, mix.device_implant),
        ]
        runners = [k for k, _ in kinds]
        weights = [w for _, w in kinds]
        for day in range(config.days):
            date = config.start_date + dt.timedelta(days=day)
            for _ in range(config.encounters_per_day):
                runner = self._rng.choices(runners, weights=weights)[0]
                patient = self._rng.choice(self._patients)
                minute = self._rng.randrange(6 * 60, 20 * 60)
                start = dt.datetime.combine(date, dt.time(minute // 60, minute % 60), LOCAL_ZONE)
                runner(patient, start + dt.timedelta(seconds=self._rng.randrange(60)))
        self._events.sort(key=lambda e: (e[0], e[1]))
        return [e for _, _, e in self._events]

    # -- encounter kinds --------------------------------------------------------------------

    def _clinic_visit(self, patient: Patient, start: dt.datetime) -> None:
        rng, system = self._rng, self._system
        facility = system.clinics
        specialty = rng.choice((Specialty.INTERVENTIONAL_CARDIOLOGY, Specialty.PRIMARY_CARE))
        provider = self._provider(specialty)
        location = self._location(facility, UnitKind.CLINIC)
        appointment = self._appointment(location, provider, start, 20, "OFFICE", "OFFICE VISIT")
        booked = self._book(facility, patient, start, appointment)
        if booked is None:
            return
        arrival = booked.start - dt.timedelta(minutes=rng.randint(5, 20))
        dx = self._diagnoses(cdm.AMBULATORY_DIAGNOSES)
        visit = self._new_visit(
            facility,
            patient,
            "O",
            location,
            provider,
            arrival,
            dx,
            service="CAR" if specialty is not Specialty.PRIMARY_CARE else "FM",
        )
        self._event(EventKind.REGISTER, arrival, facility, patient, visit)
        if self._chance(self._config.rates.cancel_admit):
            self._event(EventKind.CANCEL_ADMIT, arrival + 7 * MINUTE, facility, patient, visit)
            return
        self._maybe_update(facility, patient, visit, arrival + 12 * MINUTE)
        end = booked.start + dt.timedelta(minutes=booked.minutes + rng.randint(0, 25))
        visit = replace(visit, discharge_time=end)
        self._event(EventKind.DISCHARGE, end, facility, patient, visit)
        unit = location.unit
        lines = [
            self._charges.line(
                cdm.CHARGES["51000463"], booked.start, unit, performed_by=provider, diagnoses=dx
            )
        ]
        if self._chance(0.4):
            lines.append(
                self._charges.line(
                    cdm.CHARGES["73000005"],
                    booked.start,
                    unit,
                    performed_by=provider,
                    ordered_by=provider,
                    diagnoses=dx,
                )
            )
        last = self._post(
            facility, patient, visit, end + dt.timedelta(hours=rng.randint(1, 20)), tuple(lines)
        )
        code = "PG99214" if len(dx) > 2 else "PG99213"
        group_unit = self._system.physician_group.units[0]
        pro = self._charges.line(
            cdm.CHARGES[code], booked.start, group_unit, performed_by=provider, diagnoses=dx
        )
        self._professional(patient, visit, end, (pro,))
        self._maybe_merge(facility, patient, visit, last)

    def _ed_visit(self, patient: Patient, start: dt.datetime) -> None:
        rng = self._rng
        facility = self._hospital()
        physician = self._provider(Specialty.EMERGENCY)
        dx = self._diagnoses(cdm.ED_DIAGNOSES + cdm.CARDIAC_DIAGNOSES[4:])
        location = self._location(facility, UnitKind.EMERGENCY)
        visit = self._new_visit(
            facility,
            patient,
            "E",
            location,
            physician,
            start,
            dx,
            service="EMR",
            admission_type="E",
        )
        self._event(EventKind.REGISTER, start, facility, patient, visit)
        if self._chance(self._config.rates.cancel_admit):
            self._event(EventKind.CANCEL_ADMIT, start + 9 * MINUTE, facility, patient, visit)
            return
        self._order(
            facility,
            patient,
            visit,
            start + dt.timedelta(minutes=rng.randint(5, 30)),
            physician,
            "LAB1",
            "TROPONIN AND CMP",
        )
        self._maybe_update(facility, patient, visit, start + dt.timedelta(minutes=40))
        end = start + dt.timedelta(minutes=rng.randint(120, 420))
        visit = replace(visit, discharge_time=end)
        self._event(EventKind.DISCHARGE, end, facility, patient, visit)
        unit = location.unit
        lines = [
            self._charges.line(
                cdm.CHARGES["45000004"], start, unit, performed_by=physician, diagnoses=dx
            )
        ]
        lines += [
            self._charges.line(
                cdm.CHARGES[code], start + 20 * MINUTE, unit, ordered_by=physician, diagnoses=dx
            )
            for code in cdm.LAB_PANEL
        ]
        last = self._post(
            facility, patient, visit, end + dt.timedelta(hours=rng.randint(1, 8)), tuple(lines)
        )
        self._maybe_merge(facility, patient, visit, last)

    def _inpatient_stay(self, patient: Patient, start: dt.datetime) -> None:
        rng, rates = self._rng, self._config.rates
        facility = self._hospital()
        hospitalist = self._provider(Specialty.HOSPITALIST)
        critical = self._chance(0.25)
        location = self._location(
            facility, UnitKind.CRITICAL_CARE if critical else UnitKind.MED_SURG
        )
        dx = self._diagnoses(cdm.MEDICAL_DIAGNOSES)
        visit = self._new_visit(
            facility,
            patient,
            "I",
            location,
            hospitalist,
            start,
            dx,
            service="MED",
            admission_type=rng.choice("EU"),
            allow_duplicate=False,
        )
        self._event(EventKind.ADMIT, start, facility, patient, visit)
        if self._chance(rates.cancel_admit):
            self._event(EventKind.CANCEL_ADMIT, start + 23 * MINUTE, facility, patient, visit)
            return
        self._order(
            facility, patient, visit, start + 35 * MINUTE, hospitalist, "LAB1", "TROPONIN AND CMP"
        )
        self._maybe_update(facility, patient, visit, start + dt.timedelta(hours=2))
        nights = rng.randint(1, 5)
        discharge = dt.datetime.combine(
            start.date() + dt.timedelta(days=nights),
            dt.time(rng.randint(9, 16), rng.randrange(60)),
            LOCAL_ZONE,
        )
        current = visit
        transferred_at: dt.datetime | None = None
        if self._chance(rates.transfer) and nights > 1:
            when = start + dt.timedelta(hours=rng.randint(6, 20))
            kind = UnitKind.MED_SURG if critical else UnitKind.CRITICAL_CARE
            moved = replace(
                current, location=self._location(facility, kind), prior_location=current.location
            )
            self._event(EventKind.TRANSFER, when, facility, patient, moved)
            if self._chance(rates.cancel_transfer):
                self._event(EventKind.CANCEL_TRANSFER, when + 17 * MINUTE, facility, patient, moved)
            else:
                current, transferred_at = replace(moved, prior_location=None), when
        midnights = [
            dt.datetime.combine(start.date() + dt.timedelta(days=n), dt.time(23, 59), LOCAL_ZONE)
            for n in range(nights)
        ]
        # Room and board is billed at each midnight for the unit the patient occupied then.
        units_by_night = [
            current.location.unit if transferred_at and transferred_at <= m else location.unit
            for m in midnights
        ]
        if self._chance(rates.cancel_discharge):
            early = replace(current, discharge_time=discharge - dt.timedelta(hours=3))
            self._event(
                EventKind.DISCHARGE, early.discharge_time or discharge, facility, patient, early
            )
            self._event(
                EventKind.CANCEL_DISCHARGE,
                discharge - dt.timedelta(minutes=110),
                facility,
                patient,
                replace(current, prior_location=None),
            )
        final = replace(current, discharge_time=discharge, prior_location=None)
        self._event(EventKind.DISCHARGE, discharge, facility, patient, final)
        lines = [
            self._charges.line(
                cdm.CHARGES["21000001" if unit.kind is UnitKind.CRITICAL_CARE else "11000001"],
                midnight,
                unit,
                performed_by=hospitalist,
                diagnoses=dx,
            )
            for midnight, unit in zip(midnights, units_by_night, strict=True)
        ]
        lines += [
            self._charges.line(
                cdm.CHARGES[code],
                start + 40 * MINUTE,
                location.unit,
                ordered_by=hospitalist,
                diagnoses=dx,
            )
            for code in cdm.LAB_PANEL[:3]
        ]
        self._post(
            facility,
            patient,
            final,
            discharge + dt.timedelta(hours=rng.randint(2, 30)),
            tuple(lines),
        )

    def _cath_case(self, patient: Patient, start: dt.datetime) -> None:
        kind = cdm.CaseKind.PCI_DES if self._chance(0.45) else cdm.CaseKind.DIAGNOSTIC_CATH
        self._procedure_case(patient, start, kind, Specialty.INTERVENTIONAL_CARDIOLOGY)

    def _device_case(self, patient: Patient, start: dt.datetime) -> None:
        kind = cdm.CaseKind.PACEMAKER_DUAL if self._chance(0.7) else cdm.CaseKind.PACEMAKER_SINGLE
        self._procedure_case(patient, start, kind, Specialty.ELECTROPHYSIOLOGY)

    def _procedure_case(
        self, patient: Patient, start: dt.datetime, kind: cdm.CaseKind, specialty: Specialty
    ) -> None:
        rng, rates = self._rng, self._config.rates
        template = cdm.PROCEDURES[kind]
        facility = self._system.hospital_a if self._chance(0.75) else self._system.hospital_b
        surgeon = self._provider(specialty)
        room = self._location(facility, UnitKind.CATH_LAB)
        slot = start.replace(hour=min(start.hour, 15))
        appointment = self._appointment(
            room,
            surgeon,
            slot,
            template.minutes,
            template.charge.charge_code,
            template.charge.description.removeprefix("HC "),
        )
        booked = self._book(facility, patient, slot, appointment)
        dx = self._diagnoses(template.diagnoses)
        if booked is None:
            return
        order_time = slot - dt.timedelta(days=1, minutes=rng.randrange(600))
        self._order(
            facility,
            patient,
            None,
            order_time,
            surgeon,
            template.charge.procedure_code,
            template.charge.description.removeprefix("HC "),
            diagnosis=dx[0],
        )
        arrival = booked.start - dt.timedelta(minutes=rng.randint(60, 120))
        inpatient = kind in (
            cdm.CaseKind.PACEMAKER_DUAL,
            cdm.CaseKind.PACEMAKER_SINGLE,
        ) and self._chance(0.5)
        visit = self._new_visit(
            facility,
            patient,
            "I" if inpatient else "O",
            room,
            surgeon,
            arrival,
            dx,
            service="CAR",
            admission_type="EL",
        )
        self._event(
            EventKind.ADMIT if inpatient else EventKind.REGISTER, arrival, facility, patient, visit
        )
        if self._chance(rates.cancel_admit):
            self._event(EventKind.CANCEL_ADMIT, arrival + 14 * MINUTE, facility, patient, visit)
            return
        self._maybe_update(facility, patient, visit, arrival + 30 * MINUTE)
        procedure, lines = self._charges.procedure_case(
            template, self._catalog, booked.start, room.unit, surgeon, dx
        )
        end = booked.start + dt.timedelta(minutes=procedure.minutes)
        discharge = end + dt.timedelta(
            hours=rng.randint(20, 26) if inpatient else rng.randint(3, 6)
        )
        final = replace(visit, discharge_time=discharge)
        self._event(EventKind.DISCHARGE, discharge, facility, patient, final)
        posted = end + dt.timedelta(minutes=rng.randint(30, 240))
        last = self._post(facility, patient, visit, posted, lines, procedure=procedure)
        pro = self._charges.professional(
            lines[0], self._system.physician_group.units[0], booked.start
        )
        self._professional(patient, visit, end, (pro,))
        self._maybe_merge(facility, patient, visit, max(last, discharge))
