"""Care documented on the case in HL7 v2: procedures (PR1), charges (FT1) and supplies.

Supplies and implants arrive in the field in three shapes; careweave supports all three:

1. **FT1 supply charge**: an FT1 whose FT1-34 (item number) is filled is a charge *and* a
   :class:`SupplyUsed` (item FT1-34, quantity FT1-10, catalog/model number FT1-35, location
   FT1-16 else the visit's).
2. **PR1 + PRT device** (v2.7+): a PRT after a PR1 that names a device (PRT-10 device id or
   PRT-16 UDI device identifier) is an item used in that procedure: item PRT-22 (device type)
   else PRT-10 else PRT-16, UDI PRT-16 (a GTIN when issued by GS1, OID 2.51.1.1), lot PRT-19,
   serial PRT-20, time PRT-11.
3. **ZSU segment** (careweave's Z-segment, for senders without either): after an FT1 it
   completes that line's supply, after a PR1 it is an item used in that procedure::

       ZSU|set id|item (CWE)|quantity|unit (CWE)|lot|serial|UDI|GTIN|
          manufacturer^catalog number|implanted (Y/N)|expiry (DT)|FT1 set id|consigned (Y/N)

   The location is the FT1's (FT1-16) or the visit's.

A PRT or ZSU is attached to the nearest PR1/FT1 before it; any segment other than PRT, ROL,
NTE, OBX or a Z-segment ends that attachment.
"""

from __future__ import annotations

import decimal

import msgspec

from careweave.codecs.hl7v2 import Segment
from careweave.exceptions import MappingError
from careweave.mappings import hl7v2_values as v
from careweave.mappings.hl7v2_context import Context
from careweave.model.care import Code, Location
from careweave.model.charges import ChargeCaptured, TransactionType
from careweave.model.clinical import ProcedureDocumented, business_key
from careweave.model.supplies import SupplyUsed

GS1_OID = "2.51.1.1"
_TRANSACTION_TYPES = {
    "CG": TransactionType.CHARGE,
    "CD": TransactionType.CREDIT,
    "PY": TransactionType.PAYMENT,
    "AJ": TransactionType.ADJUSTMENT,
}
_KEEPS_ANCHOR = frozenset({"PRT", "ROL", "NTE", "OBX"})


def _flag(value: str | None) -> bool | None:
    if value is None:
        return None
    return value.upper() in {"Y", "YES", "TRUE", "1"}


def _base(ctx: Context) -> dict[str, object]:
    return {
        "patient": ctx.patient,
        "encounter": ctx.encounter,
        "source_message_id": ctx.control_id,
    }


def _scope(ctx: Context) -> str:
    """Charges and procedures are identified within their visit, else within the patient."""
    return ctx.visit_key() or f"patient={ctx.patient.key()}"


def procedure_from_pr1(ctx: Context, pr1: Segment, number: int) -> ProcedureDocumented:
    """The procedure of a PR1 segment; ``number`` is its position among the message's PR1s."""
    code = v.cwe(pr1, 3)
    if code is None:
        raise MappingError(f"PR1[{number}]-3: procedure code is missing")
    procedure_id = v.text(pr1, "19.1") or v.text(pr1, "1") or str(number)
    performers = [p for r in (8, 11, 12) if (p := v.xcn(pr1, r)) is not None]
    performed_at = v.dtm(pr1, "5.1")
    return ProcedureDocumented(
        idempotency_key=business_key("procedure", _scope(ctx), procedure_id, code.code),
        occurred_at=performed_at or ctx.occurred_at,
        code=code,
        procedure_id=procedure_id,
        performed_at=performed_at,
        surgeon=v.xcn(pr1, 11),
        performers=tuple(performers),
        modifiers=tuple(c.code for c in v.cwe_all(pr1, 16)),
        **_base(ctx),  # type: ignore[arg-type]
    )


