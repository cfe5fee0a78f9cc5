"""DFT^P03 content: FT1 charge lines, the PR1 of a case, and the ZSU supply segment.

Conventions of the simulated EHR (what a mapping must expect):

* FT1-7 is the chargemaster code: ``CDM code ^ description ^ CDM ^ revenue code ^ ^ NUBC`` (the
  NUBC revenue code rides in the alternate identifier). FT1-25 is the CPT (``C4``) or HCPCS code,
  FT1-26 its modifiers (repeating), FT1-29 the NDC of drug lines, FT1-20/21 the performing and
  ordering providers (XCN with an NPI), FT1-19 the ICD-10-CM diagnoses, FT1-13 the GL cost center.
* A credit has FT1-6 ``CD``, a negative FT1-10 quantity and FT1-11 amount, and FT1-31 holds the
  FT1-2 transaction id of the charge it reverses.
* A case's procedure FT1 is followed by its PR1 (CPT, start, minutes, surgeon, diagnosis).
* Every supply or implant FT1 (revenue code 0272/0278, HCPCS C-code) is followed by one ZSU:

  ``ZSU|set id|EHR item code^description^EHRITEM|quantity|unit|lot|serial|UDI|GTIN|``
  ``manufacturer^catalog number|implant Y/N|expiry date|FT1 set id|consigned Y/N``

  The UDI is the GS1 human-readable form ``(01)GTIN(17)YYMMDD(10)lot(21)serial``.
"""

from __future__ import annotations

from careweave.sandbox.ehr import fields as f
from careweave.sandbox.ehr.events import ChargeLine, ClinicalEvent, Location, ProcedureDone
from careweave.sandbox.ehr.organization import VendorDialect
from careweave.sandbox.ehr.segments import segment


def ft1(number: int, line: ChargeLine, event: ClinicalEvent) -> str:
    """One FT1 charge or credit line."""
    facility, dialect = event.facility, event.facility.dialect
    visit = event.visit
    charge = line.charge
    values = [""] * 31
    values[0] = str(number)
    values[1] = line.transaction_id
    values[2] = f"{event.time:%Y%m%d}{facility.code[:2]}"
    values[3] = f.timestamp(line.service_time, dialect)
    values[4] = f.timestamp(event.time, dialect)
    values[5] = line.transaction_type
    values[6] = f"{charge.charge_code}^{f.text(charge.description)}^CDM^{charge.revenue_code}^^NUBC"
    values[7] = f.text(charge.description)
    values[9] = str(line.quantity)
    values[10] = f.money(line.extended_amount, dialect)
    values[11] = f.money(line.unit_amount, dialect)
    values[12] = f.coded(line.unit.cost_center, line.unit.code, "L")
    values[13] = event.patient.coverage.plan_id
    if visit is not None:
        room = Location(line.unit, visit.location.room, visit.location.bed)
        same_unit = visit.location.unit == line.unit
        values[15] = f.location(room if same_unit else Location(line.unit, "", ""), facility,
                                dialect)  # fmt: skip
        values[17] = {"I": "IP", "E": "ER"}.get(visit.patient_class, "OP")
    values[18] = "~".join(f.coded(d.code, d.description, "I10") for d in line.diagnoses)
    values[19] = f.provider(line.performed_by, dialect) if line.performed_by else ""
    values[20] = f.provider(line.ordered_by, dialect) if line.ordered_by else ""
    if line.supply is not None:
        values[21] = f.money(line.supply.item.unit_cost, dialect)
    if charge.procedure_code:
        values[24] = f.coded(charge.procedure_code, "", charge.procedure_system)
    values[25] = "~".join(line.modifiers)
    if charge.ndc:
        values[28] = f.coded(charge.ndc, charge.description, "NDC")
    values[30] = line.reverses
    return segment("FT1", values, dialect)


def zsu(number: int, ft1_number: int, line: ChargeLine, dialect: VendorDialect) -> str:
    """The ZSU supply segment following a supply FT1 (see the module docstring)."""
    use = line.supply
    assert use is not None
    item = use.item
    values = [
        str(number),
        f.coded(item.ehr_item_code, item.description, "EHRITEM"),
        str(use.quantity if line.quantity > 0 else -use.quantity),
        item.unit_of_measure,
        use.lot,
        use.serial,
        use.udi(),
        item.gtin,
        f.components(f.text(item.manufacturer), item.catalog_number),
        "Y" if item.implantable else "N",
        f.date(use.expiry),
        str(ft1_number),
        "Y" if item.consigned else "N",
    ]
    return segment("ZSU", values, dialect)


def pr1(procedure: ProcedureDone, dialect: VendorDialect) -> str:
    """The PR1 of a cath-lab case."""
    values = [""] * 16
    values[0] = "1"
    values[1] = "C4"
    values[2] = f.coded(procedure.code, procedure.description, "C4")
    values[3] = f.text(procedure.description)
    values[4] = f.timestamp(procedure.start, dialect)
    values[5] = "P"
    values[6] = str(procedure.minutes)
    values[10] = f.provider(procedure.surgeon, dialect)
    diagnosis = procedure.diagnosis
    values[14] = f.coded(diagnosis.code, diagnosis.description, "I10")
    values[15] = "~".join(procedure.modifiers)
    return segment("PR1", values, dialect)


def financial_segments(event: ClinicalEvent) -> list[str]:
    """FT1 lines in order, each followed by its PR1 (procedure line) or ZSU (supply line)."""
    dialect = event.facility.dialect
    out: list[str] = []
    supplies = 0
    for number, line in enumerate(event.charges, start=1):
        out.append(ft1(number, line, event))
        procedure = event.procedure
        if number == 1 and procedure is not None:
            out.append(pr1(procedure, dialect))
        if line.supply is not None:
            supplies += 1
            out.append(zsu(supplies, number, line, dialect))
    return out
