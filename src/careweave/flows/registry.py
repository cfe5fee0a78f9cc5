"""Flows by name, as channels name them in configuration (``flows = ["supply-to-replenish"]``).

A :class:`FlowRegistry` is an instance the composition root builds and hands to the engine: nothing
registers itself on import. :func:`builtin_flows` gives careweave's own; third-party packages add
theirs through the ``careweave.flows`` entry-point group (loaded by the composition root), and a
test builds a registry with just the flows it needs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from careweave.exceptions import ConfigError
from careweave.flows.base import BaseFlow
from careweave.flows.services import FlowServices

FlowFactory = Callable[[FlowServices], BaseFlow]
"""Builds a flow from the domain services; raises ConfigError naming missing master data."""


class FlowRegistry:
    """Flow factories by configuration name."""

    def __init__(self, factories: Mapping[str, FlowFactory] | None = None) -> None:
        self._factories: dict[str, FlowFactory] = dict(factories or {})

    def register(self, name: str, factory: FlowFactory) -> None:
        """Make a flow available to configuration under ``name`` (a second use of a name fails)."""
        if name in self._factories:
            raise ConfigError(f"flow {name!r} is registered twice")
        self._factories[name] = factory

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        return name in self._factories

    def build(self, name: str, services: FlowServices) -> BaseFlow:
        """The named flow, built with ``services``."""
        try:
            factory = self._factories[name]
        except KeyError:
            raise ConfigError(f"unknown flow {name!r}; known: {self.names()}") from None
        return factory(services)

    def build_all(self, names: Iterable[str], services: FlowServices) -> list[BaseFlow]:
        """The named flows, in order."""
        return [self.build(name, services) for name in names]


def builtin_flows() -> FlowRegistry:
    """careweave's own flows (imported here, lazily: they pull in domain code)."""
    from careweave.flows.claim_acknowledgments import build_claim_acknowledgments
    from careweave.flows.claim_rejections import build_claim_rejections
    from careweave.flows.claim_submission import build_claim_submission
    from careweave.flows.cost_allocation import build_cost_allocation
    from careweave.flows.denial_to_adjustment import build_denial_to_adjustment
    from careweave.flows.finance_posting import build_finance_posting
    from careweave.flows.month_end_close import build_month_end_close
    from careweave.flows.patient_index import build_patient_index
    from careweave.flows.patient_to_billing import build_patient_to_billing
    from careweave.flows.remittance_posting import build_remittance_posting
    from careweave.flows.supply_to_replenish import build_supply_to_replenish

    return FlowRegistry(
        {
            "supply-to-replenish": build_supply_to_replenish,
            "cost-allocation": build_cost_allocation,
            "finance-posting": build_finance_posting,
            "month-end-close": build_month_end_close,
            "patient-to-billing": build_patient_to_billing,
            "remittance-posting": build_remittance_posting,
            "denial-to-adjustment": build_denial_to_adjustment,
            "claim-rejections": build_claim_rejections,
            "claim-submission": build_claim_submission,
            "claim-acknowledgments": build_claim_acknowledgments,
            "patient-index": build_patient_index,
        }
    )
