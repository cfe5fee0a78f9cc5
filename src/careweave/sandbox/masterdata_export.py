"""The simulated health system's master data as the CSV files a ``[masterdata]`` section names.

Generated from the code the sandbox itself runs on (:func:`careweave.sandbox.erp_books.build_books`
for the ERP books, :mod:`careweave.sandbox.revenue_masters` for billing, payers and coverage, the
clearinghouse's payer rules for fee schedules), for the enterprise of
:mod:`careweave.sandbox.health_system`, so the files fit every day ``careweave sandbox send``
generates. ``examples/health-system/masterdata`` holds them, written by::

    careweave sandbox masterdata --out examples/health-system/masterdata

The same code writes the same bytes (a test compares them with the committed files). The item
master holds every catalog item; the crosswalk leaves out the codes the enterprise's ERP lacks, so
their supplies park on a supply-chain case with the item suggested by its GTIN.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from pathlib import Path

from careweave.masterdata import ChartOfAccounts, format_crosswalk
from careweave.revenue.coverage import CLAIM_FILING_BY_PLAN_TYPE
from careweave.sandbox.clearinghouse.payers import PayerRules
from careweave.sandbox.ehr import EhrScenario
from careweave.sandbox.erp_books import SINCE, ScenarioBooks, build_books
from careweave.sandbox.health_system import OPENING_STOCK, PAR, REORDER_POINT, enterprise
from careweave.sandbox.revenue_masters import (
    billing_providers,
    billing_references,
    clearinghouse_payers,
    coverage_table,
    payee_entities,
)

FILES = {
    "items": "items.csv",
    "crosswalk": "crosswalk.csv",
    "locations": "locations.csv",
    "par_levels": "par_levels.csv",
    "on_hand": "on_hand.csv",
    "cost_centers": "cost_centers.csv",
    "standard_costs": "standard_costs.csv",
    "physicians": "physicians.csv",
    "payers": "payers.csv",
    "fee_schedules": "fee_schedules.csv",
    "entities": "entities.csv",
    "gl_accounts": "gl_accounts.csv",
    "billing": "billing.csv",
    "revenue_codes": "revenue_codes.csv",
    "providers": "providers.csv",
    "payees": "payees.csv",
    "coverage": "coverage.csv",
}
"""Each ``[masterdata]`` key and the file written for it."""


def _csv(header: str, rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return out.getvalue()


def _yes(flag: bool) -> str:
    return "Y" if flag else "N"


def _erp_files(books: ScenarioBooks) -> dict[str, str]:
    items = sorted(books.crosswalk.items(), key=lambda i: i.item_number)
    item_rows = (
        [i.item_number, i.description, i.uom, i.standard_cost, SINCE, i.gtin or "",
         i.manufacturer or "", i.catalog_number or "", _yes(i.consigned)]
        for i in items
    )  # fmt: skip
    locations = sorted(books.locations.locations(), key=lambda x: x.location_id)
    location_rows = (
        [x.location_id, x.entity, x.facility, x.point_of_care, x.cost_center, x.kind]
        for x in locations
    )
    par_rows = sorted(
        [p.location_id, p.item_number, p.par, p.reorder_point] for p in books.locations.par_levels()
    )
    center_rows = sorted(
        [a.entity, a.department, a.cost_center, a.effective_from, a.service_line,
         a.physician_group]
        for a in books.cost_centers.assignments()
    )  # fmt: skip
    cost_rows = sorted(
        [c.procedure_code, c.facility_cost, c.professional_cost]
        for c in books.standard_costs.costs()
    )
    physician_rows = sorted(
        [npi, g.code, g.entity, g.cost_center] for npi, g in books.physicians.members().items()
    )
    return {
        "items": _csv(
            "item_number,description,uom,standard_cost,effective_from,gtin,manufacturer,"
            "catalog_number,consigned",
            item_rows,
        ),
        "crosswalk": format_crosswalk(books.crosswalk.entries()),
        "locations": _csv(
            "location_id,entity,facility,point_of_care,cost_center,kind", location_rows
        ),
        "par_levels": _csv("location_id,item_number,par,reorder_point", par_rows),
        "on_hand": _csv(
            "location_id,item_number,quantity",
            sorted([loc, item, qty] for (loc, item), qty in books.opening.items()),
        ),
        "cost_centers": _csv(
            "entity,department_code,cost_center,effective_from,service_line,physician_group",
            center_rows,
        ),
        "standard_costs": _csv("procedure_code,facility_cost,professional_cost", cost_rows),
        "physicians": _csv("npi,group,entity,cost_center", physician_rows),
    }


def _payer_files(scenario: EhrScenario, rules: Sequence[PayerRules]) -> dict[str, str]:
    filing: dict[str, str] = {}
    for patient in scenario.patients:
        coverage = patient.coverage
        filing.setdefault(
            coverage.payer_id, CLAIM_FILING_BY_PLAN_TYPE.get(coverage.plan_type, "CI")
        )
    coverage_rows = sorted(
        [key, c.payer_id, c.member_id, c.group_number]
        for key, c in coverage_table(scenario).by_patient.items()
    )
    fee_rows = (
        [r.payer_id, code, r.fee_schedule[code]] for r in rules for code in sorted(r.fee_schedule)
    )
    return {
        "payers": _csv(
            "payer_id,name,claim_filing", ([r.payer_id, r.name, filing[r.payer_id]] for r in rules)
        ),
        "fee_schedules": _csv("payer_id,procedure_code,allowed", fee_rows),
        "coverage": _csv("patient_id,payer_id,member_id,group_number", coverage_rows),
    }


def _billing_files(scenario: EhrScenario) -> dict[str, str]:
    references = billing_references(scenario)
    entity_rows = (
        [code, p.name, p.npi, p.tax_id, p.address.line1, p.address.city, p.address.state,
         p.address.postal_code]
        for code, p in sorted(billing_providers(scenario).items())
    )  # fmt: skip
    billing_rows = (
        [code, f.entity, f.claim_form.value, f.office_place_of_service, _yes(f.final_on_charge)]
        for code, f in sorted(references.facilities.items())
    )
    chart = ChartOfAccounts()
    return {
        "entities": _csv("entity,name,npi,tax_id,address_line,city,state,postal_code", entity_rows),
        "gl_accounts": _csv(
            "role,account", ([role, getattr(chart, role)] for role in chart.__struct_fields__)
        ),
        "billing": _csv(
            "facility,entity,claim_form,office_place_of_service,final_on_charge", billing_rows
        ),
        "revenue_codes": _csv("charge_code,revenue_code", sorted(references.revenue_codes.items())),
        "providers": _csv("provider_id,npi", sorted(references.provider_npis.items())),
        "payees": _csv("payee,entity", sorted(payee_entities(scenario).by_payee.items())),
    }


def master_files(scenario: EhrScenario | None = None) -> dict[str, str]:
    """The CSV text of each ``[masterdata]`` key (:data:`FILES`), for ``scenario``'s enterprise.

    ``scenario``: the enterprise of :func:`careweave.sandbox.health_system.enterprise` when None.
    """
    scenario = scenario if scenario is not None else enterprise()
    books = build_books(
        scenario,
        crosswalk_missing=scenario.catalog.missing_from_erp,
        opening_stock=OPENING_STOCK,
        par=PAR,
        reorder_point=REORDER_POINT,
    )
    texts = {
        **_erp_files(books),
        **_payer_files(scenario, clearinghouse_payers(scenario)),
        **_billing_files(scenario),
    }
    return {key: texts[key] for key in FILES}


def write_master_files(out: Path, texts: dict[str, str] | None = None) -> list[Path]:
    """Write every file of :func:`master_files` under ``out`` (created if missing)."""
    texts = texts if texts is not None else master_files()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for key, name in FILES.items():
        path = out / name
        path.write_bytes(texts[key].encode("utf-8"))
        written.append(path)
    return written
