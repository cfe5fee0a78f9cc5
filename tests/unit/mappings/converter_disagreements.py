"""Where careweave and microsoft/FHIR-Converter's expected Bundles knowingly differ.

Each entry names the corpus message, the fact, and why careweave's reading is the right one.
The agreement test skips exactly these facts and fails on any other difference.
"""

from __future__ import annotations

DISAGREEMENTS: dict[tuple[str, str], str] = {
    ("ADT-A27-01", "encounter.period.start"): (
        "A27 cancels a pending admission: the converter's period.start is the expected admit time "
        "(PV2-8, 11:34:19+01:10); careweave's encounter keeps the admit time PV1-44 as sent "
        "(11:34:20+01:10)"
    ),
}
"""(message, fact) -> reason."""

UNMAPPED: dict[str, str] = {}
"""Corpus message types careweave does not map (they raise MappingError), with the reason."""
