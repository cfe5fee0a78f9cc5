"""``[[sla]]``: service levels per interface, evaluated continuously while the engine runs.

Each entry watches one measure of one interface against a threshold (charge delivery under 15
minutes, journal posting under 5, a queue under a bound, no more than N cases of a reason open).
A breach opens one exception case for the owning team, which ``[notifications]`` tells once (and
again when the case's own deadline passes); when the measure is back within the threshold the case
is resolved and the team is told it recovered (see :mod:`careweave.app.sla`).
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

SlaMeasure = Literal["oldest_pending_seconds", "queue_depth", "open_cases"]
"""``oldest_pending_seconds``: age of the oldest effect not yet delivered to ``destination`` (of
``content_type`` when given): how late the slowest delivery is; ``queue_depth``: effects pending or
in flight for ``destination``; ``open_cases``: open exception cases of ``reason``."""


class SlaConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One service level."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.-]+$")]
    """Identifies the service level (its case key is ``sla:<name>``)."""
    measure: SlaMeasure
    threshold: Annotated[float, msgspec.Meta(ge=0)]
    """Breached when the measure is above it (seconds, effects or cases)."""
    team: Annotated[str, msgspec.Meta(min_length=1)]
    """The owning team told of a breach and of the recovery."""
    destination: str = ""
    """The destination watched (``oldest_pending_seconds``, ``queue_depth``)."""
    content_type: str = ""
    """Only effects of this content type (``application/vnd.careweave.journal+json``)."""
    reason: str = ""
    """The case reason code counted (``open_cases``), e.g. ``ITEM_NOT_IN_CROSSWALK``."""
    response_hours: Annotated[float, msgspec.Meta(gt=0)] = 4.0
    """Hours the team has to act before the breach case escalates."""

    def __post_init__(self) -> None:
        if self.measure in ("oldest_pending_seconds", "queue_depth") and not self.destination:
            raise ValueError(f"sla {self.name}: {self.measure} needs a destination")
        if self.measure == "open_cases" and not self.reason:
            raise ValueError(f"sla {self.name}: open_cases needs a reason")


def case_key(config: SlaConfig) -> str:
    """The key of the exception case a breach of ``config`` opens."""
    return f"sla:{config.name}"
