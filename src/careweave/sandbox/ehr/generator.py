"""The simulated EHR's feed: one seed, one byte-identical stream of HL7 v2 messages.

::

    scenario = generate_scenario(EhrScenarioConfig(seed=7, days=2, encounters_per_day=50))
    for message in scenario.messages:
        ...  # message.raw, message.malformed, message.patient_key
    erp_items = scenario.catalog.erp_items()   # the ERP item master (minus the mismatches)

Each part draws from its own ``random.Random`` derived from the seed (``"<seed>:<part>"``), so
changing one part of the simulation does not reshuffle the others; the enterprise (system, catalog,
population) draws from ``enterprise_seed`` when one is set. Nothing reads the wall clock.
"""

from __future__ import annotations

import random

import msgspec

from careweave.sandbox.ehr.catalog import ItemCatalog, build_item_catalog
from careweave.sandbox.ehr.config import EhrScenarioConfig
from careweave.sandbox.ehr.malformed import damage
from careweave.sandbox.ehr.messages import GeneratedMessage, MalformedKind
from careweave.sandbox.ehr.organization import HealthSystem, build_health_system
from careweave.sandbox.ehr.population import Patient, build_population
from careweave.sandbox.ehr.render import MessageWriter
from careweave.sandbox.ehr.simulation import Simulation


class EhrScenario(msgspec.Struct, frozen=True):
    """A generated feed with the enterprise, catalog and population behind it."""

    config: EhrScenarioConfig
    system: HealthSystem
    catalog: ItemCatalog
    patients: tuple[Patient, ...]
    messages: tuple[GeneratedMessage, ...]

    def well_formed(self) -> tuple[GeneratedMessage, ...]:
        """The messages a receiver must accept."""
        return tuple(m for m in self.messages if m.malformed is None)


def _rng(config: EhrScenarioConfig, part: str) -> random.Random:
    return random.Random(f"{config.seed}:{part}")


def _enterprise_seed(config: EhrScenarioConfig) -> int:
    return config.seed if config.enterprise_seed is None else config.enterprise_seed


def generate_scenario(config: EhrScenarioConfig) -> EhrScenario:
    """Simulate the configured days and write every event as its sender would."""
    enterprise = _enterprise_seed(config)
    system = build_health_system(random.Random(f"{enterprise}:system"))
    catalog = build_item_catalog(enterprise, config.item_mismatch_rate)
    size = config.patients or max(10, 2 * config.encounters_per_day * config.days)
    patients = build_population(random.Random(f"{enterprise}:patients"), size, config.start_date)
    events = Simulation(config, system, patients, catalog, _rng(config, "encounters")).run()
    writer = MessageWriter(_rng(config, "control-ids"), system.empi_authority)
    messages = [writer.write(event, n) for n, event in enumerate(events)]
    if config.malformed_rate > 0 and events:
        rng = _rng(config, "malformed")
        count = round(len(events) * config.malformed_rate / (1 - config.malformed_rate))
        kinds = list(MalformedKind)
        for n in range(count):
            kind = kinds[n % len(kinds)]
            # A fresh rendering with its own MSH-10, so the copy never collides with the original.
            fresh = writer.write(rng.choice(events), 0)
            broken = msgspec.structs.replace(
                fresh,
                raw=damage(fresh.raw, kind, rng),
                control_id=fresh.control_id if kind is MalformedKind.INVALID_ENCODING else "",
                malformed=kind,
            )
            messages.insert(rng.randrange(len(messages) + 1), broken)
    numbered = tuple(msgspec.structs.replace(m, sequence=n) for n, m in enumerate(messages))
    return EhrScenario(
        config=config, system=system, catalog=catalog, patients=patients, messages=numbered
    )
