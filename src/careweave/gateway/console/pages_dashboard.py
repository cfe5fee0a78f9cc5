"""The dashboard: business analytics and operations as inline SVG charts.

By service line: margin, utilization (procedures and supply issues) and supply variance; charge
lag by revenue category; denial rate by category and by payer (``careweave.app.analytics``, read
from the store); SLA compliance (open cases within and past their SLA by team, open SLA-breach
cases); throughput (messages received each hour of the last day).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler

from careweave.gateway.api.scopes import Scope
from careweave.gateway.console.auth import AnyRequest
from careweave.gateway.console.charts import bars, columns, paired_bars
from careweave.gateway.console.context import AnalyticsLike, ConsoleContext
from careweave.gateway.console.html import Html, link, table, tag
from careweave.gateway.console.layout import page, when
from careweave.model.records import ExceptionCase, MessageQuery

SLA_BREACH = "SLA_BREACH"
"""The reason code of the cases the SLA monitors open."""
THROUGHPUT_LIMIT = 1_000_000
"""Messages read at most for the throughput chart (a day's)."""


def _money(value: float) -> str:
    return f"${value:,.0f}"


def _pct(value: float) -> str:
    return f"{value:.1f}%"


def chart(title: str, svg: Html, *, key: str) -> Html:
    """One chart in a figure with its caption."""
    return tag("figure", tag("figcaption", title), svg, id=key)


def business_charts(figures: AnalyticsLike) -> list[Html]:
    """The charts of the business analytics."""
    lines = figures.service_lines
    f = float
    return [
        chart(
            "Margin by service line",
            bars(
                [(s.service_line, f(s.margin)) for s in lines],
                label="margin by service line",
                fmt=_money,
            ),
            key="margin",
        ),
        chart(
            "Utilization by service line (procedures)",
            bars(
                [(s.service_line, f(s.procedures)) for s in lines],
                label="procedures by service line",
                fmt=lambda v: f"{v:,.0f}",
            ),
            key="utilization",
        ),
        chart(
            "Supply variance by service line (over standard: positive)",
            bars(
                [(s.service_line, f(s.supply_variance)) for s in lines],
                label="supply variance by service line",
                fmt=_money,
            ),
            key="variance",
        ),
        chart(
            "Charge lag by revenue category (average days)",
            bars(
                [(g.group, f(g.average_days)) for g in figures.charge_lag_by_category],
                label="charge lag",
                fmt=lambda v: f"{v:.1f} d",
            ),
            key="lag",
        ),
        chart(
            "Denial rate by category",
            bars(
                [(g.group, f(g.rate * Decimal(100))) for g in figures.denials_by_category],
                label="denial rate by category",
                fmt=_pct,
            ),
            key="denials-category",
        ),
        chart(
            "Denial rate by payer",
            bars(
                [(g.group, f(g.rate * Decimal(100))) for g in figures.denials_by_payer],
                label="denial rate by payer",
                fmt=_pct,
            ),
            key="denials-payer",
        ),
    ]


def sla_chart(cases: list[ExceptionCase], now: dt.datetime) -> Html:
    """Open cases by team: within their SLA and past it."""
    teams = Counter(c.owning_team for c in cases)
    late = Counter(c.owning_team for c in cases if c.overdue(now))
    rows = [(t, float(n - late[t]), float(late[t])) for t, n in sorted(teams.items())]
    return chart(
        "SLA compliance: open cases by team",
        paired_bars(rows, label="SLA compliance", names=("within SLA", "overdue")),
        key="sla",
    )


def hourly(
    received: list[dt.datetime], now: dt.datetime, hours: int = 24
) -> list[tuple[str, float]]:
    """Messages received in each of the last ``hours`` hours, oldest first (``HH:00`` labels)."""
    end = now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    start = end - dt.timedelta(hours=hours)
    counts = Counter(int((r - start).total_seconds() // 3600) for r in received if start <= r < end)
    return [
        ((start + dt.timedelta(hours=i)).strftime("%H:00"), float(counts.get(i, 0)))
        for i in range(hours)
    ]


def dashboard_handlers(ctx: ConsoleContext) -> list[HTTPRouteHandler]:
    """The dashboard page."""

    @get("/dashboard")
    async def dashboard(request: AnyRequest) -> Response[str]:
        """Service lines, charge lag, denials, SLA compliance, throughput."""
        session = await ctx.auth.session(request, Scope.MESSAGES_READ)
        now = dt.datetime.now(dt.UTC)
        parts: list[Html] = []
        if ctx.analytics is not None:
            figures = await ctx.analytics(ctx.store)
            parts.append(tag("h2", "Service lines"))
            parts.append(tag("div", *business_charts(figures), class_="charts"))
            parts.append(
                table(
                    [
                        "service line",
                        "revenue",
                        "margin",
                        "procedures",
                        "supply issues",
                        "supply variance",
                    ],
                    [
                        [
                            s.service_line,
                            _money(float(s.revenue)),
                            _money(float(s.margin)),
                            s.procedures,
                            s.supply_issues,
                            _money(float(s.supply_variance)),
                        ]
                        for s in figures.service_lines
                    ],
                    empty="no journal posted yet",
                )
            )
        cases = await ctx.store.list_cases(limit=10_000)
        since = now - dt.timedelta(hours=24)
        received = await ctx.store.list_messages(MessageQuery(since=since, limit=THROUGHPUT_LIMIT))
        operations = [
            sla_chart(cases, now),
            chart(
                "Throughput: messages received by hour (last 24 h)",
                columns(hourly([m.received_at for m in received], now), label="messages by hour"),
                key="throughput",
            ),
        ]
        breaches = [c for c in cases if c.reason_code == SLA_BREACH]
        parts += [
            tag("h2", "Operations"),
            tag("div", *operations, class_="charts"),
            tag("h2", "Open SLA breaches"),
            table(
                ["case", "team", "opened", "summary"],
                [
                    [
                        link(str(c.id), f"/console/cases/{c.id}"),
                        c.owning_team,
                        when(c.opened_at),
                        c.summary,
                    ]
                    for c in breaches
                ],
                empty="no SLA is breached",
            ),
        ]
        return page(session, "dashboard", "Dashboard", *parts)

    return [dashboard]
