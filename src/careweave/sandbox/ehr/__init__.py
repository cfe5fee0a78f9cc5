"""The simulated EHR: a regional health system's HL7 v2 traffic, deterministic from a seed.

Two hospitals (one on an Epic-like system, one on a Cerner-like system), an ambulatory clinic group
and a physician group send ADT (A01/A02/A03/A04/A08/A11/A12/A13/A40), ORM^O01, SIU^S12-S15 and
DFT^P03 with cath-lab cases, their supplies and implants (FT1 + ZSU, see
:mod:`careweave.sandbox.ehr.financial`), optionally with deliberately malformed messages.
"""

from careweave.sandbox.ehr.catalog import CatalogItem, ItemCatalog, ItemCategory, build_item_catalog
from careweave.sandbox.ehr.checkdigits import is_valid_gtin, is_valid_npi
from careweave.sandbox.ehr.config import EhrScenarioConfig, EncounterMix, EventRates
from careweave.sandbox.ehr.delivery import FeedReport, ResendPolicy, deliver_feed
from careweave.sandbox.ehr.generator import EhrScenario, generate_scenario
from careweave.sandbox.ehr.messages import GeneratedMessage, MalformedKind
from careweave.sandbox.ehr.sender import SendResult, send_scenario

__all__ = [
    "CatalogItem",
    "EhrScenario",
    "EhrScenarioConfig",
    "EncounterMix",
    "EventRates",
    "FeedReport",
    "GeneratedMessage",
    "ItemCatalog",
    "ItemCategory",
    "MalformedKind",
    "ResendPolicy",
    "SendResult",
    "build_item_catalog",
    "deliver_feed",
    "generate_scenario",
    "is_valid_gtin",
    "is_valid_npi",
    "send_scenario",
]
