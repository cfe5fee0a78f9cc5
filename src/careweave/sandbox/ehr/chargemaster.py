"""The simulated hospital chargemaster, clinical code lists and cath-lab procedure templates.

CPT codes appear as bare numbers with the hospital's own chargemaster descriptions (CPT descriptors
are AMA property and are not shipped). HCPCS Level II codes, NUBC revenue codes and ICD-10-CM codes
are public. ICD-10-CM codes here are billable leaf codes; a test checks them with simple_icd_10_cm.
NDCs are well-formed 5-4-2 numbers for the drug lines, not a statement of current products.
"""

from __future__ import annotations

import enum
from decimal import Decimal

import msgspec

from careweave.sandbox.ehr.catalog import ItemCategory


class Diagnosis(msgspec.Struct, frozen=True):
    """An ICD-10-CM diagnosis."""

    code: str
    description: str


class ChargeDefinition(msgspec.Struct, frozen=True, kw_only=True):
    """A chargemaster line: what the EHR posts in an FT1."""

    charge_code: str
    """CDM code sent in FT1-7."""
    description: str
    procedure_code: str
    """CPT or HCPCS code sent in FT1-25."""
    procedure_system: str
    """HL7 coding system of the procedure code: C4 (CPT-4) or HCPCS."""
    revenue_code: str
    price: Decimal
    ndc: str = ""
    """NDC (5-4-2) for drug lines, sent in FT1-29."""
    drug_modifier: str = ""
    """JZ (no drug wasted) on single-dose drug lines."""


class CaseKind(enum.StrEnum):
    """Cath-lab case types the simulator schedules."""

    DIAGNOSTIC_CATH = "diagnostic_cath"
    PCI_DES = "pci_des"
    PACEMAKER_DUAL = "pacemaker_dual"
    PACEMAKER_SINGLE = "pacemaker_single"


class ProcedureTemplate(msgspec.Struct, frozen=True, kw_only=True):
    """How one kind of cath-lab case is documented and charged."""

    kind: CaseKind
    charge: ChargeDefinition
    diagnoses: tuple[Diagnosis, ...]
    """Candidates for the principal diagnosis."""
    supplies: tuple[tuple[ItemCategory, int, int, str], ...]
    """(category, minimum units, maximum units, description keyword or "") drawn for each case."""
    drugs: tuple[str, ...]
    """Charge codes of drug lines posted with the case."""
    minutes: int
    coronary_modifier: bool = False
    """PCI lines carry a coronary artery modifier (LD, LC, RC)."""


def _dx(code: str, description: str) -> Diagnosis:
    return Diagnosis(code, description)


CARDIAC_DIAGNOSES = (
    _dx("I25.10", "Athscl heart disease of native coronary artery w/o ang pctrs"),
    _dx("I25.110", "Athscl heart disease of native cor art w unstable ang pctrs"),
    _dx("I20.0", "Unstable angina"),
    _dx("I21.4", "Non-ST elevation (NSTEMI) myocardial infarction"),
    _dx("R07.9", "Chest pain, unspecified"),
    _dx("R94.31", "Abnormal electrocardiogram [ECG] [EKG]"),
)
RHYTHM_DIAGNOSES = (
    _dx("I44.2", "Atrioventricular block, complete"),
    _dx("I49.5", "Sick sinus syndrome"),
    _dx("R00.1", "Bradycardia, unspecified"),
)
SECONDARY_DIAGNOSES = (
    _dx("I10", "Essential (primary) hypertension"),
    _dx("E11.9", "Type 2 diabetes mellitus without complications"),
    _dx("E78.5", "Hyperlipidemia, unspecified"),
    _dx("Z87.891", "Personal history of nicotine dependence"),
    _dx("N18.30", "Chronic kidney disease, stage 3 unspecified"),
    _dx("Z79.02", "Long term (current) use of antithrombotics/antiplatelets"),
)
MEDICAL_DIAGNOSES = (
    _dx("J18.9", "Pneumonia, unspecified organism"),
    _dx("I50.22", "Chronic systolic (congestive) heart failure"),
    _dx("J44.9", "Chronic obstructive pulmonary disease, unspecified"),
    _dx("N39.0", "Urinary tract infection, site not specified"),
    _dx("I48.91", "Unspecified atrial fibrillation"),
    _dx("I63.9", "Cerebral infarction, unspecified"),
)
AMBULATORY_DIAGNOSES = (
    _dx("I10", "Essential (primary) hypertension"),
    _dx("E11.9", "Type 2 diabetes mellitus without complications"),
    _dx("I48.0", "Paroxysmal atrial fibrillation"),
    _dx("Z95.5", "Presence of coronary angioplasty implant and graft"),
    _dx("Z95.0", "Presence of cardiac pacemaker"),
    _dx("Z01.810", "Encounter for preprocedural cardiovascular examination"),
    _dx("I50.32", "Chronic diastolic (congestive) heart failure"),
)
ED_DIAGNOSES = (
    _dx("R07.89", "Other chest pain"),
    _dx("R55", "Syncope and collapse"),
    _dx("R10.9", "Unspecified abdominal pain"),
    _dx("M54.50", "Low back pain, unspecified"),
)


