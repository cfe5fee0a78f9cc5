"""The payer master: who pays claims, how claims to them are filed, and their fee schedules.

A payer is named on a claim (NM1*PR, 2010BB) by its payer id; its fee schedule is the allowed
amount per unit by procedure code, which is what a remittance's contractual adjustment is checked
against.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal

import msgspec


class Payer(msgspec.Struct, frozen=True, kw_only=True):
    """One payer."""

    payer_id: str
    """The id claims name in NM1*PR (2010BB) and 835s in N1*PR."""
    name: str
    claim_filing: str = "CI"
    """SBR09 claim filing indicator (``MA`` Medicare A, ``MC`` Medicaid, ``CI`` commercial)."""


class FeeScheduleRate(msgspec.Struct, frozen=True, kw_only=True):
    """The allowed amount per unit of one procedure under one payer's contract."""

    payer_id: str
    procedure_code: str
    allowed: Decimal


class PayerDirectory:
    """Payers by id, with their fee schedules."""

    def __init__(self, payers: Iterable[Payer], rates: Iterable[FeeScheduleRate] = ()) -> None:
        self._payers = {p.payer_id: p for p in payers}
        self._fees: dict[str, dict[str, Decimal]] = {}
        for rate in rates:
            self._fees.setdefault(rate.payer_id, {})[rate.procedure_code] = rate.allowed

    def get(self, payer_id: str) -> Payer | None:
        """The payer, or None when unknown."""
        return self._payers.get(payer_id)

    def __contains__(self, payer_id: object) -> bool:
        return payer_id in self._payers

    def payers(self) -> list[Payer]:
        """Every payer, by id."""
        return [self._payers[k] for k in sorted(self._payers)]

    def fee_schedule(self, payer_id: str) -> Mapping[str, Decimal]:
        """Allowed amount per unit by procedure code (empty for a payer without one)."""
        return self._fees.get(payer_id, {})

    def allowed(self, payer_id: str, procedure_code: str) -> Decimal | None:
        """The contracted amount per unit, or None when the schedule does not list the code."""
        return self.fee_schedule(payer_id).get(procedure_code)