def _revenue_code_in_ft1_7(ft1: Segment) -> str | None:
    """The revenue code some chargemasters send as FT1-7's alternate code (``...^0278^^NUBC``).

    HL7 v2.3-2.5 have no FT1-41; senders then put the UB-04 revenue code beside the chargemaster
    code, its coding system NUBC (or the HL7 table 0456 of revenue codes).
    """
    system = (v.text(ft1, "7.6") or "").upper()
    code = v.text(ft1, "7.4")
    if code and system in {"NUBC", "HL70456", "RC"} and code.isdigit() and len(code) == 4:
        return code
    return None


def charge_from_ft1(ctx: Context, ft1: Segment, number: int) -> ChargeCaptured:
    """The charge line of an FT1 segment; ``number`` is its position among the FT1s."""
    where = f"FT1[{number}]"
    kind = (v.text(ft1, "6.1") or "CG").upper()
    transaction_type = _TRANSACTION_TYPES.get(kind)
    if transaction_type is None:
        raise MappingError(f"{where}-6: unknown transaction type {kind!r} (table 0017)")
    code = v.cwe(ft1, 7)
    if code is None:
        raise MappingError(f"{where}-7: transaction code is missing")
    line = v.text(ft1, "2") or v.text(ft1, "1") or str(number)
    return ChargeCaptured(
        idempotency_key=business_key(transaction_type.value, _scope(ctx), line, code.code),
        occurred_at=v.dtm(ft1, "5.1") or ctx.occurred_at,
        transaction_id=line,
        transaction_type=transaction_type,
        transaction_code=code,
        quantity=v.number(ft1, "10.1") or decimal.Decimal(1),
        procedure_code=v.cwe(ft1, 25),
        modifiers=tuple(c.code for c in v.cwe_all(ft1, 26)),
        unit_amount=v.money(ft1, 12),
        extended_amount=v.money(ft1, 11),
        revenue_code=v.text(ft1, "41.1") or _revenue_code_in_ft1_7(ft1),
        ndc=v.cwe(ft1, 29),
        item_number=v.cwe(ft1, 34),
        performing_provider=v.xcn(ft1, 20),
        ordering_provider=v.xcn(ft1, 21),
        diagnoses=tuple(v.cwe_all(ft1, 19)),
        service_date=v.parse_date(v.text(ft1, "4.1.1"), f"{where}-4"),
        posted_at=v.dtm(ft1, "5.1"),
        department=v.cwe(ft1, 13),
        filler_order_number=v.text(ft1, "23.1"),
        **_base(ctx),  # type: ignore[arg-type]
    )


def _supply(
    ctx: Context, line_id: str, item: Code, location: Location | None, **facts: object
) -> SupplyUsed:
    return SupplyUsed(
        idempotency_key=business_key("supply", _scope(ctx), line_id, item.code),
        line_id=line_id,
        item=item,
        location=location or (ctx.encounter.location if ctx.encounter else None),
        **_base(ctx),  # type: ignore[arg-type]
        **facts,  # type: ignore[arg-type]
    )


def supply_from_ft1(ctx: Context, ft1: Segment, charge: ChargeCaptured) -> SupplyUsed | None:
    """Convention 1: the supply an FT1 charges for, when FT1-34 names the item."""
    if charge.item_number is None:
        return None
    return _supply(
        ctx,
        f"ft1={charge.transaction_id}",
        charge.item_number,
        quantity=charge.quantity,
        catalog_number=v.text(ft1, "35"),
        location=v.pl(ft1, 16),
        occurred_at=charge.occurred_at,
        used_at=None,
    )


def supply_from_prt(ctx: Context, prt: Segment, procedure_id: str) -> SupplyUsed | None:
    """Convention 2: the device a PRT names within a procedure, or None for a person PRT."""
    device_id = v.text(prt, "10.1")
    udi = v.text(prt, "16.1")
    if device_id is None and udi is None:
        return None
    item = v.cwe(prt, 22) or Code(code=device_id or udi or "", system="device")
    gs1 = v.text(prt, "16.3") == GS1_OID or (v.text(prt, "16.2") or "").upper() == "GS1"
    used_at = v.dtm(prt, "11.1")
    return _supply(
        ctx,
        f"procedure={procedure_id}:device={device_id or udi}",
        item,
        None,
        udi=udi,
        gtin=udi if gs1 else None,
        lot_number=v.text(prt, "19"),
        serial_number=v.text(prt, "20"),
        procedure_id=procedure_id,
        used_at=used_at,
        occurred_at=used_at or ctx.occurred_at,
    )