def _charge(
    code: str,
    description: str,
    procedure: str,
    revenue: str,
    price: str,
    *,
    system: str = "C4",
    ndc: str = "",
    drug_modifier: str = "",
) -> ChargeDefinition:
    return ChargeDefinition(
        charge_code=code,
        description=description,
        procedure_code=procedure,
        procedure_system=system,
        revenue_code=revenue,
        price=Decimal(price),
        ndc=ndc,
        drug_modifier=drug_modifier,
    )


CHARGES: dict[str, ChargeDefinition] = {
    c.charge_code: c
    for c in (
        _charge("48100010", "HC CATH LAB L HEART CATH W/CORONARY ANGIO", "93458", "0481", "9875.00"),
        _charge("48100020", "HC CATH LAB PCI W/DES SINGLE VESSEL", "92928", "0481", "28450.00"),
        _charge("36000110", "HC OR PACEMAKER INSERT DUAL CHAMBER", "33208", "0360", "21300.00"),
        _charge("36000120", "HC OR PACEMAKER INSERT SINGLE CHAMBER", "33207", "0360", "18750.00"),
        _charge("25000301", "HEPARIN SOD 1000 UNIT/ML INJ", "J1644", "0636", "48.00",
                system="HCPCS", ndc="63323-0540-11"),
        _charge("25000412", "MIDAZOLAM 1 MG/ML INJ 2ML", "J2250", "0636", "36.00",
                system="HCPCS", ndc="00409-2305-17", drug_modifier="JZ"),
        _charge("25000518", "FENTANYL 50 MCG/ML INJ 2ML", "J3010", "0636", "42.00",
                system="HCPCS", ndc="00409-9093-32", drug_modifier="JZ"),
        _charge("25500077", "IOHEXOL 350 MG/ML CONTRAST PER ML", "Q9967", "0255", "2.10",
                system="HCPCS", ndc="00407-1414-59"),
        _charge("11000001", "HC ROOM AND BOARD MED/SURG SEMI-PRIVATE", "", "0120", "2650.00"),
        _charge("21000001", "HC ROOM AND BOARD CORONARY CARE", "", "0210", "5400.00"),
        _charge("45000004", "HC ED VISIT LEVEL 4", "99284", "0450", "2180.00"),
        _charge("51000463", "HC CLINIC VISIT HOSPITAL OUTPATIENT", "G0463", "0510", "410.00",
                system="HCPCS"),
        _charge("30100053", "HC COMPREHENSIVE METABOLIC PANEL", "80053", "0301", "215.00"),
        _charge("30500025", "HC CBC W/AUTO DIFF", "85025", "0305", "98.00"),
        _charge("30100484", "HC TROPONIN QUANTITATIVE", "84484", "0301", "184.00"),
        _charge("73000005", "HC ECG TRACING ONLY", "93005", "0730", "265.00"),
        _charge("PG99213", "OFFICE VISIT EST PT LEVEL 3", "99213", "0510", "165.00"),
        _charge("PG99214", "OFFICE VISIT EST PT LEVEL 4", "99214", "0510", "245.00"),
        _charge("PG93458", "PROF L HEART CATH W/CORONARY ANGIO", "93458", "0481", "1210.00"),
        _charge("PG92928", "PROF PCI W/DES SINGLE VESSEL", "92928", "0481", "1890.00"),
        _charge("PG33208", "PROF PACEMAKER INSERT DUAL CHAMBER", "33208", "0360", "1420.00"),
        _charge("PG33207", "PROF PACEMAKER INSERT SINGLE CHAMBER", "33207", "0360", "1180.00"),
    )
}  # fmt: skip

