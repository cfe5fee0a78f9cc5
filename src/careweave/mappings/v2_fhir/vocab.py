"""Vocabulary maps from HL7 v2 tables onto FHIR code systems and value sets.

They follow the HL7 v2-to-FHIR implementation guide's vocabulary maps (tables 0001, 0002, 0004,
0038, 0078, 0085, 0123, 0127, 0128, 0200, 0201, 0202, 0271, 0278, 0322, 0396...), read for their
rules; a code a map does not list is left out rather than guessed.
"""

from __future__ import annotations

import re

from careweave.mappings.v2_fhir.authorities import slug

V2 = "http://terminology.hl7.org/CodeSystem/v2-"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
NULL_FLAVOR = "http://terminology.hl7.org/CodeSystem/v3-NullFlavor"
MARITAL = "http://terminology.hl7.org/CodeSystem/v3-MaritalStatus"
INTERPRETATION = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
UCUM = "http://unitsofmeasure.org"
CODE_SYSTEM_PREFIX = "urn:careweave:codesystem:"

CODE_SYSTEMS: dict[str, str] = {
    "LN": "http://loinc.org",
    "LOINC": "http://loinc.org",
    "SCT": "http://snomed.info/sct",
    "SNM": "http://snomed.info/sct",
    "SNOMED": "http://snomed.info/sct",
    "SNOMEDCT": "http://snomed.info/sct",
    "I10": "http://hl7.org/fhir/sid/icd-10-cm",
    "I10C": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD10": "http://hl7.org/fhir/sid/icd-10-cm",
    "ICD10CM": "http://hl7.org/fhir/sid/icd-10-cm",
    "I10P": "http://www.cms.gov/Medicare/Coding/ICD10",
    "I9": "http://hl7.org/fhir/sid/icd-9-cm",
    "I9C": "http://hl7.org/fhir/sid/icd-9-cm",
    "I9CDX": "http://hl7.org/fhir/sid/icd-9-cm",
    "ICD9": "http://hl7.org/fhir/sid/icd-9-cm",
    "C4": "http://www.ama-assn.org/go/cpt",
    "CPT": "http://www.ama-assn.org/go/cpt",
    "CPT4": "http://www.ama-assn.org/go/cpt",
    "HCPCS": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "HCPT": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "CVX": "http://hl7.org/fhir/sid/cvx",
    "MVX": "http://terminology.hl7.org/CodeSystem/MVX",
    "NDC": "http://hl7.org/fhir/sid/ndc",
    "RXNORM": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "RXN": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "UCUM": UCUM,
    "ANSI+": UCUM,
    "ISO+": UCUM,
    "NPI": "http://hl7.org/fhir/sid/us-npi",
    "CDCREC": "urn:oid:2.16.840.1.113883.6.238",
    "UPC": "urn:oid:2.16.840.1.113883.6.240",
}
"""Table 0396 coding-system names (upper case) onto FHIR system URIs."""

_HL7_TABLE = re.compile(r"HL7(\d{4})")
_OID = re.compile(r"[0-2](\.(0|[1-9]\d*))+")


def code_system(name: str | None) -> str | None:
    """The FHIR URI of a v2 coding-system name: ``LN`` -> LOINC, ``HL70078`` -> v2-0078, an OID
    -> ``urn:oid:``; an unknown name -> ``urn:careweave:codesystem:<slug>`` (never a raw name)."""
    if not name:
        return None
    key = name.strip().upper()
    if key in CODE_SYSTEMS:
        return CODE_SYSTEMS[key]
    table = _HL7_TABLE.fullmatch(key)
    if table:
        return V2 + table.group(1)
    if _OID.fullmatch(key):
        return "urn:oid:" + key
    if re.fullmatch(r"[a-zA-Z][a-zA-Z0-9+.-]*:\S+", name.strip()):
        return name.strip()
    return CODE_SYSTEM_PREFIX + slug(name)


GENDER = {"M": "male", "F": "female", "O": "other", "A": "other", "N": "other", "U": "unknown"}
"""Table 0001 administrative sex onto FHIR administrative gender."""

MARITAL_STATUS: dict[str, tuple[str, str]] = {
    "A": (MARITAL, "L"),
    "E": (MARITAL, "L"),
    "D": (MARITAL, "D"),
    "M": (MARITAL, "M"),
    "S": (MARITAL, "S"),
    "W": (MARITAL, "W"),
    "C": (MARITAL, "T"),
    "G": (MARITAL, "T"),
    "P": (MARITAL, "T"),
    "R": (MARITAL, "T"),
    "N": (MARITAL, "A"),
    "I": (MARITAL, "I"),
    "B": (MARITAL, "U"),
    "U": (NULL_FLAVOR, "UNK"),
    "T": (NULL_FLAVOR, "UNK"),
    "O": (NULL_FLAVOR, "OTH"),
}
"""Table 0002 marital status onto v3 MaritalStatus (unknowns as null flavors)."""

