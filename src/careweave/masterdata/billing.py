"""The reference data patient-to-billing needs beyond what a charge message carries.

An FT1 names the chargemaster item, the sending facility and the providers by the EHR's local ids;
billing needs the legal entity, the claim form, the UB-04 revenue code, the place of service and
NPIs, and the patient's coverage. :class:`BillingReferences` and :class:`CoverageTable` answer
those from tables the caller builds (from the provider, chargemaster, location and payer masters).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from careweave.model.care import Encounter, EncounterClass, Provider
from careweave.model.rcm import RcmCoverage
from careweave.model.revenue import ClaimForm

PLACE_OF_SERVICE_BY_CLASS: dict[EncounterClass, str] = {
    EncounterClass.INPATIENT: "21",
    EncounterClass.EMERGENCY: "23",
    EncounterClass.OUTPATIENT: "22",
    EncounterClass.OBSERVATION: "22",
    EncounterClass.PREADMISSION: "22",
}
"""CMS place of service of a hospital encounter class (21 inpatient, 22 outpatient, 23 ED)."""


@dataclass(frozen=True)
class FacilityBilling:
    """How one sending facility bills."""

    entity: str
    """The legal entity (ERP company) that books the facility's revenue."""
    claim_form: ClaimForm
    """Hospitals bill institutional claims (837I); clinics and physician groups professional."""
    office_place_of_service: str = "11"
    """Place of service for encounters that are not hospital encounters."""
    final_on_charge: bool = False
    """Charges are final when posted (a physician group's professional services, which have no
    discharge of their own): the encounter is registered final, so its account bills at once."""


@dataclass(frozen=True)
class BillingReferences:
    """Entity, claim form, revenue code, place of service and NPI lookups for charges."""

    facilities: Mapping[str, FacilityBilling]
    """By facility code (PV1-3.4 / MSH-4)."""
    revenue_codes: Mapping[str, str] = field(default_factory=dict)
    """UB-04 revenue code by chargemaster (CDM) code."""
    provider_npis: Mapping[str, str] = field(default_factory=dict)
    """NPI by the EHR's local provider id."""

    def facility(self, encounter: Encounter | None) -> FacilityBilling | None:
        """The billing setup of the encounter's facility, None when unknown."""
        if encounter is None or encounter.location is None:
            return None
        return self.facilities.get(encounter.location.facility or "")

    def place_of_service(self, encounter: Encounter | None) -> str | None:
        """The CMS place of service of an encounter."""
        billing = self.facility(encounter)
        if billing is None or encounter is None:
            return None
        if billing.claim_form is ClaimForm.PROFESSIONAL:
            return billing.office_place_of_service
        kind = encounter.encounter_class
        return PLACE_OF_SERVICE_BY_CLASS.get(kind, "22") if kind else "22"

    def facility_code(self, encounter: Encounter | None) -> str:
        """CLM05-1: the place of service (837P) or the bill type's first two digits (837I)."""
        billing = self.facility(encounter)
        if billing is not None and billing.claim_form is ClaimForm.INSTITUTIONAL:
            inpatient = (
                encounter is not None and encounter.encounter_class is EncounterClass.INPATIENT
            )
            return "11" if inpatient else "13"
        return self.place_of_service(encounter) or "11"

    def revenue_code(self, charge_code: str) -> str | None:
        """The UB-04 revenue code of a chargemaster item."""
        return self.revenue_codes.get(charge_code)

    def npi(self, provider: Provider | None) -> str | None:
        """The provider's NPI: as sent, else looked up by local id."""
        if provider is None:
            return None
        if provider.npi:
            return provider.npi
        if provider.identifier is None:
            return None
        return self.provider_npis.get(provider.identifier.value)


@dataclass(frozen=True)
class CoverageTable:
    """Primary coverage by patient id (the enterprise id the flows send as ``patient_id``)."""

    by_patient: Mapping[str, RcmCoverage]

    def coverage_for(self, patient_id: str) -> RcmCoverage | None:
        """The patient's primary coverage; None for self-pay or an unknown patient."""
        return self.by_patient.get(patient_id)
