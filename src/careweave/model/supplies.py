"""Canonical supply event: an item (often an implant) was used on a patient.

This is what drives supply-to-replenish: the item is matched against the ERP item master,
inventory is decremented at ``location`` and, for a consigned implant, a bill-only purchase
order is raised. Quantities are :class:`decimal.Decimal`.
"""

from __future__ import annotations

import datetime as dt
import decimal

from careweave.model.care import Code, Location
from careweave.model.clinical import ClinicalEvent


class SupplyUsed(ClinicalEvent, frozen=True, kw_only=True, omit_defaults=True):
    """A supply item was consumed or implanted during the patient's care."""

    line_id: str
    """Which line of the source documented it (FT1 transaction id, procedure + device id)."""
    item: Code
    """The item code as the EHR knows it (its system says which catalogue)."""
    quantity: decimal.Decimal = decimal.Decimal(1)
    unit: str | None = None
    lot_number: str | None = None
    serial_number: str | None = None
    udi: str | None = None
    """The full Unique Device Identifier (device identifier plus production identifiers)."""
    gtin: str | None = None
    catalog_number: str | None = None
    manufacturer: str | None = None
    description: str | None = None
    location: Location | None = None
    consigned: bool | None = None
    """Whether the item is vendor-owned until used; ``None`` when the source does not say."""
    implanted: bool | None = None
    procedure_id: str | None = None
    """The procedure the item was used in, when the source links them."""
    used_at: dt.datetime | None = None
