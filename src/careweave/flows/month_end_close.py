"""Month-end close as a flow: a close request accrues unbilled revenue and locks the period.

A close request is an inbound message like any other (``{"period": "2025-03", "requested_by":
"controller"}`` on a channel of format ``erp-close-request``), so it is stored, traced and
replayable, and its journals are engine effects: durable, retried and posted once (their keys are
``journal:unbilled-accrual:{entity}:{period}``). After the accrual is queued the period is closed:
every later posting dated in it goes to the next open period, with the reason recorded. Balances,
journals and the calendar are business state of the request's commit (``out.state``); the closed
period keeps the keys of the journals its close posted, so a replayed close sends them again and
posts nothing new.
"""

from __future__ import annotations

import msgspec

from careweave.config import ChannelConfig
from careweave.erp.close import unbilled_accruals
from careweave.erp.ledger import LedgerBook
from careweave.erp.periods import Period, PeriodCalendar
from careweave.exceptions import MappingError
from careweave.flows.base import BaseFlow
from careweave.flows.services import FlowServices
from careweave.masterdata.cost_centers import ChartOfAccounts
from careweave.model.base import BusinessEvent
from careweave.model.envelope import Envelope, Step
from careweave.model.erp import JOURNAL
from careweave.model.flow import FlowOutput

CLOSE_REQUEST_FORMAT = "erp-close-request"


class PeriodCloseRequested(BusinessEvent, frozen=True, kw_only=True):
    """Someone asked to close an accounting period."""

    period: str
    """``YYYY-MM``."""
    requested_by: str = ""
    entities: tuple[str, ...] = ()
    """Entities to accrue for (all that careweave posted for when empty)."""


class _CloseRequest(msgspec.Struct, frozen=True, kw_only=True):
    period: str
    requested_by: str = ""
    entities: tuple[str, ...] = ()


def decode_close_request(envelope: Envelope) -> None:
    """Decode step: the JSON close request into a :class:`PeriodCloseRequested` event."""
    try:
        request = msgspec.json.decode(envelope.message.raw, type=_CloseRequest)
    except msgspec.DecodeError as exc:
        raise MappingError(f"close request: {exc}") from exc
    period = Period.parse(request.period)
    envelope.decoded = request
    envelope.ordering_key = "period-close"
    envelope.events.append(
        PeriodCloseRequested(
            idempotency_key=f"close:{period.key}",
            period=period.key,
            requested_by=request.requested_by,
            entities=request.entities,
        )
    )


def close_request_step(config: ChannelConfig) -> Step:
    """The decode-step factory of the ``erp-close-request`` format (in the default formats)."""
    return decode_close_request


class MonthEndCloseFlow(BaseFlow):
    """Accrues unbilled revenue for the period and closes it."""

    name = "month-end-close"
    handles = (PeriodCloseRequested,)

    def __init__(
        self,
        *,
        chart: ChartOfAccounts | None = None,
        destination: str = "erp",
    ) -> None:
        self.chart = chart or ChartOfAccounts()
        self.destination = destination

    def run(self, event: BusinessEvent, out: FlowOutput) -> None:
        """Queue the accrual journals, then stop postings into the period."""
        if not isinstance(event, PeriodCloseRequested):
            return
        period = Period.parse(event.period)
        book, calendar = LedgerBook(out.state), PeriodCalendar(out.state)
        if (closed := calendar.closed(period)) is not None:
            journals = [j for key in closed.journals if (j := book.journal(key)) is not None]
        else:
            journals = unbilled_accruals(book, period, self.chart, event.entities)
            for journal in journals:
                book.record(journal)
            calendar.close(
                period,
                requested_by=event.requested_by,
                journals=[j.business_key for j in journals],
            )
        for journal in journals:
            out.send(
                self.destination,
                journal.business_key,
                journal,
                ordering_key=f"gl:{journal.entity}",
                content_type=JOURNAL,
            )


def build_month_end_close(services: FlowServices) -> MonthEndCloseFlow:
    """The flow, with the optional chart of accounts."""
    return MonthEndCloseFlow(
        chart=services.chart,
        destination=services.erp_destination,
    )