PATIENT_CLASS: dict[str, tuple[str, str]] = {
    "I": ("IMP", "inpatient encounter"),
    "O": ("AMB", "ambulatory"),
    "E": ("EMER", "emergency"),
    "P": ("PRENC", "pre-admission"),
    "R": ("AMB", "ambulatory"),
    "B": ("IMP", "inpatient encounter"),
}
"""Table 0004 patient class onto v3 ActCode encounter classes."""

NAME_USE = {
    "L": "official",
    "D": "usual",
    "TEMP": "temp",
    "N": "nickname",
    "M": "maiden",
    "BAD": "old",
    "NAV": "old",
}
"""Table 0200 name type onto FHIR name use."""

ADDRESS_USE: dict[str, tuple[str | None, str | None]] = {
    "H": ("home", None),
    "B": ("work", None),
    "O": ("work", None),
    "C": ("temp", None),
    "BA": ("old", None),
    "M": (None, "postal"),
    "SH": (None, "postal"),
}
"""Table 0190 address type onto FHIR address (use, type)."""

TELECOM_USE = {"PRN": "home", "ORN": "home", "VHN": "temp", "WPN": "work", "PRS": "mobile"}
"""Table 0201 telecommunication use onto FHIR contact-point use."""

TELECOM_SYSTEM = {
    "PH": "phone",
    "CP": "phone",
    "FX": "fax",
    "BP": "pager",
    "INTERNET": "email",
    "X.400": "email",
    "TDD": "other",
    "TTY": "other",
    "MD": "other",
}
"""Table 0202 telecommunication equipment onto FHIR contact-point system."""

OBSERVATION_STATUS = {
    "C": "corrected",
    "D": "entered-in-error",
    "F": "final",
    "I": "registered",
    "P": "preliminary",
    "R": "preliminary",
    "S": "preliminary",
    "U": "final",
    "W": "entered-in-error",
    "X": "cancelled",
    "A": "amended",
}
"""Table 0085 observation result status onto FHIR observation status."""

REPORT_STATUS = {
    "O": "registered",
    "I": "registered",
    "S": "partial",
    "A": "partial",
    "R": "partial",
    "P": "preliminary",
    "C": "corrected",
    "F": "final",
    "X": "cancelled",
    "M": "corrected",
}
"""Table 0123 result status (OBR-25) onto FHIR diagnostic-report status."""

ORDER_STATUS = {
    "A": "active",
    "CA": "revoked",
    "CM": "completed",
    "DC": "revoked",
    "ER": "entered-in-error",
    "HD": "on-hold",
    "IP": "active",
    "RP": "revoked",
    "SC": "active",
}
"""Table 0038 order status (ORC-5) onto FHIR request status."""

ORDER_CONTROL_STATUS = {
    "NW": "active",
    "OK": "active",
    "SC": "active",
    "XO": "active",
    "RE": "active",
    "CA": "revoked",
    "OC": "revoked",
    "CR": "revoked",
    "DC": "revoked",
    "OD": "revoked",
    "HD": "on-hold",
    "OH": "on-hold",
    "RL": "active",
}
"""Table 0119 order control (ORC-1), used when ORC-5 is empty."""

MEDICATION_STATUS = {
    "active": "active",
    "revoked": "cancelled",
    "completed": "completed",
    "entered-in-error": "entered-in-error",
    "on-hold": "on-hold",
}
"""Request status onto MedicationRequest status, whose value set names revocation differently."""

INTERPRETATION_CODES = frozenset(
    {
        "<", ">", "A", "AA", "AC", "B", "CAR", "D", "DET", "E", "EX", "EXP", "H", "H>", "HH",
        "HM", "HU", "HX", "I", "IE", "IND", "L", "L<", "LL", "LU", "LX", "MS", "N", "NCL", "ND",
        "NEG", "NR", "NS", "OBX", "POS", "QCF", "R", "RR", "S", "SDD", "SYN-R", "SYN-S", "TOX",
        "U", "UNE", "VS", "W", "WR",
    }
)  # fmt: skip
"""Table 0078 abnormal flags that the v3 ObservationInterpretation code system has as such."""

