"""The settings' ``[masterdata]`` section: which CSV files the master data is loaded from.

Defined beside the loaders (:mod:`careweave.masterdata.files`) and re-exported by
:mod:`careweave.config`, which holds the whole settings file.
"""

from __future__ import annotations

import datetime as dt

import msgspec


class MasterDataConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The master-data files flows are built with, relative to the settings file (CSV each).

    A flow names what it needs (supply-to-replenish: ``items``, ``locations``); a channel running a
    flow whose master data is not named here is refused by ``careweave check`` and ``run``. The
    columns of each file are in docs/configuration.md.
    """

    items: str | None = None
    """ERP item master: ``item_number,description,uom,standard_cost,effective_from,...``."""
    crosswalk: str | None = None
    """EHR codes, GTIN, UDI -> ERP item: ``kind,code,item_number,effective_from,...`` (needs items)."""
    locations: str | None = None
    """ERP stocking locations: ``location_id,entity,facility,point_of_care,cost_center,kind``."""
    par_levels: str | None = None
    """Par levels: ``location_id,item_number,par,reorder_point`` (needs locations)."""
    on_hand: str | None = None
    """Opening on-hand stock: ``location_id,item_number,quantity``."""
    cost_centers: str | None = None
    """Department -> GL segments: ``entity,department_code,cost_center,effective_from,...``."""
    standard_costs: str | None = None
    """Procedure standard costs: ``procedure_code,facility_cost,professional_cost``."""
    physicians: str | None = None
    """Physician groups: ``npi,group,entity,cost_center``."""
    providers: str | None = None
    """NPI by the EHR's local provider id: ``provider_id,npi`` (needs billing)."""
    payers: str | None = None
    """Payers: ``payer_id,name,claim_filing``."""
    fee_schedules: str | None = None
    """Contracted allowed amounts: ``payer_id,procedure_code,allowed`` (needs payers)."""
    entities: str | None = None
    """Legal entities: ``entity,name,npi,tax_id,address_line,city,state,postal_code``."""
    gl_accounts: str | None = None
    """Chart of accounts: ``role,account`` (a default chart when absent)."""
    billing: str | None = None
    """Facilities' billing references: ``facility,entity,claim_form,...``."""
    revenue_codes: str | None = None
    """UB-04 revenue code by chargemaster code: ``charge_code,revenue_code`` (needs billing)."""
    payees: str | None = None
    """835 payee (NPI or TIN) -> legal entity: ``payee,entity``."""
    coverage: str | None = None
    """Patients' primary coverage: ``patient_id,payer_id,member_id,...``."""
    as_of: dt.date | None = None
    """Day the item master's effective-dated rows are read as of; today when unset."""
    watch_interval: float = msgspec.field(default=1.0)
    """Seconds between two looks at the files while the engine runs: a changed file (a crosswalk
    fix) is loaded again and used from the next message on. 0 never reloads."""

    def __post_init__(self) -> None:
        for key, needs in (
            ("crosswalk", "items"),
            ("par_levels", "locations"),
            ("fee_schedules", "payers"),
            ("providers", "billing"),
            ("revenue_codes", "billing"),
        ):
            if getattr(self, key) is not None and getattr(self, needs) is None:
                raise ValueError(f"{key} needs {needs}: name its file too")
        if self.watch_interval < 0:
            raise ValueError("watch_interval must be 0 (never reload) or a number of seconds")

    def files(self) -> dict[str, str]:
        """Each configured file by its key, in load order."""
        return {
            key: value
            for key in self.__struct_fields__
            if key not in {"as_of", "watch_interval"} and (value := getattr(self, key)) is not None
        }
