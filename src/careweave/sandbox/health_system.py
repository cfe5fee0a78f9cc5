"""The simulated health system of the example settings: one enterprise, a new day for each seed.

Riverbend Health (:mod:`careweave.sandbox.ehr.organization`) with a fixed enterprise seed: its
facility NPIs, providers, patient population and the catalog codes its ERP lacks are the same every
day, so that one set of master data (``examples/health-system/masterdata``, written by
:mod:`careweave.sandbox.masterdata_export`) fits every day ``careweave sandbox send`` generates.
A day's own seed picks its encounters, events and deliberate defects.

::

    day = simulated_day(seed=7, encounters=300)      # the same seed gives the same bytes
    books = enterprise()                              # the system, catalog and population alone
"""

from __future__ import annotations

from careweave.sandbox.ehr import EhrScenario, EhrScenarioConfig, generate_scenario

ENTERPRISE_SEED = 2025
"""Seed of the enterprise behind the example's master data (NPIs, providers, patients)."""
POPULATION = 1000
"""Patients known to the enterprise (its master patient index); each day's encounters draw from it."""
ITEM_MISMATCH_RATE = 0.1
"""Share of the EHR's supply codes missing from the ERP crosswalk (they park on a case)."""
MALFORMED_RATE = 0.02
"""Share of a day's messages damaged on purpose (the engine stores them and answers AR)."""
OPENING_STOCK, PAR, REORDER_POINT = 100, 100, 90
"""Each item at each location: on hand at the start, par level and reorder point (a busy cath
lab uses some items close to fifty times on a 300-encounter day; the ERP receives no deliveries)."""


def day_config(
    seed: int, encounters: int, *, malformed_rate: float = MALFORMED_RATE
) -> EhrScenarioConfig:
    """The scenario settings of one day of the enterprise: ``encounters`` started on it."""
    return EhrScenarioConfig(
        seed=seed,
        enterprise_seed=ENTERPRISE_SEED,
        patients=POPULATION,
        encounters_per_day=encounters,
        malformed_rate=malformed_rate,
        item_mismatch_rate=ITEM_MISMATCH_RATE,
    )


def simulated_day(
    seed: int, encounters: int, *, malformed_rate: float = MALFORMED_RATE
) -> EhrScenario:
    """One simulated EHR day (stays that began on it run to their discharge)."""
    return generate_scenario(day_config(seed, encounters, malformed_rate=malformed_rate))


def enterprise() -> EhrScenario:
    """The enterprise alone: its system, catalog and population, and no traffic."""
    return simulated_day(ENTERPRISE_SEED, 0, malformed_rate=0.0)
