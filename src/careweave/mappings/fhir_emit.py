"""Canonical -> FHIR R4: Patient, Encounter, Procedure and ChargeItem resources from events.

Used by the FHIR API. HL7 v2 coding-system names are turned into the FHIR system URIs
(``C4`` -> CPT, ``SCT`` -> SNOMED CT, ``I10`` -> ICD-10-CM...); an unknown name is kept as is.
"""

from __future__ import annotations

import datetime as dt

from careweave.codecs.fhir import administration as adm
from careweave.codecs.fhir import care
from careweave.codecs.fhir import datatypes as f
from careweave.codecs.fhir import financial as fin
from careweave.model.care import Code, Encounter, EncounterClass
from careweave.model.charges import ChargeCaptured, TransactionType
from careweave.model.clinical import ProcedureDocumented
from careweave.model.identity import Identifier, PatientIdentity, PersonName

CODE_SYSTEMS: dict[str, str] = {
    "C4": "http://www.ama-assn.org/go/cpt",
    "CPT": "http://www.ama-assn.org/go/cpt",
    "HCPCS": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "HC": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "SCT": "http://snomed.info/sct",
    "SNM": "http://snomed.info/sct",
    "I10": "http://hl7.org/fhir/sid/icd-10-cm",
    "I10C": "http://hl7.org/fhir/sid/icd-10-cm",
    "I10P": "http://www.cms.gov/Medicare/Coding/ICD10",
    "I9CDX": "http://hl7.org/fhir/sid/icd-9-cm",
    "LN": "http://loinc.org",
    "NDC": "http://hl7.org/fhir/sid/ndc",
}
"""HL7 v2 table 0396 coding-system names onto FHIR system URIs."""

ACT_CODES: dict[EncounterClass, tuple[str, str]] = {
    EncounterClass.INPATIENT: ("IMP", "inpatient encounter"),
    EncounterClass.OUTPATIENT: ("AMB", "ambulatory"),
    EncounterClass.EMERGENCY: ("EMER", "emergency"),
    EncounterClass.PREADMISSION: ("PRENC", "pre-admission"),
    EncounterClass.OBSERVATION: ("OBSENC", "observation encounter"),
    EncounterClass.HOME_HEALTH: ("HH", "home health"),
    EncounterClass.VIRTUAL: ("VR", "virtual"),
    EncounterClass.SHORT_STAY: ("SS", "short stay"),
    EncounterClass.RECURRING: ("AMB", "ambulatory"),
    EncounterClass.OBSTETRICS: ("IMP", "inpatient encounter"),
}
ACT_CODE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
IDENTIFIER_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203"
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"


def fhir_datetime(value: dt.datetime | None) -> str | None:
    """A FHIR dateTime. FHIR requires an offset whenever a time is given, and careweave never
    invents one, so a naive (sender-local) time is written as its date only."""
    if value is None:
        return None
    return value.isoformat() if value.tzinfo is not None else value.date().isoformat()


def system_uri(system: str | None) -> str | None:
    """The FHIR URI of an HL7 v2 coding-system name (unknown names are kept)."""
    if system is None:
        return None
    return CODE_SYSTEMS.get(system.upper(), system)


def concept(code: Code) -> f.CodeableConcept:
    """A CodeableConcept with one coding."""
    return f.CodeableConcept(
        coding=(f.Coding(system=system_uri(code.system), code=code.code, display=code.display),)
    )


def identifier(ident: Identifier) -> f.Identifier:
    """A FHIR Identifier; the type goes into a v2-0203 coding."""
    kind = None
    if ident.type:
        kind = f.CodeableConcept(coding=(f.Coding(system=IDENTIFIER_TYPE_SYSTEM, code=ident.type),))
    return f.Identifier(system=ident.system, value=ident.value, type=kind)


