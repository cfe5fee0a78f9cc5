"""FHIR R4 -> canonical events: the same events HL7 v2 produces, from resources.

=====================  =============================================================
Encounter              by status: planned -> PatientRegistered(preadmission);
                       arrived / in-progress -> PatientAdmitted (inpatient class) or
                       PatientRegistered; finished -> PatientDischarged;
                       cancelled / entered-in-error -> VisitCancelled(admission)
Procedure              ProcedureDocumented (not for not-done / entered-in-error)
ChargeItem             ChargeCaptured (a negative quantity is a credit)
DeviceUseStatement     SupplyUsed (implanted), the Device read for UDI, lot, serial
SupplyDelivery         SupplyUsed when delivered to a patient
Account                AccountUpdated (``added`` when the entry is a POST)
Patient                PatientRegistered (POST) / PatientUpdated, only when nothing
                       else in the Bundle is about that patient
=====================  =============================================================

References are resolved inside the Bundle; a resource whose subject is not in it is keyed by
the reference itself.
"""

from __future__ import annotations

import decimal

from careweave.codecs.fhir.administration import Location, Patient, Practitioner
from careweave.codecs.fhir.bundle import Bundle, ResourceIndex
from careweave.codecs.fhir.care import Device, DeviceUseStatement, Procedure
from careweave.codecs.fhir.care import Encounter as FhirEncounter
from careweave.codecs.fhir.datatypes import Reference
from careweave.codecs.fhir.decode import AnyResource, bundle_entries
from careweave.codecs.fhir.financial import Account, ChargeItem, SupplyDelivery
from careweave.exceptions import MappingError
from careweave.mappings import fhir_values as fv
from careweave.model.base import BusinessEvent
from careweave.model.care import Code, Encounter, EncounterClass, Provider
from careweave.model.care import Location as CareLocation
from careweave.model.charges import AccountAction, AccountUpdated, ChargeCaptured, TransactionType
from careweave.model.clinical import (
    CancelledAction,
    PatientAdmitted,
    PatientDischarged,
    PatientRegistered,
    PatientUpdated,
    ProcedureDocumented,
    VisitCancelled,
    business_key,
)
from careweave.model.identity import Identifier, PatientIdentity
from careweave.model.supplies import SupplyUsed


