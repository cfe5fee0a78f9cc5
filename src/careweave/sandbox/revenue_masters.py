"""The billing master data of the simulated health system, as the revenue flows take it.

The EHR simulator knows its facilities, providers, chargemaster and patients' coverage; a real
deployment reads the same facts from its location, provider, chargemaster and payer masters.
"""

from __future__ import annotations

import zlib

import msgspec

from careweave.codecs.x12 import Address, BillingProvider
from careweave.masterdata.billing import BillingReferences, CoverageTable, FacilityBilling
from careweave.masterdata.entities import PayeeEntities
from careweave.model.rcm import RcmCoverage
from careweave.model.revenue import ClaimForm
from careweave.revenue.coverage import CLAIM_FILING_BY_PLAN_TYPE
from careweave.sandbox.clearinghouse.payers import PayerRules, sample_payers
from careweave.sandbox.ehr.chargemaster import CHARGES
from careweave.sandbox.ehr.generator import EhrScenario
from careweave.sandbox.ehr.population import Coverage


def billing_references(scenario: EhrScenario) -> BillingReferences:
    """Entities, claim forms, revenue codes and NPIs of the simulated health system."""
    system = scenario.system
    institutional = (system.hospital_a, system.hospital_b)
    facilities = {
        f.code: FacilityBilling(
            f.entity,
            ClaimForm.INSTITUTIONAL if f in institutional else ClaimForm.PROFESSIONAL,
            final_on_charge=f is system.physician_group,
        )
        for f in system.facilities
    }
    npis: dict[str, str] = {}
    for provider in system.providers:
        npis[provider.epic_id] = provider.npi
        npis[provider.cerner_id] = provider.npi
    revenue = {code: charge.revenue_code for code, charge in CHARGES.items()}
    revenue.update({item.charge_code: item.revenue_code for item in scenario.catalog.items})
    return BillingReferences(facilities=facilities, revenue_codes=revenue, provider_npis=npis)


def _coverage(coverage: Coverage) -> RcmCoverage | None:
    if coverage.plan_type == "SP" or not coverage.member_id:
        return None
    return RcmCoverage(
        payer_id=coverage.payer_id,
        payer_name=coverage.payer_name,
        member_id=coverage.member_id,
        group_number=coverage.group_number,
        claim_filing=CLAIM_FILING_BY_PLAN_TYPE.get(coverage.plan_type, "CI"),
    )


def coverage_table(scenario: EhrScenario) -> CoverageTable:
    """Each simulated patient's primary coverage by enterprise id and MRNs (none for self-pay)."""
    table: dict[str, RcmCoverage] = {}
    for patient in scenario.patients:
        if (found := _coverage(patient.coverage)) is not None:
            for key in (patient.enterprise_id, patient.epic_mrn, patient.cerner_mrn,
                        patient.practice_chart):  # fmt: skip
                table[key] = found
    return CoverageTable(by_patient=table)


def billing_providers(scenario: EhrScenario) -> dict[str, BillingProvider]:
    """Each legal entity's billing provider (loop 2010AA): its facility's NPI, a tax id, address."""
    providers: dict[str, BillingProvider] = {}
    for facility in scenario.system.facilities:
        tax_id = f"39{zlib.crc32(facility.entity.encode()) % 10_000_000:07d}"
        providers[facility.entity] = BillingProvider(
            name=facility.entity_name.upper().replace(",", "").replace(".", ""),
            npi=facility.npi,
            tax_id=tax_id,
            address=Address("100 RIVERBEND PKWY", "RIVERBEND", "WI", "549010001"),
        )
    return providers


def payee_entities(scenario: EhrScenario) -> PayeeEntities:
    """The legal entity of each billing provider NPI, as an 835 names its payee."""
    return PayeeEntities({f.npi: f.entity for f in scenario.system.facilities})


def clearinghouse_payers(scenario: EhrScenario) -> tuple[PayerRules, ...]:
    """Adjudication rules for every payer the simulated patients are covered by.

    Each payer gets the rules of the sample payer of its kind (Medicare, Medicaid, commercial),
    under its own id, so that the clearinghouse knows every payer the claims name.
    """
    samples = {rules.payer_id: rules for rules in sample_payers()}
    by_kind = {"MC": samples["00435"], "MD": samples["SKCA0"]}
    payers: dict[str, PayerRules] = {}
    for patient in scenario.patients:
        coverage = patient.coverage
        if coverage.plan_type == "SP" or coverage.payer_id in payers:
            continue
        template = by_kind.get(coverage.plan_type, samples["60054"])
        payers[coverage.payer_id] = msgspec.structs.replace(
            template, payer_id=coverage.payer_id, name=coverage.payer_name
        )
    return tuple(payers[k] for k in sorted(payers))