def human_name(name: PersonName) -> f.HumanName:
    """A FHIR HumanName (the v2 name type is not a FHIR use, so it is dropped)."""
    return f.HumanName(
        family=name.family,
        given=name.given,
        prefix=(name.prefix,) if name.prefix else (),
        suffix=(name.suffix,) if name.suffix else (),
    )


def patient_resource(patient: PatientIdentity, resource_id: str) -> adm.Patient:
    """The Patient for ``patient``."""
    return adm.Patient(
        id=resource_id,
        identifier=tuple(identifier(i) for i in patient.identifiers),
        name=tuple(human_name(n) for n in patient.names),
        gender=patient.sex.value if patient.sex else None,
        birth_date=patient.birth_date.isoformat() if patient.birth_date else None,
        address=tuple(
            f.Address(
                line=a.lines,
                city=a.city,
                state=a.state,
                postal_code=a.postal_code,
                country=a.country,
            )
            for a in patient.addresses
        ),
    )


def encounter_resource(
    encounter: Encounter, resource_id: str, patient_ref: str, *, status: str = "in-progress"
) -> care.Encounter:
    """The Encounter for ``encounter``; ``status`` is the FHIR encounter status."""
    act = ACT_CODES.get(encounter.encounter_class or EncounterClass.UNKNOWN)
    klass = (
        f.Coding(system=ACT_CODE_SYSTEM, code=act[0], display=act[1])
        if act
        else f.Coding(system=ACT_CODE_SYSTEM, code="AMB", display="ambulatory")
    )
    start, end = encounter.admitted_at, encounter.discharged_at
    period = None
    if start or end:
        period = f.Period(start=fhir_datetime(start), end=fhir_datetime(end))
    idents = [i for i in (encounter.visit_number, encounter.account_number) if i is not None]
    return care.Encounter(
        id=resource_id,
        identifier=tuple(identifier(i) for i in idents[:1]),
        status=status,
        class_=klass,
        subject=f.Reference(reference=patient_ref),
        period=period,
    )


def procedure_resource(
    event: ProcedureDocumented, resource_id: str, patient_ref: str, encounter_ref: str | None
) -> care.Procedure:
    """The Procedure documented by ``event``."""
    end = event.performed_end
    performed_period = None
    performed_at = fhir_datetime(event.performed_at)
    if end is not None:
        performed_period = f.Period(start=performed_at, end=fhir_datetime(end))
        performed_at = None
    return care.Procedure(
        id=resource_id,
        identifier=(f.Identifier(value=event.procedure_id),),
        status=event.status or "completed",
        code=concept(event.code),
        subject=f.Reference(reference=patient_ref),
        encounter=f.Reference(reference=encounter_ref) if encounter_ref else None,
        performed_date_time=performed_at,
        performed_period=performed_period,
    )


def charge_item_resource(
    event: ChargeCaptured, resource_id: str, patient_ref: str, encounter_ref: str | None
) -> fin.ChargeItem:
    """The ChargeItem of ``event``; a credit is written with a negative quantity."""
    quantity = (
        -event.quantity if event.transaction_type is TransactionType.CREDIT else event.quantity
    )
    amount = event.extended_amount
    return fin.ChargeItem(
        id=resource_id,
        identifier=(f.Identifier(value=event.transaction_id),),
        status="billable",
        code=concept(event.transaction_code),
        subject=f.Reference(reference=patient_ref),
        context=f.Reference(reference=encounter_ref) if encounter_ref else None,
        occurrence_date_time=event.service_date.isoformat() if event.service_date else None,
        quantity=f.Quantity(value=quantity),
        price_override=f.Money(value=amount.amount, currency=amount.currency) if amount else None,
        reason=tuple(concept(c) for c in event.diagnoses),
        performer=tuple(
            fin.ChargeItemPerformer(
                actor=f.Reference(
                    identifier=f.Identifier(system=NPI_SYSTEM, value=p.npi), display=None
                )
            )
            for p in (event.performing_provider,)
            if p is not None and p.npi
        ),
        product_codeable_concept=concept(event.item_number) if event.item_number else None,
    )
