"""The domain services flows are built with: master data, the clock, destination names.

The composition root (``careweave.app``) fills one :class:`FlowServices` from the settings' master
data and hands it to every flow factory. A flow takes what it needs with :meth:`FlowServices.need`,
which fails with a :class:`~careweave.exceptions.ConfigError` naming the flow and the missing master
data, so that ``careweave check`` refuses a channel whose flow could not run. Business state (stock,
ledger, periods, charge ledger, claim register) is not a service: it lives in the store and reaches
a flow through ``FlowOutput.state``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeVar

from careweave.engine.clock import Clock, SystemClock
from careweave.exceptions import ConfigError
from careweave.model.flow import ERP_DESTINATION, RCM_DESTINATION

if TYPE_CHECKING:
    from careweave.config import ClaimsSettingsConfig
    from careweave.flows.claims import ClaimsConfig
    from careweave.flows.finance_posting import PayeeResolver
    from careweave.masterdata.billing import BillingReferences, CoverageTable
    from careweave.masterdata.cost_centers import (
        ChartOfAccounts,
        CostCenterMap,
        PhysicianDirectory,
        ProjectAllocations,
        StandardCostTable,
    )
    from careweave.masterdata.entities import EntityDirectory
    from careweave.masterdata.files import MasterData
    from careweave.masterdata.items import ItemCrosswalk
    from careweave.masterdata.locations import LocationDirectory
    from careweave.masterdata.payers import PayerDirectory
    from careweave.revenue.charge_rules import ChargeValidator
    from careweave.revenue.denial_work import AppealPolicy

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class FlowServices:
    """Everything a flow factory may take. ``None``: that master data is not configured."""

    clock: Clock = field(default_factory=SystemClock)
    """Time for SLA clocks, charge lag and aging."""
    crosswalk: ItemCrosswalk | None = None
    """EHR item codes, GTIN, UDI to ERP items (``[masterdata] items``, ``crosswalk``)."""
    locations: LocationDirectory | None = None
    """EHR locations to ERP inventory locations and cost centers, with par levels."""
    opening_stock: Mapping[tuple[str, str], int] = field(default_factory=dict)
    """On hand per (ERP location, ERP item) before careweave moved anything (``on_hand.csv``).

    Read-only: a position with no stored row starts from it (``careweave.erp.inventory``), so no
    step writes stock outside the commit of a message.
    """
    cost_centers: CostCenterMap | None = None
    """Entity and department to cost center."""
    standard_costs: StandardCostTable | None = None
    """Procedure standard costs (facility and professional)."""
    physicians: PhysicianDirectory | None = None
    """Physician NPI to group, entity and cost center."""
    chart: ChartOfAccounts | None = None
    """GL accounts the journals use (a default chart when None)."""
    projects: ProjectAllocations | None = None
    """Grant and capital-project shares of cost."""
    payees: PayeeResolver | None = None
    """Payee (NPI or TIN on an 835) to legal entity."""
    billing: BillingReferences | None = None
    """Facilities' billing references: entity, claim form, NPIs, place of service."""
    coverage: CoverageTable | None = None
    """Patients' coverage (payer, member id) for claims."""
    payers: PayerDirectory | None = None
    """Payers (claim filing indicator) and their fee schedules (``[masterdata] payers``)."""
    entities: EntityDirectory | None = None
    """Legal entities and their billing provider identity (``[masterdata] entities``)."""
    claims: ClaimsConfig | None = None
    """Claim submission: submitter, receiver, X12 envelope ids, each entity's billing provider."""
    charge_validator: ChargeValidator | None = None
    """Charge validation rules and code sets (a default validator when None)."""
    appeal_policy: AppealPolicy | None = None
    """Appeal deadlines for denial work items (the default policy when None)."""
    erp_destination: str = ERP_DESTINATION
    """The destination the ERP flows send journals, movements, requisitions and POs to."""
    rcm_destination: str = RCM_DESTINATION
    """The destination patient-to-billing sends charges and encounters to (and claim-submission
    its billed notices)."""
    clearinghouse_destination: str = "clearinghouse"
    """The destination claim-submission queues its 837 files for (``http`` or ``file``)."""

    @classmethod
    def from_master_data(
        cls,
        data: MasterData,
        *,
        clock: Clock | None = None,
        claims: ClaimsSettingsConfig | None = None,
    ) -> FlowServices:
        """The services of loaded master data (``[masterdata]``); what it lacks stays None.

        ``claims``: the settings' ``[claims]`` section, completed with the billing providers of
        ``[masterdata] entities`` (ConfigError when that file is not named).
        """
        claims_config = None
        if claims is not None:
            from careweave.flows.claims import claims_config as build_claims

            if data.entities is None:
                raise ConfigError(
                    "[claims] needs [masterdata] entities: the billing provider (name, NPI, "
                    "tax id, address) of each legal entity (see docs/configuration.md)"
                )
            claims_config = build_claims(claims, data.entities.billing_providers())
        return cls(
            clock=clock or SystemClock(),
            crosswalk=data.crosswalk,
            locations=data.locations,
            opening_stock=data.opening_stock,
            cost_centers=data.cost_centers,
            standard_costs=data.standard_costs,
            physicians=data.physicians,
            chart=data.chart,
            payers=data.payers,
            entities=data.entities,
            billing=data.billing,
            payees=data.payees,
            coverage=data.coverage,
            claims=claims_config,
        )

    def need(self, value: T | None, name: str, flow: str) -> T:
        """``value``, or a ConfigError saying that ``flow`` needs master data ``name``."""
        if value is None:
            raise ConfigError(
                f"flow {flow!r} needs master data {name!r}: name its file in the settings' "
                f"[masterdata] section (see docs/configuration.md)"
            )
        return value
