"""The message types each of careweave's mappings turns into events (the catalog's default for a
channel without ``accept``)."""

from __future__ import annotations

from collections.abc import Callable


def _hl7v2_clinical() -> list[str]:
    from careweave.mappings.hl7v2_clinical import MAPPERS

    return sorted(f"{code}^{trigger}" for code, trigger in MAPPERS)


_FHIR = ["Account", "Bundle", "ChargeItem", "DeviceUseStatement", "Encounter", "Patient",
         "Procedure", "SupplyDelivery"]  # fmt: skip
"""The resources ``fhir-clinical`` maps (docs of :mod:`careweave.mappings.fhir_clinical`)."""

_SUPPORTED: dict[str, Callable[[], list[str]]] = {
    "hl7v2-clinical": _hl7v2_clinical,
    "fhir-clinical": lambda: list(_FHIR),
    "x12-835-finance": lambda: ["835"],
    "x12-claim-status": lambda: ["277", "999"],
    "x12-revenue": lambda: ["277", "835", "999"],
}


def mapping_message_types(mapping: str | None) -> list[str]:
    """What ``mapping`` maps, sorted; empty for no mapping or a plugin's (it does not say)."""
    supported = _SUPPORTED.get(mapping) if mapping is not None else None
    return supported() if supported is not None else []
