"""patient-to-billing: captured charges go to the revenue-cycle platform, or to revenue integrity.

For each ``ChargeCaptured``: the charge line is completed from the billing references (entity,
claim form, revenue code, place of service, NPIs), validated, then recorded in the charge ledger
(duplicates, credits netted against their charge). A valid charge or credit is an effect to the
``revenue-cycle`` destination with the charge's business identity as its line key, preceded (once
per encounter) by the encounter's registration with patient and coverage. An invalid, duplicate or
unmatched line is parked on an exception case owned by revenue integrity; the other lines of the
message go on. A ``VisitCancelled`` credits every open charge of the visit; a
``PatientDischarged`` marks the encounter discharged, which lets its account be billed.

Every routed line is recorded as a derived :class:`ChargeRouted` event with its charge lag, and a
late charge (captured after the lag policy allows) is flagged on it.

The charge ledger (:class:`~careweave.revenue.ChargeBook`, per encounter) and the registrations
(:class:`~careweave.flows.billing_encounters.BillingEncounters`) are business state in the store,
read and changed inside the commit of the message: a duplicate or a credit is recognised after a
restart and across processes sharing PostgreSQL, and a replay or re-delivery of a line gets its
first outcome back (the same effect key), never a second position.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

import msgspec

from careweave.engine.clock import Clock, SystemClock
from careweave.exceptions import ValidationError
from careweave.flows.base import BaseFlow
from careweave.flows.billing_encounters import BillingEncounters
from careweave.flows.rcm_payloads import demographics, line_key, patient_id, rcm_charge_line
from careweave.flows.services import FlowServices
from careweave.masterdata.billing import BillingReferences, CoverageTable
from careweave.masterdata.payers import PayerDirectory
from careweave.model.base import BusinessEvent
from careweave.model.charges import ChargeCaptured
from careweave.model.clinical import (
    CancelledAction,
    ClinicalEvent,
    PatientAdmitted,
    PatientDischarged,
    PatientRegistered,
    PatientUpdated,
    VisitCancelled,
)
from careweave.model.exceptions_case import ExceptionCaseDraft
from careweave.model.flow import RCM_DESTINATION, FlowOutput
from careweave.model.rcm import (
    CHARGE_CONTENT_TYPE,
    ENCOUNTER_CONTENT_TYPE,
    RcmChargeLine,
    RcmCoverage,
    RcmEncounter,
    RcmEncounterUpdate,
)
from careweave.model.records import NewCase
from careweave.model.revenue import ChargeLine, ClaimForm
from careweave.revenue import (
    REVENUE_INTEGRITY_TEAM,
    ChargeBook,
    ChargeValidationConfig,
    ChargeValidator,
    Icd10CmCodeSet,
    LedgerOutcomeKind,
    charge_line_from_event,
    ledger_case,
    validation_case,
)
from careweave.revenue.coverage import claim_coverage

DESTINATION = RCM_DESTINATION


class ChargeRouted(BusinessEvent, frozen=True, kw_only=True):
    """A charge or credit handed to the revenue-cycle platform, with its lag."""

    line_key: str
    encounter_id: str
    entity: str
    transaction: str
    amount: Decimal
    """Signed: negative for a credit."""
    service_date: dt.date
    lag_days: int | None
    late: bool
    warnings: tuple[str, ...] = ()


def _case(draft: ExceptionCaseDraft, sla_hours: float = 24.0) -> NewCase:
    return NewCase(
        case_key=draft.case_key,
        reason_code=draft.reason_code,
        owning_team=draft.owning_team,
        summary=draft.summary,
        suggested_fix=draft.suggested_fix,
        payload_reference=draft.payload_reference,
        details=draft.details,
        sla_hours=sla_hours,
    )


class PatientToBillingFlow(BaseFlow):
    """Validates captured charges and sends them, with their encounters, to the RCM platform."""

    name: ClassVar[str] = "patient-to-billing"
    handles: ClassVar[tuple[type[BusinessEvent], ...]] = (
        ChargeCaptured,
        VisitCancelled,
        PatientDischarged,
        PatientAdmitted,
        PatientRegistered,
        PatientUpdated,
    )

    def __init__(
        self,
        references: BillingReferences,
        coverage: CoverageTable,
        validator: ChargeValidator,
        *,
        payers: PayerDirectory | None = None,
        clock: Clock | None = None,
        destination: str = DESTINATION,
    ) -> None:
        self.references = references
        self.coverage = coverage
        self.payers = payers
        self.validator = validator
        self.destination = destination
        self.clock = clock or SystemClock()

    def warm_up(self) -> None:
        """Load the charge validator's code lists."""
        self.validator.warm_up()

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """Route one charge, cancellation or discharge."""
        if isinstance(event, ChargeCaptured):
            self._charge(event, out)
        elif isinstance(event, VisitCancelled):
            self._cancel(event, out)
        elif isinstance(event, PatientDischarged):
            self._discharge(event, out)
        elif isinstance(event, (PatientAdmitted, PatientRegistered, PatientUpdated)):
            self._remember_coverage(event, out)

    def _charge(self, event: ChargeCaptured, out: FlowOutput) -> None:
        billing = self.references.facility(event.encounter)
        if billing is None:
            location = event.encounter.location if event.encounter else None
            facility = location.facility if location else None
            out.park(
                NewCase(
                    case_key=f"billing-facility:{facility or '-'}",
                    reason_code="UNKNOWN_FACILITY",
                    owning_team=REVENUE_INTEGRITY_TEAM,
                    summary=f"Charges from facility {facility!r}, which has no billing setup",
                    suggested_fix="Add the facility's legal entity and claim form to the references.",
                    payload_reference=f"charge:{event.transaction_id}",
                )
            )
            return
        try:
            line = self._line(event, billing.entity, billing.claim_form)
        except ValidationError as exc:
            out.park(
                NewCase(
                    case_key=f"charge-validation:{event.transaction_id}",
                    reason_code="UNBILLABLE_TRANSACTION",
                    owning_team=REVENUE_INTEGRITY_TEAM,
                    summary=f"Charge {event.transaction_id}: {exc}",
                    suggested_fix="Correct the transaction in the EHR and resend it.",
                    payload_reference=f"charge:{event.transaction_id}",
                )
            )
            return
        result = self.validator.validate(line)
        if (draft := validation_case(result)) is not None:
            out.park(_case(draft))
            return
        # One ledger per encounter and chargemaster item: two different items billed under one
        # HCPCS code (two balloon sizes, C1725) are two charges, not a duplicate, and a credit
        # reverses a charge of its own item.
        book, item = ChargeBook(out.state), event.transaction_code.code
        outcome = book.record(line, item)
        if (draft := ledger_case(outcome)) is not None:
            out.park(_case(draft))
            return
        reverses = ""
        if outcome.kind is LedgerOutcomeKind.CREDITED and outcome.original_line_id:
            reverses = line_key(line.encounter_id, outcome.original_line_id)
        elif outcome.kind is LedgerOutcomeKind.REDELIVERED and line.is_credit:
            original = book.reversed_by(line.encounter_id, item, line.line_id)
            reverses = line_key(line.encounter_id, original) if original else ""
        self._register(event, line, out)
        unit_price = event.unit_amount.amount if event.unit_amount is not None else None
        self._send(
            rcm_charge_line(
                line, patient_id(event.patient), unit_price=unit_price, reverses=reverses
            ),
            out,
        )
        lag = result.lag_days
        late = any(p.reason.value == "LATE_CHARGE" for p in result.warnings)
        out.emit(
            ChargeRouted(
                idempotency_key=f"routed:{line_key(line.encounter_id, line.line_id)}",
                occurred_at=event.occurred_at,
                source_message_id=event.source_message_id,
                line_key=line_key(line.encounter_id, line.line_id),
                encounter_id=line.encounter_id,
                entity=line.entity,
                transaction=line.transaction_type.value,
                amount=_signed_amount(line),
                service_date=line.service_date,
                lag_days=lag,
                late=late,
                warnings=tuple(f"{p.reason.value}: {p.message}" for p in result.warnings),
            )
        )

    def _line(self, event: ChargeCaptured, entity: str, form: ClaimForm) -> ChargeLine:
        line = charge_line_from_event(
            event,
            entity=entity,
            claim_form=form,
            place_of_service=self.references.place_of_service(event.encounter),
        )
        return msgspec.structs.replace(
            line,
            revenue_code=line.revenue_code
            or self.references.revenue_code(event.transaction_code.code),
            rendering_npi=self.references.npi(event.performing_provider),
            ordering_npi=self.references.npi(event.ordering_provider),
        )

    def _send(self, line: RcmChargeLine, out: FlowOutput) -> None:
        out.send(
            self.destination,
            f"rcm-charge:{line.line_key}",
            line,
            ordering_key=f"encounter:{line.encounter_id}",
            content_type=CHARGE_CONTENT_TYPE,
        )

    def _register(self, event: ClinicalEvent, line: ChargeLine, out: FlowOutput) -> None:
        encounter_id = line.encounter_id
        encounters = BillingEncounters(out.state)
        encounters.add_diagnoses(encounter_id, tuple(line.diagnosis_codes))
        if not encounters.register(encounter_id):
            return
        billing = self.references.facility(event.encounter)
        final = billing is not None and billing.final_on_charge
        self._put(event, encounter_id, "final" if final else "open", None, out)

    def _put(
        self,
        event: ClinicalEvent,
        encounter_id: str,
        status: str,
        discharged: dt.date | None,
        out: FlowOutput,
    ) -> None:
        refs, encounter = self.references, event.encounter
        billing = refs.facility(encounter)
        pid = patient_id(event.patient)
        admitted = encounter.admitted_at.date() if encounter and encounter.admitted_at else None
        update = RcmEncounter(
            patient_id=pid,
            status="discharged"
            if status == "discharged"
            else "final"
            if status == "final"
            else "open",
            patient=demographics(event.patient),
            coverage=self._coverage(event, encounter_id, pid, out),
            kind="institutional"
            if billing is not None and billing.claim_form is ClaimForm.INSTITUTIONAL
            else "professional",
            facility_code=refs.facility_code(encounter),
            entity=billing.entity if billing is not None else "",
            admitted=admitted,
            discharged=discharged,
            diagnoses=BillingEncounters(out.state).get(encounter_id).diagnoses,
        )
        out.send(
            self.destination,
            # Registration once per encounter; each discharge or reopening is its own update.
            f"rcm-encounter:{encounter_id}:registered"
            if status in ("open", "final")
            else f"rcm-encounter:{encounter_id}:{status}:{event.idempotency_key}",
            RcmEncounterUpdate(encounter_id=encounter_id, update=update),
            ordering_key=f"encounter:{encounter_id}",
            content_type=ENCOUNTER_CONTENT_TYPE,
        )

    def _message_coverage(self, event: ClinicalEvent) -> RcmCoverage | None:
        primary = event.encounter.primary_coverage() if event.encounter else None
        return claim_coverage(primary, self.payers) if primary is not None else None

    def _remember_coverage(self, event: ClinicalEvent, out: FlowOutput) -> None:
        """An ADT's insurance (IN1/IN2), kept for the visit's registration with the platform."""
        encounter_id = event.encounter.key() if event.encounter is not None else None
        if encounter_id and (coverage := self._message_coverage(event)) is not None:
            BillingEncounters(out.state).record_coverage(encounter_id, coverage)

    def _coverage(
        self, event: ClinicalEvent, encounter_id: str, pid: str, out: FlowOutput
    ) -> RcmCoverage | None:
        """The message's own insurance, else the visit's from its ADT, else the coverage table's."""
        if (found := self._message_coverage(event)) is not None:
            BillingEncounters(out.state).record_coverage(encounter_id, found)
            return found
        if (recorded := BillingEncounters(out.state).get(encounter_id).coverage) is not None:
            return recorded
        for candidate in (pid, *(i.value for i in event.patient.identifiers)):
            if (listed := self.coverage.coverage_for(candidate)) is not None:
                return listed
        return None

    def _discharge(self, event: PatientDischarged, out: FlowOutput) -> None:
        encounter_id = event.encounter.key() if event.encounter is not None else None
        if not encounter_id or self.references.facility(event.encounter) is None:
            return
        when = event.encounter.discharged_at if event.encounter else None
        when = when or event.occurred_at
        # A discharge registers the encounter too: a charge posted after it must not send an
        # "open" registration that would reopen the account.
        BillingEncounters(out.state).register(encounter_id)
        self._put(event, encounter_id, "discharged", when.date() if when else None, out)

    def _cancel(self, event: VisitCancelled, out: FlowOutput) -> None:
        encounter_id = event.encounter.key() if event.encounter is not None else None
        if not encounter_id:
            return
        if event.cancelled is CancelledAction.DISCHARGE:
            # A13: the patient is back in house; the account is open until the real discharge.
            if BillingEncounters(out.state).get(encounter_id).registered:
                self._put(event, encounter_id, "reopened", None, out)
            return
        if event.cancelled is not CancelledAction.ADMISSION:
            return
        at = event.occurred_at or self.clock.now()
        pid = patient_id(event.patient)
        for credit in ChargeBook(out.state).cancel_encounter(encounter_id, at):
            reverses = line_key(encounter_id, credit.reverses_line_id or "")
            self._send(rcm_charge_line(credit, pid, reverses=reverses), out)


def _signed_amount(line: ChargeLine) -> Decimal:
    amount = abs(line.amount) if line.amount is not None else Decimal(0)
    return -amount if line.is_credit else amount


def build_patient_to_billing(services: FlowServices) -> PatientToBillingFlow:
    """The flow, from the billing references and coverage table, with the optional validator."""
    name = PatientToBillingFlow.name
    validator = services.charge_validator or ChargeValidator(
        ChargeValidationConfig(), Icd10CmCodeSet(), services.clock
    )
    return PatientToBillingFlow(
        services.need(services.billing, "billing", name),
        services.coverage or CoverageTable(by_patient={}),
        validator,
        payers=services.payers,
        clock=services.clock,
        destination=services.rcm_destination,
    )
