"""Flows by name, as channels name them in configuration (``flows = ["supply-to-replenish"]``).

A flow factory receives the :class:`FlowContext`, which carries the domain services (master data)
the caller built; flows take what they need from it and fail with a ConfigError naming what is missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from careweave.exceptions import ConfigError
from careweave.flows.base import BaseFlow

T = TypeVar("T")


@dataclass
class FlowContext:
    """Domain services for flows, by name (``items``: the item crosswalk, ``cost_centers``, ...)."""

    services: dict[str, object] = field(default_factory=dict)

    def service(self, name: str, kind: type[T]) -> T:
        """The service registered as ``name``, checked to be a ``kind``."""
        found = self.services.get(name)
        if not isinstance(found, kind):
            raise ConfigError(
                f"flow needs the {name!r} service ({kind.__name__}); none is configured"
            )
        return found


FlowFactory = Callable[[FlowContext], BaseFlow]

FLOWS: dict[str, FlowFactory] = {}


def register_flow(name: str, factory: FlowFactory) -> None:
    """Make a flow available to configuration under ``name``."""
    FLOWS[name] = factory


def build_flow(name: str, context: FlowContext) -> BaseFlow:
    """The named flow, built with ``context``."""
    _load_builtin_flows()
    try:
        factory = FLOWS[name]
    except KeyError:
        raise ConfigError(f"unknown flow {name!r}; known: {sorted(FLOWS)}") from None
    return factory(context)


def _load_builtin_flows() -> None:
    """Import the modules that register careweave's own flows (kept lazy: they pull in domain code)."""
    import importlib

    for module in BUILTIN_FLOW_MODULES:
        importlib.import_module(module)


BUILTIN_FLOW_MODULES: list[str] = [
    f"careweave.flows.{m}"
    for m in ("supply_to_replenish", "cost_allocation", "finance_posting", "month_end_close")
] + [
    f"careweave.flows.{m}"
    for m in (
        "patient_to_billing",
        "remittance_posting",
        "denial_to_adjustment",
        "claim_rejections",
    )
]
"""Modules that call :func:`register_flow` on import; each flow module adds itself here."""