ALLERGY_CATEGORY = {
    "DA": "medication",
    "MC": "medication",
    "FA": "food",
    "EA": "environment",
    "LA": "environment",
    "AA": "environment",
    "PA": "environment",
}
"""Table 0127 allergen type onto AllergyIntolerance category (MA, miscellaneous, has none)."""

ALLERGY_CRITICALITY = {"SV": "high", "MO": "low", "MI": "low", "U": "unable-to-assess"}
"""Table 0128 allergy severity onto AllergyIntolerance criticality."""

ALLERGY_REACTION_SEVERITY = {"SV": "severe", "MO": "moderate", "MI": "mild"}
"""Table 0128 allergy severity onto reaction severity."""

IMMUNIZATION_STATUS = {
    "CP": "completed",
    "PA": "completed",
    "RE": "not-done",
    "NA": "not-done",
}
"""Table 0322 completion status (RXA-20) onto Immunization status."""

DOCUMENT_STATUS = {
    "AU": "final",
    "LA": "final",
    "DI": "preliminary",
    "DO": "preliminary",
    "IP": "preliminary",
    "IN": "preliminary",
    "PA": "preliminary",
}
"""Table 0271 document completion status (TXA-17) onto DocumentReference docStatus."""

DOCUMENT_AVAILABILITY = {"AV": "current", "CA": "entered-in-error", "OB": "superseded"}
"""Table 0273 document availability (TXA-19) onto DocumentReference status."""

APPOINTMENT_STATUS = {
    "BOOKED": "booked",
    "BLOCKED": "booked",
    "OVERBOOK": "booked",
    "CANCELLED": "cancelled",
    "DC": "cancelled",
    "COMPLETE": "fulfilled",
    "DELETED": "entered-in-error",
    "NOSHOW": "noshow",
    "PENDING": "pending",
    "STARTED": "arrived",
    "WAITLIST": "waitlist",
}
"""Table 0278 filler status (SCH-25) onto Appointment status."""

APPOINTMENT_TRIGGER_STATUS = {
    "S12": "booked",
    "S13": "booked",
    "S14": "booked",
    "S15": "cancelled",
    "S16": "cancelled",
    "S17": "entered-in-error",
    "S26": "noshow",
}
"""When SCH-25 is empty, the scheduling trigger event says what happened to the slot."""

ACK_RESPONSE = {
    "AA": "ok",
    "CA": "ok",
    "AE": "fatal-error",
    "CE": "fatal-error",
    "AR": "transient-error",
    "CR": "transient-error",
}
"""Table 0008 acknowledgment code onto MessageHeader response code."""

SUBSCRIBER_RELATIONSHIP = {
    "SEL": "self",
    "SPO": "spouse",
    "DOM": "common",
    "CHD": "child",
    "PAR": "parent",
    "EME": "other",
    "OTH": "other",
    "01": "spouse",
    "18": "self",
    "19": "child",
}
"""Table 0063/0344 relationship to the insured onto the subscriber-relationship code system."""

UCUM_UNITS: dict[str, str] = {
    "mg/dl": "mg/dL",
    "g/dl": "g/dL",
    "mmol/l": "mmol/L",
    "meq/l": "meq/L",
    "iu/l": "[IU]/L",
    "u/l": "U/L",
    "lb": "[lb_av]",
    "lbs": "[lb_av]",
    "in": "[in_i]",
    "inch": "[in_i]",
    "mmhg": "mm[Hg]",
    "bpm": "/min",
    "k/ul": "10*3/uL",
    "m/ul": "10*6/uL",
    "deg f": "[degF]",
    "degf": "[degF]",
    "deg c": "Cel",
    "degc": "Cel",
    "yr": "a",
    "yrs": "a",
    "years": "a",
}
"""Common non-UCUM spellings of units onto their UCUM codes."""

UCUM_CODES = frozenset(
    {
        "%", "/min", "10*3/uL", "10*6/uL", "Cel", "L", "U/L", "[IU]/L", "[degF]", "[in_i]",
        "[lb_av]", "a", "cm", "d", "fL", "g", "g/L", "g/dL", "h", "kg", "kg/m2", "m", "meq/L",
        "mg", "mg/L", "mg/dL", "min", "mL", "mL/min", "mm", "mm[Hg]", "mmol/L", "mo", "ng/mL",
        "pg", "s", "uL", "umol/L", "ug/L", "ug/dL", "wk", "{beats}/min", "%{saturation}",
    }
)  # fmt: skip
"""UCUM codes senders write as such without naming the system."""