class _Mapper:
    def __init__(self, index: ResourceIndex, source_id: str | None) -> None:
        self.index = index
        self.source_id = source_id
        self.patients_used: set[str] = set()

    def patient(self, ref: Reference | None, where: str) -> PatientIdentity:
        if ref is None:
            raise MappingError(f"{where}: no subject/patient reference")
        found = self.index.resolve(ref.reference, Patient)
        if found is not None:
            self.patients_used.add(f"Patient/{found.id}")
            return fv.patient_identity(found)
        ident = fv.identifier(ref.identifier)
        if ident is None and not ref.reference:
            raise MappingError(f"{where}: the patient reference is empty")
        return PatientIdentity(identifiers=(ident or Identifier(value=str(ref.reference)),))

    def practitioner(self, ref: Reference | None) -> Provider | None:
        found = self.index.resolve(ref.reference if ref else None, Practitioner)
        return fv.provider(found) if found else None

    def encounter(self, resource: FhirEncounter | None) -> Encounter | None:
        if resource is None:
            return None
        where = f"Encounter/{resource.id}"
        idents = [i for i in map(fv.identifier, resource.identifier) if i is not None]
        visit = next((i for i in idents if i.type == "VN"), idents[0] if idents else None)
        if visit is None and resource.id:
            visit = Identifier(value=resource.id, system="urn:fhir:Encounter")
        roles: dict[str, Provider] = {}
        for part in resource.participant:
            role = next((c.code for t in part.type for c in t.coding if c.code), None)
            provider = self.practitioner(part.individual)
            if role and provider and role not in roles:
                roles[role] = provider
        location = None
        if resource.location:
            place = self.index.resolve(resource.location[0].location.reference, Location)
            if place is not None:
                location = CareLocation(point_of_care=place.name, description=place.description)
        period = resource.period
        return Encounter(
            visit_number=visit,
            encounter_class=fv.ACT_CODES.get(resource.class_.code or "", EncounterClass.UNKNOWN),
            location=location,
            attending=roles.get("ATND"),
            admitting=roles.get("ADM"),
            admitted_at=fv.parse_datetime(period.start if period else None, f"{where}.period"),
            discharged_at=fv.parse_datetime(period.end if period else None, f"{where}.period"),
        )

    def base(self, patient: PatientIdentity, encounter: Encounter | None) -> dict[str, object]:
        return {"patient": patient, "encounter": encounter, "source_message_id": self.source_id}

    def scope(self, patient: PatientIdentity, encounter: Encounter | None) -> str:
        return (encounter.key() if encounter else None) or f"patient={patient.key()}"

    def from_encounter(self, r: FhirEncounter) -> BusinessEvent | None:
        patient = self.patient(r.subject, f"Encounter/{r.id}")
        enc = self.encounter(r)
        assert enc is not None
        base = self.base(patient, enc)
        visit, who = enc.key(), patient.key()
        occurred = enc.admitted_at
        if r.status == "planned":
            return PatientRegistered(
                idempotency_key=business_key("register", who, visit),
                preadmission=True,
                occurred_at=occurred,
                **base,  # type: ignore[arg-type]
            )
        if r.status in {"arrived", "in-progress", "triaged", "onleave"}:
            if enc.encounter_class is EncounterClass.INPATIENT:
                key = business_key("admit", who, visit)
                return PatientAdmitted(idempotency_key=key, occurred_at=occurred, **base)  # type: ignore[arg-type]
            key = business_key("register", who, visit)
            return PatientRegistered(idempotency_key=key, occurred_at=occurred, **base)  # type: ignore[arg-type]
        if r.status == "finished":
            key = business_key("discharge", who, visit)
            return PatientDischarged(idempotency_key=key, occurred_at=enc.discharged_at, **base)  # type: ignore[arg-type]
        if r.status in {"cancelled", "entered-in-error"}:
            return VisitCancelled(
                idempotency_key=business_key("cancel-admission", who, visit, r.status),
                cancelled=CancelledAction.ADMISSION,
                **base,  # type: ignore[arg-type]
            )
        return None

    def context_of(self, ref: Reference | None) -> Encounter | None:
        return self.encounter(self.index.resolve(ref.reference if ref else None, FhirEncounter))

    def from_procedure(self, r: Procedure) -> BusinessEvent | None:
        where = f"Procedure/{r.id}"
        code = fv.code(r.code)
        if r.status in {"not-done", "entered-in-error"} or code is None:
            return None
        patient, enc = self.patient(r.subject, where), self.context_of(r.encounter)
        ident = next((i.value for i in r.identifier if i.value), None) or r.id or "1"
        start = r.performed_date_time or (r.performed_period.start if r.performed_period else None)
        end = r.performed_period.end if r.performed_period else None
        performers = [p for x in r.performer if (p := self.practitioner(x.actor)) is not None]
        performed_at = fv.parse_datetime(start, f"{where}.performed")
        return ProcedureDocumented(
            idempotency_key=business_key("procedure", self.scope(patient, enc), ident, code.code),
            occurred_at=performed_at,
            procedure_id=ident,
            code=code,
            performed_at=performed_at,
            performed_end=fv.parse_datetime(end, f"{where}.performedPeriod"),
            performers=tuple(performers),
            status=r.status,
            **self.base(patient, enc),  # type: ignore[arg-type]
        )

    def from_charge(self, r: ChargeItem) -> BusinessEvent | None:
        where = f"ChargeItem/{r.id}"
        code = fv.code(r.code)
        if code is None:
            raise MappingError(f"{where}.code: the charge has no code")
        patient, enc = self.patient(r.subject, where), self.context_of(r.context)
        line = next((i.value for i in r.identifier if i.value), None) or r.id or "1"
        quantity = r.quantity.value if r.quantity and r.quantity.value is not None else None
        kind = (
            TransactionType.CREDIT
            if quantity is not None and quantity < 0
            else TransactionType.CHARGE
        )
        performer = next(
            (p for x in r.performer if (p := self.practitioner(x.actor)) is not None), None
        )
        occurred = r.occurrence_date_time or (
            r.occurrence_period.start if r.occurrence_period else None
        )
        return ChargeCaptured(
            idempotency_key=business_key(kind.value, self.scope(patient, enc), line, code.code),
            occurred_at=fv.parse_datetime(r.entered_date or occurred, f"{where}.enteredDate"),
            transaction_id=line,
            transaction_type=kind,
            transaction_code=code,
            quantity=abs(quantity) if quantity is not None else decimal.Decimal(1),
            extended_amount=fv.money(r.price_override),
            performing_provider=performer,
            diagnoses=tuple(c for x in r.reason if (c := fv.code(x)) is not None),
            service_date=fv.parse_date(occurred, f"{where}.occurrence"),
            item_number=fv.code(r.product_codeable_concept),
            **self.base(patient, enc),  # type: ignore[arg-type]
        )

    def device_supply(
        self, device: Device | None, fallback: Code | None, line: str, **facts: object
    ) -> tuple[Code, dict[str, object]]:
        extra: dict[str, object] = dict(facts)
        item = fallback
        if device is not None:
            udi = device.udi_carrier[0] if device.udi_carrier else None
            gs1 = udi is not None and "gs1" in (udi.issuer or "").lower()
            extra |= {
                "lot_number": device.lot_number,
                "serial_number": device.serial_number,
                "manufacturer": device.manufacturer,
                "catalog_number": device.model_number or device.part_number,
                "udi": (udi.carrier_h_r_f or udi.device_identifier) if udi else None,
                "gtin": udi.device_identifier if udi and gs1 else None,
                "description": device.device_name[0].name if device.device_name else None,
            }
            item = fv.code(device.type) or item
            if item is None and udi and udi.device_identifier:
                item = Code(code=udi.device_identifier, system=udi.issuer)
        if item is None:
            raise MappingError(f"{line}: the supply has no item code")
        return item, extra

    def from_device_use(self, r: DeviceUseStatement) -> BusinessEvent | None:
        where = f"DeviceUseStatement/{r.id}"
        patient = self.patient(r.subject, where)
        device = self.index.resolve(r.device.reference, Device)
        line = r.id or "1"
        # An unresolved device is kept by its reference: the item crosswalk will park it.
        fallback = (
            Code(code=r.device.reference, system="urn:fhir:reference")
            if r.device.reference
            else None
        )
        item, extra = self.device_supply(device, fallback, where)
        when = r.timing_date_time or (r.timing_period.start if r.timing_period else None)
        used_at = fv.parse_datetime(when or r.recorded_on, f"{where}.timing")
        return SupplyUsed(
            idempotency_key=business_key("supply", self.scope(patient, None), line, item.code),
            line_id=line,
            item=item,
            implanted=True,
            used_at=used_at,
            occurred_at=used_at,
            **extra,  # type: ignore[arg-type]
            **self.base(patient, None),  # type: ignore[arg-type]
        )

    def from_supply_delivery(self, r: SupplyDelivery) -> BusinessEvent | None:
        if r.patient is None or r.status not in {None, "completed"}:
            return None
        where = f"SupplyDelivery/{r.id}"
        patient = self.patient(r.patient, where)
        supplied = r.supplied_item
        device = self.index.resolve(
            supplied.item_reference.reference if supplied and supplied.item_reference else None,
            Device,
        )
        fallback = fv.code(supplied.item_codeable_concept) if supplied else None
        item, extra = self.device_supply(device, fallback, where)
        qty = supplied.quantity.value if supplied and supplied.quantity else None
        line = next((i.value for i in r.identifier if i.value), None) or r.id or "1"
        used_at = fv.parse_datetime(r.occurrence_date_time, f"{where}.occurrenceDateTime")
        return SupplyUsed(
            idempotency_key=business_key("supply", self.scope(patient, None), line, item.code),
            line_id=line,
            item=item,
            quantity=qty if qty is not None else decimal.Decimal(1),
            unit=supplied.quantity.unit if supplied and supplied.quantity else None,
            used_at=used_at,
            occurred_at=used_at,
            **extra,  # type: ignore[arg-type]
            **self.base(patient, None),  # type: ignore[arg-type]
        )

    def from_account(self, r: Account, method: str | None) -> BusinessEvent | None:
        where = f"Account/{r.id}"
        if not r.subject:
            return None
        patient = self.patient(r.subject[0], where)
        number = next((i for i in map(fv.identifier, r.identifier) if i is not None), None)
        action = AccountAction.ADDED if method == "POST" else AccountAction.UPDATED
        return AccountUpdated(
            idempotency_key=business_key(
                f"account-{action}", number.key() if number else patient.key(), r.id
            ),
            action=action,
            account_number=number,
            status=r.status,
            **self.base(patient, None),  # type: ignore[arg-type]
        )


