"""What patient-to-billing sends the revenue-cycle platform: line keys, patients, charge lines.

The platform prices a line as quantity x unit amount; a captured charge whose extended amount is not
exactly its quantity times its unit price (rounding, a price override) is sent as one unit at the
extended amount, so that the platform bills to the cent what was captured.
"""

from __future__ import annotations

from decimal import Decimal

from careweave.model.identity import AdministrativeSex, PatientIdentity
from careweave.model.rcm import RcmChargeLine, RcmPatient
from careweave.model.revenue import ChargeLine

ENTERPRISE_ID_TYPES = ("PI", "CMRN")
"""Identifier types of an enterprise (EMPI / community) patient id, most preferred first."""

_SEX = {AdministrativeSex.MALE: "M", AdministrativeSex.FEMALE: "F"}


def line_key(encounter_id: str, transaction_id: str) -> str:
    """The platform's line key of a charge: encounter, transaction id, version."""
    return f"{encounter_id}/{transaction_id}/1"


def patient_id(patient: PatientIdentity) -> str:
    """The enterprise id (identifier type PI, else CMRN), else the first identifier."""
    for kind in ENTERPRISE_ID_TYPES:
        for ident in patient.identifiers:
            if ident.type == kind:
                return ident.value
    return patient.identifiers[0].value if patient.identifiers else ""


def demographics(patient: PatientIdentity) -> RcmPatient | None:
    """Name, birth date, sex and address as a claim needs them; None without name or birth date."""
    if patient.birth_date is None or not patient.names:
        return None
    name = patient.names[0]
    address = patient.addresses[0] if patient.addresses else None
    extra: dict[str, str] = {}
    if address is not None and address.lines and address.city and address.state:
        extra = {"address_line": address.lines[0], "city": address.city, "state": address.state}
        if address.postal_code:
            extra["postal_code"] = address.postal_code
    return RcmPatient(
        last_name=name.family or "UNKNOWN",
        first_name=name.given[0] if name.given else "UNKNOWN",
        birth_date=patient.birth_date,
        gender=_SEX.get(patient.sex, "U") if patient.sex else "U",
        **extra,
    )


def rcm_charge_line(
    line: ChargeLine, patient: str, *, unit_price: Decimal | None = None, reverses: str = ""
) -> RcmChargeLine:
    """The platform's charge line for a validated charge or credit (amounts as magnitudes)."""
    quantity = abs(line.units)
    amount = abs(line.amount) if line.amount is not None else Decimal(0)
    unit = abs(unit_price) if unit_price is not None else None
    if unit is None or unit * quantity != amount:
        unit, quantity = amount, Decimal(1)
    return RcmChargeLine(
        line_key=line_key(line.encounter_id, line.line_id),
        encounter_id=line.encounter_id,
        patient_id=patient,
        service_date=line.service_date,
        procedure_code=line.procedure_code or "",
        quantity=quantity,
        unit_amount=unit,
        modifiers=line.modifiers,
        revenue_code=line.revenue_code or "",
        diagnoses=line.diagnosis_codes,
        ndc=line.ndc or "",
        transaction="credit" if line.is_credit else "charge",
        reverses=reverses,
        entity=line.entity,
        performing_npi=line.rendering_npi or "",
    )
