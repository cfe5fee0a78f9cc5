"""The fan-out case shared by the orchestration and SLA tests: one DFT^P03 that charges a procedure
and uses one implant the crosswalk lacks, and the domain services its three flows need."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from careweave.codecs.hl7v2 import parse_message
from careweave.flows.services import FlowServices
from careweave.mappings.hl7v2_clinical import map_message
from careweave.model.charges import ChargeCaptured
from careweave.model.supplies import SupplyUsed
from careweave.sandbox.ehr import EhrScenarioConfig, generate_scenario
from careweave.sandbox.erp_books import ScenarioBooks, build_books
from careweave.sandbox.revenue_masters import billing_references

FAN_OUT_CHANNEL = """
[[channels]]
name = "ehr"
mapping = "hl7v2-clinical"
flows = ["patient-to-billing", "supply-to-replenish", "cost-allocation"]
source = {{ type = "mllp", port = 0 }}

[[channels.destinations]]
name = "revenue-cycle"
payload = "none"
connector = {{ type = "null" }}

[[channels.destinations]]
name = "erp"
payload = "none"
connector = {{ type = "null" }}
"""
"""The ``ehr`` channel running the three flows, null destinations (a ``str.format`` template)."""


@dataclass(frozen=True)
class UnknownImplant:
    """The message, its charges, the supply line whose code is missing, the books and services."""

    raw: bytes
    charges: list[ChargeCaptured]
    unknown: SupplyUsed
    books: ScenarioBooks
    services: FlowServices


def unknown_implant_case() -> UnknownImplant:
    """The first DFT with charges and exactly one supply code missing from the crosswalk."""
    scenario = generate_scenario(
        EhrScenarioConfig(seed=4, days=1, encounters_per_day=40, item_mismatch_rate=0.3)
    )
    missing = scenario.catalog.missing_from_erp
    books = build_books(scenario, crosswalk_missing=missing)
    services = dataclasses.replace(books.services(), billing=billing_references(scenario))
    for message in scenario.well_formed():
        events = map_message(parse_message(message.raw))
        supplies = [e for e in events if isinstance(e, SupplyUsed) and e.item.code in missing]
        charges = [e for e in events if isinstance(e, ChargeCaptured)]
        if charges and len({s.item.code for s in supplies}) == 1:
            return UnknownImplant(message.raw, charges, supplies[0], books, services)
    raise AssertionError("the scenario must charge a procedure with an unknown implant")
