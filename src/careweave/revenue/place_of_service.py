"""CMS place-of-service codes: where a professional service was rendered (837P CLM-05-1, SV1-05)."""

from __future__ import annotations

import re

_POS = re.compile(r"\d{2}")

#: CMS place-of-service codes in use, with careweave's short label.
PLACE_OF_SERVICE: dict[str, str] = {
    "01": "pharmacy",
    "02": "telehealth, other than in the patient's home",
    "03": "school",
    "04": "homeless shelter",
    "05": "Indian Health Service free-standing facility",
    "06": "Indian Health Service provider-based facility",
    "07": "tribal 638 free-standing facility",
    "08": "tribal 638 provider-based facility",
    "09": "prison/correctional facility",
    "10": "telehealth in the patient's home",
    "11": "office",
    "12": "home",
    "13": "assisted living facility",
    "14": "group home",
    "15": "mobile unit",
    "16": "temporary lodging",
    "17": "walk-in retail health clinic",
    "18": "place of employment, worksite",
    "19": "off campus outpatient hospital",
    "20": "urgent care facility",
    "21": "inpatient hospital",
    "22": "on campus outpatient hospital",
    "23": "emergency room, hospital",
    "24": "ambulatory surgical center",
    "25": "birthing center",
    "26": "military treatment facility",
    "27": "outreach site/street",
    "31": "skilled nursing facility",
    "32": "nursing facility",
    "33": "custodial care facility",
    "34": "hospice",
    "41": "ambulance, land",
    "42": "ambulance, air or water",
    "49": "independent clinic",
    "50": "federally qualified health center",
    "51": "inpatient psychiatric facility",
    "52": "psychiatric facility, partial hospitalization",
    "53": "community mental health center",
    "54": "intermediate care facility for individuals with intellectual disabilities",
    "55": "residential substance abuse treatment facility",
    "56": "psychiatric residential treatment center",
    "57": "non-residential substance abuse treatment facility",
    "58": "non-residential opioid treatment facility",
    "60": "mass immunization center",
    "61": "comprehensive inpatient rehabilitation facility",
    "62": "comprehensive outpatient rehabilitation facility",
    "65": "end-stage renal disease treatment facility",
    "66": "programs of all-inclusive care for the elderly (PACE) center",
    "71": "state or local public health clinic",
    "72": "rural health clinic",
    "81": "independent laboratory",
    "99": "other place of service",
}


def is_place_of_service_format(code: str) -> bool:
    """Whether a place of service is two digits."""
    return bool(_POS.fullmatch(code))


def place_of_service_label(code: str) -> str | None:
    """The label of a known place-of-service code, or None."""
    return PLACE_OF_SERVICE.get(code)
