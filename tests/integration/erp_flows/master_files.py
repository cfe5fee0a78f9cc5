"""A scenario's ERP books written as the CSV files a health system keeps, and the settings naming them.

The files are the ``[masterdata]`` formats of docs/configuration.md; the ERP flows of an engine built
from the settings (``careweave.app.build_application``, the CLI) read them as the scenario's books.
"""

from __future__ import annotations

import csv
from pathlib import Path

from careweave.masterdata import format_crosswalk
from careweave.sandbox.erp_books import OPENING_STOCK, SINCE, ScenarioBooks

SECRET = "careweave-secret"
"""The ERP simulator's secret for client ``careweave``: ``CAREWEAVE_ERP_SECRET`` in tests."""


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def write_master_files(folder: Path, books: ScenarioBooks, *, subdir: str = "masterdata") -> str:
    """Write the books under ``folder/subdir``; returns the ``[masterdata]`` section naming them
    relative to ``folder`` (where the settings file goes)."""
    where = folder / subdir
    where.mkdir(parents=True, exist_ok=True)
    items = books.crosswalk.items()
    write_csv(
        where / "items.csv",
        ["item_number", "description", "uom", "standard_cost", "effective_from", "gtin",
         "manufacturer", "catalog_number", "consigned"],
        [[i.item_number, i.description, i.uom, i.standard_cost, SINCE, i.gtin, i.manufacturer,
          i.catalog_number, "Y" if i.consigned else "N"] for i in items],
    )  # fmt: skip
    (where / "crosswalk.csv").write_text(format_crosswalk(books.crosswalk.entries()))
    locations = books.locations.locations()
    write_csv(
        where / "locations.csv",
        ["location_id", "entity", "facility", "point_of_care", "cost_center", "kind"],
        [[x.location_id, x.entity, x.facility, x.point_of_care, x.cost_center, x.kind]
         for x in locations],
    )  # fmt: skip
    write_csv(
        where / "par_levels.csv",
        ["location_id", "item_number", "par", "reorder_point"],
        [[p.location_id, p.item_number, p.par, p.reorder_point]
         for p in books.locations.par_levels()],
    )  # fmt: skip
    write_csv(
        where / "on_hand.csv",
        ["location_id", "item_number", "quantity"],
        [[x.location_id, i.item_number, OPENING_STOCK] for x in locations for i in items],
    )
    write_csv(
        where / "cost_centers.csv",
        ["entity", "department_code", "cost_center", "effective_from", "service_line"],
        [[a.entity, a.department, a.cost_center, a.effective_from, a.service_line]
         for a in books.cost_centers.assignments()],
    )  # fmt: skip
    write_csv(
        where / "standard_costs.csv",
        ["procedure_code", "facility_cost", "professional_cost"],
        [[c.procedure_code, c.facility_cost, c.professional_cost]
         for c in books.standard_costs.costs()],
    )  # fmt: skip
    write_csv(
        where / "physicians.csv",
        ["npi", "group", "entity", "cost_center"],
        [[npi, g.code, g.entity, g.cost_center] for npi, g in books.physicians.members().items()],
    )
    keys = ("items", "crosswalk", "locations", "par_levels", "on_hand", "cost_centers",
            "standard_costs", "physicians")  # fmt: skip
    return "[masterdata]\n" + "".join(f'{key} = "{subdir}/{key}.csv"\n' for key in keys)


def erp_settings(erp_url: str) -> str:
    """The ERP channels: supplies in (HL7 v2), the close request, the ERP as one destination."""
    return f"""
[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
flows = ["supply-to-replenish", "cost-allocation"]
source = {{ type = "mllp", port = 0 }}

[[channels.destinations]]
name = "erp"
payload = "none"
worker = {{ concurrency = 8, poll_interval = 0.05, retry = {{ max_attempts = 20, max_backoff = 0.2 }} }}

[channels.destinations.connector]
type = "erp"
base_url = "{erp_url}"
client_id = "careweave"
rate_limit = 2000.0
rate_burst = 100

[[channels]]
name = "close"
format = "erp-close-request"
flows = ["month-end-close"]
source = {{ type = "mllp", port = 0 }}
"""
