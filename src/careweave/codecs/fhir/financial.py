"""FHIR R4 financial and supply resources: ChargeItem, Account, Coverage, SupplyDelivery."""

from __future__ import annotations

import msgspec

from careweave.codecs.fhir.administration import Resource
from careweave.codecs.fhir.datatypes import (
    Annotation,
    CodeableConcept,
    Identifier,
    Money,
    Period,
    Quantity,
    Reference,
)


class _Part(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, rename="camel"):
    """Base of backbone elements."""


class ChargeItemPerformer(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """Who performed the charged service."""

    actor: Reference
    function: CodeableConcept | None = None


class ChargeItem(Resource, frozen=True, kw_only=True, omit_defaults=True):
    """A billable item: a service or product provided to a patient."""

    identifier: tuple[Identifier, ...] = ()
    definition_uri: tuple[str, ...] = ()
    status: str
    part_of: tuple[Reference, ...] = ()
    code: CodeableConcept
    subject: Reference
    context: Reference | None = None
    occurrence_date_time: str | None = None
    occurrence_period: Period | None = None
    performer: tuple[ChargeItemPerformer, ...] = ()
    performing_organization: Reference | None = None
    requesting_organization: Reference | None = None
    cost_center: Reference | None = None
    quantity: Quantity | None = None
    bodysite: tuple[CodeableConcept, ...] = ()
    factor_override: float | None = None
    price_override: Money | None = None
    override_reason: str | None = None
    enterer: Reference | None = None
    entered_date: str | None = None
    reason: tuple[CodeableConcept, ...] = ()
    service: tuple[Reference, ...] = ()
    product_reference: Reference | None = None
    product_codeable_concept: CodeableConcept | None = None
    account: tuple[Reference, ...] = ()
    note: tuple[Annotation, ...] = ()
    supporting_information: tuple[Reference, ...] = ()


class AccountCoverage(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """A coverage the account is billed to, with its priority."""

    coverage: Reference
    priority: int | None = None


class AccountGuarantor(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """The party responsible for the account balance."""

    party: Reference
    on_hold: bool | None = None
    period: Period | None = None


class Account(Resource, frozen=True, kw_only=True, omit_defaults=True):
    """A patient billing account: the bucket charges accumulate in."""

    identifier: tuple[Identifier, ...] = ()
    status: str
    type: CodeableConcept | None = None
    name: str | None = None
    subject: tuple[Reference, ...] = ()
    service_period: Period | None = None
    coverage: tuple[AccountCoverage, ...] = ()
    owner: Reference | None = None
    description: str | None = None
    guarantor: tuple[AccountGuarantor, ...] = ()
    part_of: Reference | None = None


class CoverageClass(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """A plan, group or class of a coverage."""

    type: CodeableConcept
    value: str
    name: str | None = None


class Coverage(Resource, frozen=True, kw_only=True, omit_defaults=True):
    """An insurance plan or self-pay arrangement covering a patient."""

    identifier: tuple[Identifier, ...] = ()
    status: str
    type: CodeableConcept | None = None
    policy_holder: Reference | None = None
    subscriber: Reference | None = None
    subscriber_id: str | None = None
    beneficiary: Reference
    dependent: str | None = None
    relationship: CodeableConcept | None = None
    period: Period | None = None
    payor: tuple[Reference, ...] = ()
    class_: tuple[CoverageClass, ...] = msgspec.field(default=(), name="class")
    order: int | None = None
    network: str | None = None
    subrogation: bool | None = None


class SupplyDeliveryItem(_Part, frozen=True, kw_only=True, omit_defaults=True):
    """What was supplied, and how much."""

    quantity: Quantity | None = None
    item_codeable_concept: CodeableConcept | None = None
    item_reference: Reference | None = None


class SupplyDelivery(Resource, frozen=True, kw_only=True, omit_defaults=True):
    """A delivery of supplies to a location or a patient."""

    identifier: tuple[Identifier, ...] = ()
    based_on: tuple[Reference, ...] = ()
    part_of: tuple[Reference, ...] = ()
    status: str | None = None
    patient: Reference | None = None
    type: CodeableConcept | None = None
    supplied_item: SupplyDeliveryItem | None = None
    occurrence_date_time: str | None = None
    occurrence_period: Period | None = None
    supplier: Reference | None = None
    destination: Reference | None = None
    receiver: tuple[Reference, ...] = ()
