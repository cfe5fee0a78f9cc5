"""The whole day's verdict: charges billed once, supplies moved once, journals balanced, totals equal.

Each check compares what careweave holds with what another system holds, and lists its breaks by
name (the first few are shown):

- *billed once* and *totals equal*: :func:`careweave.revenue.reconciliation.reconcile` (charges
  against the claim register and the platform's unbilled accounts) and its books (the ERP's GL and
  trial balance against the raw 837/835 files and the platform's A/R);
- *moved once*: careweave's stored stock positions against the ERP's on hand, for every item at
  every location (a movement lost or posted twice leaves them apart);
- *balanced*: every journal the ERP holds, per legal entity (intercompany pairs balance in each);
- *exceptions only where the scenario injected faults*: each open case and each message in error
  must be explained by a fault the simulators planted (a code left out of the crosswalk, a damaged
  message, a payer's denial or rejection).
"""

from __future__ import annotations

import collections
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from careweave.erp.inventory import StockPosition
from careweave.model.records import ExceptionCase
from careweave.revenue.books import Break
from careweave.revenue.reconciliation import ReconciliationReport
from careweave.sandbox.ehr.messages import GeneratedMessage
from careweave.sandbox.ehr.sender import SendResult
from careweave.sandbox.erp.records import JournalRecord
from careweave.sandbox.erp.state import ErpState

SHOWN = 5
"""Breaks shown per failing check."""
PAYER_CASES = ("denial:", "claim-rejected:", "837-rejected:")
"""Cases the payers' and the clearinghouse's answers open (the simulators decide them)."""


def supply_breaks(
    moved: Mapping[tuple[str, str], StockPosition],
    opening: Mapping[tuple[str, str], int],
    erp: ErpState,
) -> list[str]:
    """Every (location, item) whose careweave on hand differs from the ERP's."""
    breaks = []
    for location, item in sorted(set(opening) | set(moved)):
        position = moved.get((location, item))
        ours = position.on_hand if position is not None else opening.get((location, item), 0)
        theirs = erp.on_hand(item, location)
        if ours != theirs:
            breaks.append(f"{item} at {location}: careweave {ours} on hand, the ERP {theirs}")
    return breaks


def journal_breaks(journals: Iterable[JournalRecord]) -> list[str]:
    """Every journal whose debits and credits differ within one of its entities."""
    breaks = []
    for journal in journals:
        sides: dict[str, Decimal] = collections.defaultdict(Decimal)
        for line in journal.lines:
            sides[line.segments.entity] += line.debit - line.credit
        for entity, difference in sorted(sides.items()):
            if difference:
                breaks.append(
                    f"journal {journal.journal_id} ({journal.description}) entity {entity}: "
                    f"debits - credits = {difference}"
                )
    return breaks


def unexpected_exceptions(
    cases: Sequence[ExceptionCase],
    errors: int,
    missing_codes: frozenset[str],
    messages: Sequence[GeneratedMessage],
    sent: Sequence[SendResult],
) -> list[str]:
    """Cases and refused messages no injected fault explains.

    An ``item-miss`` case must name a code the scenario left out of the crosswalk; the payers'
    cases (denials, rejections) are the clearinghouse simulator's decisions; a message refused (not
    AA) must be one the EHR damaged on purpose, and the store holds no more messages in error than
    it refused. (A damaged message accepted is a fault without an exception, not the other way
    round: the summary counts them.)
    """
    found = []
    for case in cases:
        kind, _, subject = case.case_key.partition(":")
        if kind == "item-miss" and subject in missing_codes:
            continue
        if case.case_key.startswith(PAYER_CASES):
            continue
        found.append(f"case {case.id} {case.case_key} ({case.owning_team}): {case.summary}")
    damaged = {m.sequence for m in messages if m.malformed is not None}
    refused = {r.sequence for r in sent if r.ack_code != "AA"}
    found += [
        f"message {messages[n].control_id or n} ({messages[n].message_type}) "
        f"answered {next(r.ack_code or r.error for r in sent if r.sequence == n)}"
        for n in sorted(refused - damaged)
    ]
    if errors > len(refused):
        found.append(f"{errors} messages stored in error, {len(refused)} refused")
    return found


@dataclass(frozen=True)
class DayVerdict:
    """The checks and their breaks."""

    revenue: ReconciliationReport
    positions: int
    """Stock positions compared (every item at every location)."""
    journals: int
    """Journals the ERP holds."""
    supply: list[str] = field(default_factory=list)
    unbalanced: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)

    @property
    def failing(self) -> dict[str, list[str]]:
        """Each failing check with its breaks."""
        billing = [_break_text(b) for b in self.revenue.billing_breaks]
        books = [_break_text(b) for b in self.revenue.books.breaks]
        checks = {
            "every charge billed once": billing,
            "every supply moved once": self.supply,
            "every journal balanced": self.unbalanced,
            "totals equal": books,
            "exceptions only where the scenario injected faults": self.unexpected,
        }
        return {name: found for name, found in checks.items() if found}

    @property
    def reconciled(self) -> bool:
        """Whether every check passed."""
        return not self.failing

    def lines(self, shown: int = SHOWN) -> list[str]:
        """The verdict: one line with every claim, then the breaks of each failing check."""
        report = self.revenue
        claims = (
            f"every charge billed once ({report.charges_captured} charges, {report.claim_lines} "
            f"lines on {report.claims} claims, {report.unbilled_lines} named unbilled), "
            f"every supply moved once ({self.positions} stock positions: careweave = ERP), "
            f"every journal balanced ({self.journals} ERP journals), "
            f"totals equal (GL, trial balance, 837/835 files and platform A/R to the cent)"
        )
        failing = self.failing
        if not failing:
            return [f"reconciled: {claims}"]
        out = [f"NOT reconciled: {', '.join(failing)} failed"]
        for name, found in failing.items():
            out.append(f"  {name}: {len(found)} break(s)")
            out += [f"    {text}" for text in found[:shown]]
            if len(found) > shown:
                out.append(f"    ... and {len(found) - shown} more")
        return out


def _break_text(one: Break) -> str:
    amount = "" if one.amount is None else f" {one.amount:+}"
    return f"[{one.check}] {one.subject}{amount}: {one.detail}"