def supply_from_zsu(
    ctx: Context, zsu: Segment, *, anchor: str, procedure_id: str | None, fallback: Code | None
) -> SupplyUsed:
    """Convention 3: the item of a ZSU segment attached to the PR1 or FT1 ``anchor``."""
    item = v.cwe(zsu, 2) or fallback
    if item is None:
        raise MappingError(f"ZSU after {anchor}: ZSU-2 item code is missing")
    used_at = ctx.occurred_at
    return _supply(
        ctx,
        f"{anchor}:zsu={v.text(zsu, '1') or '1'}",
        item,
        quantity=v.number(zsu, "3") or decimal.Decimal(1),
        unit=v.text(zsu, "4.1"),
        lot_number=v.text(zsu, "5"),
        serial_number=v.text(zsu, "6"),
        udi=v.text(zsu, "7"),
        gtin=v.text(zsu, "8"),
        manufacturer=v.text(zsu, "9.1"),
        catalog_number=v.text(zsu, "9.2"),
        implanted=_flag(v.text(zsu, "10")),
        consigned=_flag(v.text(zsu, "13")),
        location=None,
        procedure_id=procedure_id,
        used_at=used_at,
        occurred_at=used_at,
    )


class CareWalker:
    """Collects procedures, charges and supplies while the segments are walked in order."""

    def __init__(self) -> None:
        self.events: list[msgspec.Struct] = []
        self._pr1 = 0
        self._ft1 = 0
        self._procedure: ProcedureDocumented | None = None
        self._charge: ChargeCaptured | None = None
        self._charge_supply: int | None = None

    def visit(self, ctx: Context, seg: Segment) -> None:
        """Take one segment (with its context) into account."""
        if seg.id == "PR1":
            self._pr1 += 1
            self._procedure, self._charge = procedure_from_pr1(ctx, seg, self._pr1), None
            self.events.append(self._procedure)
        elif seg.id == "FT1":
            self._ft1 += 1
            self._charge, self._procedure = charge_from_ft1(ctx, seg, self._ft1), None
            self.events.append(self._charge)
            self._charge_supply = None
            if (supply := supply_from_ft1(ctx, seg, self._charge)) is not None:
                self._charge_supply = len(self.events)
                self.events.append(supply)
        elif seg.id == "PRT" and self._procedure is not None:
            if (supply := supply_from_prt(ctx, seg, self._procedure.procedure_id)) is not None:
                self.events.append(supply)
        elif seg.id == "ZSU" and (self._procedure or self._charge):
            supply = self._zsu(ctx, seg)
            if self._charge_supply is not None:
                # The first ZSU completes the FT1's own supply instead of adding a second one.
                self.events[self._charge_supply] = supply
                self._charge_supply = None
            else:
                self.events.append(supply)
        elif seg.id not in _KEEPS_ANCHOR and not seg.id.startswith("Z"):
            self._procedure = self._charge = None
            self._charge_supply = None

    def _zsu(self, ctx: Context, zsu: Segment) -> SupplyUsed:
        if self._procedure is not None:
            pid = self._procedure.procedure_id
            return supply_from_zsu(
                ctx, zsu, anchor=f"procedure={pid}", procedure_id=pid, fallback=None
            )
        assert self._charge is not None
        charge = self._charge
        supply = supply_from_zsu(
            ctx,
            zsu,
            anchor=f"ft1={charge.transaction_id}",
            procedure_id=None,
            fallback=charge.item_number or charge.transaction_code,
        )
        if v.text(zsu, "3") is None:
            # No ZSU quantity: the FT1's quantity is the quantity used.
            supply = msgspec.structs.replace(supply, quantity=charge.quantity)
        return supply
