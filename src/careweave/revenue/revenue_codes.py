"""UB-04 revenue codes: four digits, 0100-0999, grouped by their first three digits.

Institutional charges must carry a revenue code (FL 42, 837I SV2-01). The category names below are
careweave's short labels for the NUBC groupings that hospitals bill every day; a well-formed code in
a category not listed here is reported as unknown (a warning: the list is not the full NUBC manual).
"""

from __future__ import annotations

import re

_REVENUE_CODE = re.compile(r"\d{4}")

#: Revenue code categories (first three digits) with a short label.
REVENUE_CODE_CATEGORIES: dict[str, str] = {
    "010": "all-inclusive rate",
    "011": "room and board, private",
    "012": "room and board, semi-private two beds",
    "013": "room and board, three and four beds",
    "014": "room and board, deluxe private",
    "015": "room and board, ward",
    "016": "room and board, other",
    "017": "nursery",
    "018": "leave of absence",
    "019": "subacute care",
    "020": "intensive care",
    "021": "coronary care",
    "022": "special charges",
    "023": "incremental nursing",
    "024": "all-inclusive ancillary",
    "025": "pharmacy",
    "026": "IV therapy",
    "027": "medical/surgical supplies and devices",
    "028": "oncology",
    "029": "durable medical equipment",
    "030": "laboratory",
    "031": "laboratory pathology",
    "032": "radiology, diagnostic",
    "033": "radiology, therapeutic",
    "034": "nuclear medicine",
    "035": "CT scan",
    "036": "operating room services",
    "037": "anesthesia",
    "038": "blood and blood components",
    "039": "blood storage and processing",
    "040": "other imaging services",
    "041": "respiratory services",
    "042": "physical therapy",
    "043": "occupational therapy",
    "044": "speech-language pathology",
    "045": "emergency room",
    "046": "pulmonary function",
    "047": "audiology",
    "048": "cardiology",
    "049": "ambulatory surgical care",
    "050": "outpatient services",
    "051": "clinic",
    "052": "free-standing clinic",
    "053": "osteopathic services",
    "054": "ambulance",
    "055": "skilled nursing",
    "056": "home health, medical social services",
    "057": "home health aide",
    "058": "home health, other visits",
    "059": "home health, units of service",
    "060": "home health, oxygen",
    "061": "magnetic resonance technology",
    "062": "medical/surgical supplies, extension of 027x",
    "063": "pharmacy, extension of 025x",
    "064": "home IV therapy",
    "065": "hospice",
    "066": "respite care",
    "067": "outpatient special residence",
    "068": "trauma response",
    "070": "cast room",
    "071": "recovery room",
    "072": "labor room/delivery",
    "073": "EKG/ECG",
    "074": "EEG",
    "075": "gastrointestinal services",
    "076": "specialty services (treatment and observation)",
    "077": "preventive care services",
    "078": "telemedicine",
    "079": "extra-corporeal shock wave therapy",
    "080": "inpatient renal dialysis",
    "081": "acquisition of body components",
    "082": "hemodialysis, outpatient or home",
    "083": "peritoneal dialysis, outpatient or home",
    "084": "CAPD, outpatient or home",
    "085": "CCPD, outpatient or home",
    "086": "magnetoencephalography",
    "088": "miscellaneous dialysis",
    "090": "behavioral health treatments",
    "091": "behavioral health treatments, extension",
    "092": "other diagnostic services",
    "093": "medical rehabilitation day program",
    "094": "other therapeutic services",
    "095": "other therapeutic services, extension",
    "096": "professional fees",
    "097": "professional fees, extension",
    "098": "professional fees, extension",
    "099": "patient convenience items",
}

#: Revenue codes whose charges are drugs and therefore carry an NDC on most payers' claims.
DRUG_REVENUE_CODES: frozenset[str] = frozenset(
    {"0250", "0251", "0252", "0254", "0255", "0257", "0258", "0259", "0631", "0632", "0633",
     "0634", "0635", "0636", "0637"}
)  # fmt: skip


def is_revenue_code_format(code: str) -> bool:
    """Whether a revenue code is four digits in the billable range 0100-0999."""
    return bool(_REVENUE_CODE.fullmatch(code)) and "0100" <= code <= "0999"


def revenue_code_category(code: str) -> str | None:
    """The label of a revenue code's category, or None when the category is not known."""
    if not is_revenue_code_format(code):
        return None
    return REVENUE_CODE_CATEGORIES.get(code[:3])


def is_drug_revenue_code(code: str) -> bool:
    """Whether a revenue code bills pharmacy (025x, 063x) and so expects an NDC."""
    return code in DRUG_REVENUE_CODES
