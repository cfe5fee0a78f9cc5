"""The reconciliation page: pick an encounter, see its trail charge -> claim line -> remittance ->
journal and its breaks (:mod:`careweave.gateway.console.reconciliation`)."""

from __future__ import annotations

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler

from careweave.gateway.api.scopes import Scope
from careweave.gateway.console.auth import AnyRequest
from careweave.gateway.console.context import ConsoleContext
from careweave.gateway.console.html import Html, field, link, table, tag, url
from careweave.gateway.console.layout import page, plural
from careweave.gateway.console.reconciliation import Trail, encounters, trail

LISTED = 200
"""Encounters listed at most when none is asked for."""


def _trail(found: Trail) -> list[Html]:
    return [
        tag("h2", "Breaks"),
        tag("ul", *(tag("li", b, class_="bad") for b in found.breaks))
        if found.breaks
        else tag("p", "none: every charge is billed and every claim answered in full", class_="ok"),
        tag("h2", f"Charges ({len(found.charges)})"),
        table(
            ["line", "code", "service date", "units", "amount", "claim", "claim line"],
            [
                [
                    c.line_id,
                    c.code,
                    c.service_date,
                    c.units,
                    c.amount if c.amount is not None else "-",
                    c.claim_id or tag("span", "not billed", class_="bad"),
                    c.line_number or "-",
                ]
                for c in found.charges
            ],
        ),
        tag("h2", f"Claims ({len(found.claims)})"),
        table(
            ["claim", "payer", "kind", "total", "status", "file"],
            [
                [c.claim_id, c.payer_id, c.kind, c.total, c.status, c.file_name]
                for c in found.claims
            ],
        ),
        tag("h2", f"Remittance ({len(found.postings)})"),
        table(
            ["claim", "line", "posting", "reason", "amount", "payer", "trace"],
            [
                [
                    p.claim_id,
                    p.line_number or "-",
                    p.event_type,
                    p.carc or "-",
                    p.amount,
                    p.payer_id,
                    p.trace_number,
                ]
                for p in found.postings
            ],
        ),
        tag("h2", f"Journals ({len(found.journals)})"),
        table(
            ["business key", "posting date", "description", "debits"],
            [[j.business_key, j.posting_date, j.description, j.debits] for j in found.journals],
        ),
    ]


def reconciliation_handlers(ctx: ConsoleContext) -> list[HTTPRouteHandler]:
    """The reconciliation page."""

    @get("/reconciliation")
    async def reconciliation(request: AnyRequest) -> Response[str]:
        """An encounter's trail (``encounter``), else the encounters to choose from."""
        session = await ctx.auth.session(request, Scope.MESSAGES_READ)
        encounter = (request.query_params.get("encounter") or "").strip()
        search = tag(
            "form",
            field("Encounter", "encounter", encounter, size=30),
            tag("button", "Show trail", type="submit"),
            method="get",
            action="/console/reconciliation",
            class_="inline",
        )
        if encounter:
            found = await trail(ctx.store, encounter)
            return page(session, "reconciliation", f"Encounter {encounter}", search, *_trail(found))
        known = await encounters(ctx.store)
        rows = [[link(e, url("/console/reconciliation", encounter=e))] for e in known[:LISTED]]
        return page(
            session,
            "reconciliation",
            "Reconciliation",
            search,
            tag("h2", f"{plural(len(known), 'encounter')} with charges"),
            table(["encounter"], rows, empty="no charge captured yet"),
        )

    return [reconciliation]