LAB_PANEL = ("30100053", "30500025", "30100484", "73000005")
"""Charge codes of the ED / pre-procedure work-up."""

PROFESSIONAL_CHARGE = {
    "48100010": "PG93458",
    "48100020": "PG92928",
    "36000110": "PG33208",
    "36000120": "PG33207",
}
"""Facility procedure charge -> the physician group's professional charge (sent with modifier 26
when the service is performed in a facility)."""

PROCEDURES: dict[CaseKind, ProcedureTemplate] = {
    CaseKind.DIAGNOSTIC_CATH: ProcedureTemplate(
        kind=CaseKind.DIAGNOSTIC_CATH,
        charge=CHARGES["48100010"],
        diagnoses=CARDIAC_DIAGNOSES,
        supplies=(
            (ItemCategory.SHEATH, 1, 1, ""),
            (ItemCategory.DIAGNOSTIC_CATHETER, 1, 2, ""),
            (ItemCategory.GUIDEWIRE, 1, 1, ""),
            (ItemCategory.CLOSURE_DEVICE, 0, 1, ""),
        ),
        drugs=("25000301", "25000412", "25000518", "25500077"),
        minutes=45,
    ),
    CaseKind.PCI_DES: ProcedureTemplate(
        kind=CaseKind.PCI_DES,
        charge=CHARGES["48100020"],
        diagnoses=CARDIAC_DIAGNOSES[:4],
        supplies=(
            (ItemCategory.SHEATH, 1, 1, ""),
            (ItemCategory.GUIDE_CATHETER, 1, 1, ""),
            (ItemCategory.GUIDEWIRE, 1, 2, ""),
            (ItemCategory.BALLOON, 1, 2, ""),
            (ItemCategory.STENT, 1, 2, ""),
            (ItemCategory.CLOSURE_DEVICE, 0, 1, ""),
        ),
        drugs=("25000301", "25000412", "25000518", "25500077"),
        minutes=90,
        coronary_modifier=True,
    ),
    CaseKind.PACEMAKER_DUAL: ProcedureTemplate(
        kind=CaseKind.PACEMAKER_DUAL,
        charge=CHARGES["36000110"],
        diagnoses=RHYTHM_DIAGNOSES,
        supplies=(
            (ItemCategory.SHEATH, 1, 1, "PEEL-AWAY"),
            (ItemCategory.PACEMAKER, 1, 1, "DUAL"),
            (ItemCategory.LEAD, 1, 1, "ATRIAL"),
            (ItemCategory.LEAD, 1, 1, "VENTRICULAR"),
        ),
        drugs=("25000412", "25000518"),
        minutes=75,
    ),
    CaseKind.PACEMAKER_SINGLE: ProcedureTemplate(
        kind=CaseKind.PACEMAKER_SINGLE,
        charge=CHARGES["36000120"],
        diagnoses=RHYTHM_DIAGNOSES,
        supplies=(
            (ItemCategory.SHEATH, 1, 1, "PEEL-AWAY"),
            (ItemCategory.PACEMAKER, 1, 1, "SINGLE"),
            (ItemCategory.LEAD, 1, 1, "VENTRICULAR"),
        ),
        drugs=("25000412", "25000518"),
        minutes=60,
    ),
}

CORONARY_MODIFIERS = ("LD", "LC", "RC")
"""HCPCS coronary artery modifiers: left anterior descending, left circumflex, right coronary."""

ALL_DIAGNOSES = (
    CARDIAC_DIAGNOSES
    + RHYTHM_DIAGNOSES
    + SECONDARY_DIAGNOSES
    + MEDICAL_DIAGNOSES
    + AMBULATORY_DIAGNOSES
    + ED_DIAGNOSES
)
