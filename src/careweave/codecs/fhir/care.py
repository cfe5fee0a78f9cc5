"""FHIR R4 care resources: Encounter, Procedure, Device, DeviceUseStatement."""

from __future__ import annotations

import msgspec

from careweave.codecs.fhir.administration import Resource
from careweave.codecs.fhir.datatypes import (
    Annotation,
    CodeableConcept,
    Coding,
    Identifier,
    Period,
    Quantity,
    Reference,
)


class _Part(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, rename="camel"):
    """Base of backbone elements."""


class EncounterParticipant(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """Someone taking part in an encounter (attender, admitter, referrer...)."""

    type: tuple[CodeableConcept, ...] = ()
    period: Period | None = None
    individual: Reference | None = None


class EncounterHospitalization(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """Admission and discharge details of an inpatient stay."""

    pre_admission_identifier: Identifier | None = None
    admit_source: CodeableConcept | None = None
    re_admission: CodeableConcept | None = None
    discharge_disposition: CodeableConcept | None = None
    destination: Reference | None = None


class EncounterLocation(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """A location the patient was at during the encounter."""

    location: Reference
    status: str | None = None
    period: Period | None = None


class EncounterDiagnosis(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """A diagnosis relevant to the encounter."""

    condition: Reference
    use: CodeableConcept | None = None
    rank: int | None = None


class Encounter(Resource, frozen=True, kw_only=True, omit_defaults=True):
    """An interaction between a patient and providers: a visit, a stay."""

    identifier: tuple[Identifier, ...] = ()
    status: str
    class_: Coding = msgspec.field(name="class")
    type: tuple[CodeableConcept, ...] = ()
    service_type: CodeableConcept | None = None
    priority: CodeableConcept | None = None
    subject: Reference | None = None
    episode_of_care: tuple[Reference, ...] = ()
    participant: tuple[EncounterParticipant, ...] = ()
    period: Period | None = None
    length: Quantity | None = None
    reason_code: tuple[CodeableConcept, ...] = ()
    diagnosis: tuple[EncounterDiagnosis, ...] = ()
    account: tuple[Reference, ...] = ()
    hospitalization: EncounterHospitalization | None = None
    location: tuple[EncounterLocation, ...] = ()
    service_provider: Reference | None = None
    part_of: Reference | None = None


class ProcedurePerformer(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """Who performed a procedure, and in what role."""

    actor: Reference
    function: CodeableConcept | None = None
    on_behalf_of: Reference | None = None


class ProcedureFocalDevice(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """A device implanted, removed or changed by a procedure."""

    manipulated: Reference
    action: CodeableConcept | None = None


class Procedure(Resource, frozen=True, kw_only=True, omit_defaults=True):
    """An action performed on a patient: surgery, biopsy, imaging."""

    identifier: tuple[Identifier, ...] = ()
    based_on: tuple[Reference, ...] = ()
    part_of: tuple[Reference, ...] = ()
    status: str
    status_reason: CodeableConcept | None = None
    category: CodeableConcept | None = None
    code: CodeableConcept | None = None
    subject: Reference
    encounter: Reference | None = None
    performed_date_time: str | None = None
    performed_period: Period | None = None
    performed_string: str | None = None
    recorder: Reference | None = None
    asserter: Reference | None = None
    performer: tuple[ProcedurePerformer, ...] = ()
    location: Reference | None = None
    reason_code: tuple[CodeableConcept, ...] = ()
    reason_reference: tuple[Reference, ...] = ()
    body_site: tuple[CodeableConcept, ...] = ()
    outcome: CodeableConcept | None = None
    note: tuple[Annotation, ...] = ()
    focal_device: tuple[ProcedureFocalDevice, ...] = ()
    used_reference: tuple[Reference, ...] = ()
    used_code: tuple[CodeableConcept, ...] = ()


class DeviceUdiCarrier(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """The UDI of a device as printed on its label."""

    device_identifier: str | None = None
    issuer: str | None = None
    jurisdiction: str | None = None
    carrier_a_i_d_c: str | None = msgspec.field(default=None, name="carrierAIDC")
    carrier_h_r_f: str | None = msgspec.field(default=None, name="carrierHRF")
    entry_type: str | None = None


class DeviceName(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """A name of a device (UDI label name, user-friendly name...)."""

    name: str
    type: str


class Device(Resource, frozen=True, kw_only=True, omit_defaults=True):
    """A manufactured item: an implant, an instrument, a supply."""

    identifier: tuple[Identifier, ...] = ()
    udi_carrier: tuple[DeviceUdiCarrier, ...] = ()
    status: str | None = None
    manufacturer: str | None = None
    manufacture_date: str | None = None
    expiration_date: str | None = None
    lot_number: str | None = None
    serial_number: str | None = None
    device_name: tuple[DeviceName, ...] = ()
    model_number: str | None = None
    part_number: str | None = None
    type: CodeableConcept | None = None
    patient: Reference | None = None
    owner: Reference | None = None
    location: Reference | None = None
    note: tuple[Annotation, ...] = ()


class DeviceUseStatement(Resource, frozen=True, kw_only=True, omit_defaults=True):
    """A record that a patient uses or used a device (an implant in place)."""

    identifier: tuple[Identifier, ...] = ()
    based_on: tuple[Reference, ...] = ()
    status: str
    subject: Reference
    derived_from: tuple[Reference, ...] = ()
    timing_date_time: str | None = None
    timing_period: Period | None = None
    recorded_on: str | None = None
    source: Reference | None = None
    device: Reference
    reason_code: tuple[CodeableConcept, ...] = ()
    body_site: CodeableConcept | None = None
    note: tuple[Annotation, ...] = ()
