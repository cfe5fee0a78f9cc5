"""Procedure code and modifier formats: CPT, HCPCS Level II and their modifiers.

Only formats are checked here, never descriptors: CPT descriptors are AMA property and careweave does
not ship them. A CPT code is five digits (Category I) or four digits followed by ``F``
(Category II, performance measures) or ``T`` (Category III, emerging technology). A HCPCS Level II
code is a letter A-V followed by four digits.
"""

from __future__ import annotations

import enum
import re

_CPT_CATEGORY_I = re.compile(r"\d{5}")
_CPT_CATEGORY_II_III = re.compile(r"\d{4}[FT]")
_HCPCS_LEVEL_II = re.compile(r"[A-V]\d{4}")
_MODIFIER = re.compile(r"[A-Z0-9]{2}")

MAX_MODIFIERS = 4
"""Claim formats carry at most four modifiers per service line (SV1-01-3 to -6)."""

#: A compact list of commonly used, currently valid CPT and HCPCS modifiers (codes only).
#: Unlisted modifiers are reported as warnings, not errors: the list is deliberately short.
COMMON_MODIFIERS: frozenset[str] = frozenset(
    {
        # CPT modifiers
        "22", "23", "24", "25", "26", "27", "32", "33", "47", "50", "51", "52", "53", "54",
        "55", "56", "57", "58", "59", "62", "63", "66", "73", "74", "76", "77", "78", "79",
        "80", "81", "82", "90", "91", "92", "93", "95", "96", "97", "99",
        # HCPCS Level II modifiers: anatomy
        "LT", "RT", "E1", "E2", "E3", "E4", "FA", "F1", "F2", "F3", "F4", "F5", "F6", "F7",
        "F8", "F9", "TA", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "LC", "LD",
        "LM", "RC", "RI",
        # components, distinct services, liability notices, therapy and drugs
        "TC", "XE", "XP", "XS", "XU", "GA", "GX", "GY", "GZ", "GC", "GE", "GG", "GN", "GO",
        "GP", "GT", "GV", "GW", "KX", "JW", "JZ", "JG", "JB", "KO", "KP", "KQ", "QW", "QK",
        "QX", "QY", "QZ", "AS", "AA", "AD", "CO", "CQ", "CR", "CS", "FQ", "FR", "FS", "FT",
        "FX", "FY", "PD", "PN", "PO", "PT", "Q5", "Q6", "QS", "SA", "SB", "SU", "UN",
        "UP", "UQ", "UR", "US", "ET", "EY", "KS", "NU", "RR", "UE", "BP", "BR", "BU",
    }
)  # fmt: skip


class ProcedureCodeSystem(enum.StrEnum):
    """The code system a procedure code belongs to, decided by its format."""

    CPT_CATEGORY_I = "cpt_i"
    CPT_CATEGORY_II = "cpt_ii"
    CPT_CATEGORY_III = "cpt_iii"
    HCPCS_LEVEL_II = "hcpcs_ii"


def procedure_code_system(code: str) -> ProcedureCodeSystem | None:
    """The code system of a well-formed CPT/HCPCS code, or None when the format is wrong."""
    if _CPT_CATEGORY_I.fullmatch(code):
        return ProcedureCodeSystem.CPT_CATEGORY_I
    if _CPT_CATEGORY_II_III.fullmatch(code):
        if code.endswith("F"):
            return ProcedureCodeSystem.CPT_CATEGORY_II
        return ProcedureCodeSystem.CPT_CATEGORY_III
    if _HCPCS_LEVEL_II.fullmatch(code):
        return ProcedureCodeSystem.HCPCS_LEVEL_II
    return None


def is_drug_code(code: str) -> bool:
    """Whether a HCPCS code bills a drug: J codes, drugs administered other than by mouth."""
    return bool(_HCPCS_LEVEL_II.fullmatch(code)) and code[0] == "J"


def is_modifier_format(modifier: str) -> bool:
    """Whether a modifier is two upper-case alphanumerics."""
    return bool(_MODIFIER.fullmatch(modifier))
