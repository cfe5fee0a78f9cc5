"""Charge lines for a visit: cath-lab cases with their supplies and drugs, work-ups, room and board."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from decimal import Decimal

from careweave.sandbox.ehr.catalog import ItemCatalog
from careweave.sandbox.ehr.chargemaster import (
    CHARGES,
    CORONARY_MODIFIERS,
    PROFESSIONAL_CHARGE,
    ChargeDefinition,
    Diagnosis,
    ProcedureTemplate,
)
from careweave.sandbox.ehr.events import ChargeLine, ProcedureDone, SupplyUse
from careweave.sandbox.ehr.organization import CareUnit, Provider

_DRUG_QUANTITY = {"25000301": (3, 8), "25500077": (60, 180)}
"""Units billed for drugs whose HCPCS unit is smaller than a vial: heparin per 1000 units,
contrast per ml."""


class ChargeWriter:
    """Builds charge lines with transaction ids unique across the scenario."""

    def __init__(self, rng: random.Random, first_id: int) -> None:
        self._rng = rng
        self._ids = itertools.count(first_id)

    def line(
        self,
        charge: ChargeDefinition,
        when: dt.datetime,
        unit: CareUnit,
        *,
        quantity: int = 1,
        modifiers: tuple[str, ...] = (),
        performed_by: Provider | None = None,
        ordered_by: Provider | None = None,
        diagnoses: tuple[Diagnosis, ...] = (),
        supply: SupplyUse | None = None,
        price: Decimal | None = None,
    ) -> ChargeLine:
        """A charge (CG) line."""
        mods = modifiers + ((charge.drug_modifier,) if charge.drug_modifier else ())
        return ChargeLine(
            transaction_id=str(next(self._ids)),
            transaction_type="CG",
            charge=charge,
            service_time=when,
            quantity=quantity,
            unit_amount=charge.price if price is None else price,
            modifiers=mods,
            performed_by=performed_by,
            ordered_by=ordered_by,
            diagnoses=diagnoses,
            unit=unit,
            supply=supply,
        )

    def credit(self, original: ChargeLine) -> ChargeLine:
        """A credit (CD) line reversing ``original`` in full."""
        return ChargeLine(
            transaction_id=str(next(self._ids)),
            transaction_type="CD",
            charge=original.charge,
            service_time=original.service_time,
            quantity=-original.quantity,
            unit_amount=original.unit_amount,
            modifiers=original.modifiers,
            performed_by=original.performed_by,
            ordered_by=original.ordered_by,
            diagnoses=original.diagnoses,
            unit=original.unit,
            supply=original.supply,
            reverses=original.transaction_id,
        )

    def procedure_case(
        self,
        template: ProcedureTemplate,
        catalog: ItemCatalog,
        start: dt.datetime,
        unit: CareUnit,
        surgeon: Provider,
        diagnoses: tuple[Diagnosis, ...],
    ) -> tuple[ProcedureDone, tuple[ChargeLine, ...]]:
        """The PR1 and the facility FT1 lines of one case: procedure, supplies, drugs."""
        rng = self._rng
        modifiers = (rng.choice(CORONARY_MODIFIERS),) if template.coronary_modifier else ()
        procedure = ProcedureDone(
            code=template.charge.procedure_code,
            description=template.charge.description.removeprefix("HC "),
            start=start,
            minutes=template.minutes + rng.randrange(-10, 30),
            surgeon=surgeon,
            modifiers=modifiers,
            diagnosis=diagnoses[0],
        )

        def line(charge: ChargeDefinition, **kw: object) -> ChargeLine:
            return self.line(
                charge,
                start,
                unit,
                performed_by=surgeon,
                ordered_by=surgeon,
                diagnoses=diagnoses,
                **kw,  # type: ignore[arg-type]
            )

        lines = [line(template.charge, modifiers=modifiers)]
        for use in self._supplies(template, catalog, start.date()):
            supply_charge = ChargeDefinition(
                charge_code=use.item.charge_code,
                description=use.item.description,
                procedure_code=use.item.hcpcs,
                procedure_system="HCPCS",
                revenue_code=use.item.revenue_code,
                price=use.item.price,
            )
            lines.append(line(supply_charge, quantity=use.quantity, supply=use))
        for code in template.drugs:
            low, high = _DRUG_QUANTITY.get(code, (1, 2))
            quantity = rng.randint(low, high)
            lines.append(line(CHARGES[code], quantity=quantity))
        return procedure, tuple(lines)

    def professional(
        self,
        facility_line: ChargeLine,
        unit: CareUnit,
        when: dt.datetime,
    ) -> ChargeLine:
        """The physician group's professional charge for a facility procedure (modifier 26)."""
        charge = CHARGES[PROFESSIONAL_CHARGE[facility_line.charge.charge_code]]
        return self.line(
            charge,
            when,
            unit,
            modifiers=("26", *facility_line.modifiers),
            performed_by=facility_line.performed_by,
            ordered_by=facility_line.ordered_by,
            diagnoses=facility_line.diagnoses,
        )

    def _supplies(
        self, template: ProcedureTemplate, catalog: ItemCatalog, day: dt.date
    ) -> list[SupplyUse]:
        rng = self._rng
        uses: list[SupplyUse] = []
        for category, low, high, keyword in template.supplies:
            candidates = [i for i in catalog.by_category(category) if keyword in i.description]
            for _ in range(rng.randint(low, high)):
                item = rng.choice(candidates)
                lot = f"{rng.choice('ABCDEFGHKMNPRSTVWXYZ')}{rng.randrange(10**6, 10**7)}"
                serial = (
                    f"{rng.choice(('PJN', 'RNB', 'SKV'))}{rng.randrange(10**6, 10**7)}"
                    if item.serialized
                    else ""
                )
                expiry = day + dt.timedelta(days=rng.randrange(120, 900))
                same = next((u for u in uses if u.item == item and not u.serial), None)
                if same is not None and not serial:
                    # A second unit of a lot-tracked item taken from the same box: one line, qty 2.
                    uses[uses.index(same)] = SupplyUse(
                        item=item,
                        quantity=same.quantity + 1,
                        lot=same.lot,
                        serial="",
                        expiry=same.expiry,
                    )
                    continue
                uses.append(SupplyUse(item=item, quantity=1, lot=lot, serial=serial, expiry=expiry))
        return uses
