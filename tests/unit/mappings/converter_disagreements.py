"""Where careweave and microsoft/FHIR-Converter's expected Bundles knowingly differ.

Each entry names the corpus message, the fact, and why careweave's reading is the right one.
The agreement test skips exactly these facts and fails on any other difference.
"""

from __future__ import annotations

DISAGREEMENTS: dict[tuple[str, str], str] = {}
"""(message, fact) -> reason. Empty today: every compared fact agrees with the converter."""

UNMAPPED: dict[str, str] = {
    "ADT^A09": "patient departing (tracking): no business effect careweave acts on",
    "ADT^A10": "patient arriving (tracking): no business effect careweave acts on",
    "ADT^A14": "pending admit: nothing is billed or stocked until the admission (A01)",
    "ADT^A15": "pending transfer: acted on when the transfer (A02) happens",
    "ADT^A16": "pending discharge: acted on when the discharge (A03) happens",
    "ADT^A25": "cancel pending discharge: pending events are not mapped",
    "ADT^A26": "cancel pending transfer: pending events are not mapped",
    "ADT^A27": "cancel pending admit: pending events are not mapped",
    "ADT^A29": "delete person information: needs the MPI (masterdata), not issue 3",
    "ADT^A41": "merge account: account-level merge belongs to revenue (issue 4)",
    "ADT^A45": "move visit information: needs the MPI (masterdata), not issue 3",
    "ADT^A60": "update allergy information: clinical detail no flow consumes",
    "BAR^P02": "purge patient accounts: archival, no business event",
    "MDM^T01": "documents: out of issue 3's scope",
    "MDM^T02": "documents: out of issue 3's scope",
    "MDM^T05": "documents: out of issue 3's scope",
    "MDM^T06": "documents: out of issue 3's scope",
    "MDM^T09": "documents: out of issue 3's scope",
    "MDM^T10": "documents: out of issue 3's scope",
    "OMG^O19": "general clinical orders: only ORM O01 / OML O21 are mapped so far",
    "ORU^R01": "results: out of issue 3's scope",
    "OUL^R22": "lab results: out of issue 3's scope",
    "OUL^R23": "lab results: out of issue 3's scope",
    "OUL^R24": "lab results: out of issue 3's scope",
    "RDE^O11": "pharmacy orders: out of issue 3's scope",
    "RDE^O25": "pharmacy orders: out of issue 3's scope",
    "RDS^O13": "pharmacy dispense: out of issue 3's scope",
    "REF^I12": "referrals: out of issue 3's scope",
    "REF^I14": "referrals: out of issue 3's scope",
    "SIU^S16": "appointment discontinuation: only S12-S15 are mapped so far",
    "SIU^S17": "appointment deletion: only S12-S15 are mapped so far",
    "SIU^S26": "no-show: only S12-S15 are mapped so far",
    "VXU^V04": "immunizations: out of issue 3's scope",
}
"""Corpus message types careweave does not map (they raise MappingError), with the reason."""
