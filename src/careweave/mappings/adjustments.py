"""What a CAS adjustment means: its group, CARC and RARCs become a kind and a denial category.

Part of the 835 mapping (:mod:`careweave.mappings.x12_remittance`): the meaning of a remittance is
decided here, once, and flows and revenue-cycle rules read the events it yields.

Rules, in order:

1. Group ``PR`` always assigns the amount to the patient; a denial reason (``PR-204``,
   non-covered under the plan) still gets its category so patient access can explain the bill.
2. Otherwise the CARC decides the kind (contractual, denial, write-off, patient share) and, for
   denials, the category; a CARC not in the table is a denial of category ``other``.
3. A generic CARC (16, 96, 125, 252, A1) or an unknown one takes the category of the first
   remark code that names one.

The category's route (owning team and suggested action) comes from a :class:`DenialPolicy`,
which a health system may override per category.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from careweave.mappings.carc import CARC_RULES
from careweave.mappings.rarc import RARC_CATEGORIES
from careweave.model.revenue import AdjustmentKind, DenialCategory, DenialClassification

C = DenialCategory

PATIENT_GROUP = "PR"
ADJUSTMENT_GROUPS = frozenset({"CO", "PR", "OA", "PI", "CR"})
"""CAS01 claim adjustment group codes (CR is retired in 5010 but still seen)."""


@dataclass(frozen=True, slots=True)
class DenialRoute:
    """Who works a category of denials and what they usually do."""

    owner_team: str
    suggested_action: str


DEFAULT_DENIAL_ROUTES: Mapping[DenialCategory, DenialRoute] = MappingProxyType(
    {
        C.ELIGIBILITY: DenialRoute(
            "patient-access",
            "Verify coverage and coordination of benefits for the date of service; correct the "
            "registration and rebill the right payer, or bill the patient.",
        ),
        C.AUTHORIZATION: DenialRoute(
            "utilization-management",
            "Find or obtain the authorization (retro-authorization where the payer allows it); "
            "add it and resubmit, or appeal with the clinical record.",
        ),
        C.CODING: DenialRoute(
            "coding",
            "Review codes, modifiers and diagnosis pointers against the documentation; send a "
            "corrected claim (frequency 7).",
        ),
        C.MEDICAL_NECESSITY: DenialRoute(
            "clinical-documentation",
            "Gather the documentation and the LCD/NCD criteria; appeal with a letter of medical "
            "necessity or request a peer-to-peer review.",
        ),
        C.TIMELY_FILING: DenialRoute(
            "billing",
            "Find proof of timely filing (999/277CA acceptance); appeal with it, else write off.",
        ),
        C.DUPLICATE: DenialRoute(
            "billing",
            "Check whether the original was paid; void the duplicate, or resubmit with a repeat "
            "or distinct-service modifier when the services were separate.",
        ),
        C.BUNDLING: DenialRoute(
            "coding",
            "Check the NCCI edit; when the services were distinct add 59/XE/XS/XP/XU with "
            "documentation and resubmit, otherwise adjust off.",
        ),
        C.OTHER: DenialRoute(
            "denials-management",
            "Read the remark codes and the payer's explanation; route to the right team.",
        ),
    }
)


@dataclass(frozen=True, slots=True)
class DenialPolicy:
    """Routes per denial category; pass overrides for a health system's own teams."""

    routes: Mapping[DenialCategory, DenialRoute] = dataclasses.field(
        default_factory=lambda: DEFAULT_DENIAL_ROUTES
    )
    """Owner team and suggested action per category; every category must be present."""

    def route(self, category: DenialCategory) -> DenialRoute:
        """The route of a category."""
        return self.routes[category]


def classify_adjustment(
    group_code: str, carc: str, rarcs: Iterable[str] = (), policy: DenialPolicy | None = None
) -> DenialClassification:
    """What one CAS adjustment means: kind, category, owner and suggested action."""
    policy = policy or DenialPolicy()
    group = group_code.strip().upper()
    code = carc.strip().upper()
    remarks = tuple(r.strip().upper() for r in rarcs if r.strip())
    rule = CARC_RULES.get(code)
    category: DenialCategory | None
    if rule is None:
        kind, category, decided_by, refine = AdjustmentKind.DENIAL, C.OTHER, "default", True
    else:
        kind, category, decided_by, refine = rule.kind, rule.category, "carc", rule.generic
    if refine:
        for remark in remarks:
            hinted = RARC_CATEGORIES.get(remark)
            if hinted is not None:
                category, decided_by = hinted, f"rarc:{remark}"
                break
    if group == PATIENT_GROUP:
        kind = AdjustmentKind.PATIENT_RESPONSIBILITY
    route = policy.route(category) if category is not None else None
    return DenialClassification(
        kind=kind,
        group_code=group,
        carc=code,
        rarcs=remarks,
        category=category,
        owner_team=route.owner_team if route else None,
        suggested_action=route.suggested_action if route else None,
        decided_by=decided_by,
    )
