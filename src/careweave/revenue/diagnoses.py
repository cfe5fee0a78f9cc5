"""ICD-10-CM diagnosis codes, checked against the official code list.

The list comes from the ``simple-icd-10-cm`` package (maintained from the CDC/CMS release), so the
project never copies it. Only categories, subcategories and seven-character codes are diagnosis
codes: chapters ("1") and blocks ("A00-A09") are rejected, and a valid code with children (a
header such as ``I21``) is not billable.
"""

from __future__ import annotations

import enum
import re
import warnings
from types import ModuleType
from typing import Protocol

# Letter, digit, alphanumeric, then optionally a dot and up to four alphanumerics.
_ICD10_SHAPE = re.compile(r"[A-Z]\d[0-9A-Z](\.?[0-9A-Z]{1,4})?")


class DiagnosisStatus(enum.StrEnum):
    """What the official list says about a diagnosis code."""

    BILLABLE = "billable"
    NOT_BILLABLE = "not_billable"
    """A valid header code that has more specific children."""
    INVALID = "invalid"


class DiagnosisCodeSet(Protocol):
    """A diagnosis code list the charge validator consults."""

    def status(self, code: str) -> DiagnosisStatus:
        """Whether a code is billable, a non-billable header, or not a code at all."""
        ...


def normalize_icd10(code: str) -> str:
    """Upper-case, trimmed, with the dot after the third character when there are more."""
    value = code.strip().upper().replace(".", "")
    if len(value) > 3:
        return value[:3] + "." + value[3:]
    return value


class Icd10CmCodeSet:
    """The ICD-10-CM list shipped by ``simple-icd-10-cm``, loaded on first use (about 2 s)."""

    def __init__(self) -> None:
        self._module: ModuleType | None = None

    def _icd(self) -> ModuleType:
        if self._module is None:
            with warnings.catch_warnings():
                # The package reads its data through a deprecated importlib.resources call.
                warnings.simplefilter("ignore", DeprecationWarning)
                import simple_icd_10_cm

            self._module = simple_icd_10_cm
        return self._module

    def status(self, code: str) -> DiagnosisStatus:
        """Whether a code is billable, a non-billable header, or not in the list."""
        raw = code.strip().upper()
        # Reject a misplaced dot ("I2.14") before normalising it away.
        if not _ICD10_SHAPE.fullmatch(raw):
            return DiagnosisStatus.INVALID
        value = normalize_icd10(raw)
        icd = self._icd()
        if not icd.is_valid_item(value):
            return DiagnosisStatus.INVALID
        if not (icd.is_category_or_subcategory(value) or icd.is_extended_subcategory(value)):
            return DiagnosisStatus.INVALID
        if icd.is_leaf(value):
            return DiagnosisStatus.BILLABLE
        return DiagnosisStatus.NOT_BILLABLE
