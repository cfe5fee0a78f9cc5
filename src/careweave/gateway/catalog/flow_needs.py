"""What a flow needs and where it sends, asked of the flow's own factory.

A flow factory takes its master data with :meth:`FlowServices.need` and its destinations from
``FlowServices.*_destination``; building it once with a :class:`_Probe` records both, so the
catalog states what the code does rather than a table that could drift from it. The probe answers
each ``need`` with a stand-in: a factory that then uses the stand-in fails, which is fine (its
needs were recorded as its arguments were evaluated) and is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, TypeVar

from careweave.flows.registry import FlowRegistry
from careweave.flows.services import FlowServices

T = TypeVar("T")

_DESTINATION_ATTRIBUTES = ("destination", "rcm_destination")
"""Where a built flow keeps the destinations it sends to."""


class _StandIn:
    """What the probe hands a factory instead of master data."""


@dataclass(frozen=True, kw_only=True)
class _Probe(FlowServices):
    asked: list[str] = field(default_factory=list)
    sends: list[str] = field(default_factory=list)

    def need(self, value: T | None, name: str, flow: str) -> T:
        self.asked.append(name)
        return value if value is not None else _StandIn()  # type: ignore[return-value]

    def __getattribute__(self, name: str) -> Any:
        value = object.__getattribute__(self, name)
        if name.endswith("_destination"):
            object.__getattribute__(self, "sends").append(value)
        elif name == "claims":  # built from [claims] and each entity's billing provider
            object.__getattribute__(self, "asked").append("entities")
        return value


@dataclass(frozen=True)
class FlowNeeds:
    """A flow's master data and destinations."""

    master_data: list[str]
    sends_to: list[str]


def flow_needs(registry: FlowRegistry, name: str) -> FlowNeeds:
    """What flow ``name`` needs and where it sends (empty for a flow the registry lacks)."""
    probe = _Probe(claims=_StandIn())  # type: ignore[arg-type]
    flow: object = None
    try:
        flow = registry.build(name, probe)
    except Exception:  # a stand-in used at build time: the needs are recorded all the same
        flow = None
    # A flow that names its destination itself (remittance-posting's general ledger).
    sends = {v for a in _DESTINATION_ATTRIBUTES if isinstance(v := getattr(flow, a, None), str)}
    return FlowNeeds(
        master_data=sorted(set(probe.asked)),
        sends_to=sorted({*probe.sends, *sends}),
    )