def map_fhir(document: AnyResource) -> list[BusinessEvent]:
    """The canonical events a FHIR resource or Bundle stands for, in entry order."""
    index = ResourceIndex()
    entries: list[tuple[AnyResource, str | None]] = []
    if isinstance(document, Bundle):
        methods = [e.request.method if e.request else None for e in document.entry if e.resource]
        for (full_url, resource), method in zip(bundle_entries(document), methods, strict=True):
            index.add(resource, full_url=full_url)
            entries.append((resource, method))
    else:
        index.add(document)
        entries.append((document, None))
    mapper = _Mapper(index, document.id if isinstance(document, Bundle) else None)
    events: list[BusinessEvent] = []
    patients: list[tuple[Patient, str | None]] = []
    for resource, method in entries:
        event: BusinessEvent | None = None
        if isinstance(resource, FhirEncounter):
            event = mapper.from_encounter(resource)
        elif isinstance(resource, Procedure):
            event = mapper.from_procedure(resource)
        elif isinstance(resource, ChargeItem):
            event = mapper.from_charge(resource)
        elif isinstance(resource, DeviceUseStatement):
            event = mapper.from_device_use(resource)
        elif isinstance(resource, SupplyDelivery):
            event = mapper.from_supply_delivery(resource)
        elif isinstance(resource, Account):
            event = mapper.from_account(resource, method)
        elif isinstance(resource, Patient):
            patients.append((resource, method))
        if event is not None:
            events.append(event)
    for patient, method in patients:
        if f"Patient/{patient.id}" in mapper.patients_used:
            continue
        identity = fv.patient_identity(patient)
        cls = PatientRegistered if method == "POST" else PatientUpdated
        events.append(
            cls(
                idempotency_key=business_key(cls.__name__.lower(), identity.key(), patient.id),
                patient=identity,
                source_message_id=mapper.source_id,
            )
        )
    return events
