"""Dead letters: effects a destination refused for good, with their last error; re-delivery of a
destination's dead letters (``redeliver_dead_letters``, audited with the user as the actor)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from litestar import Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect

from careweave.engine.redelivery import redeliver_dead_letters
from careweave.exceptions import NotFoundError
from careweave.gateway.api.schemas import EffectOut
from careweave.gateway.api.scopes import Scope
from careweave.gateway.console.auth import AnyRequest
from careweave.gateway.console.context import ConsoleContext
from careweave.gateway.console.html import Html, field, form, link, select, table, tag, url
from careweave.gateway.console.layout import page, plural, when
from careweave.gateway.console.params import Name
from careweave.model.records import EffectState

LIMIT = 500
"""Dead letters listed at most."""


def deadletter_handlers(ctx: ConsoleContext) -> list[HTTPRouteHandler]:
    """The list and the re-delivery."""

    @get("/deadletters")
    async def deadletters(request: AnyRequest) -> Response[str]:
        """Dead letters, of one destination or all, oldest first."""
        session = await ctx.auth.session(request, Scope.MESSAGES_READ)
        destination = request.query_params.get("destination") or None
        dead = await ctx.store.list_effects(
            destination=destination, state=EffectState.DEAD, limit=LIMIT
        )
        shown = await ctx.api.reply(
            session.principal, [EffectOut.of(e, payload=False) for e in dead], "deadletters"
        )
        per_destination = Counter(e.destination for e in shown)
        names = sorted(ctx.api.engine.workers)
        parts: list[Html] = [
            tag(
                "form",
                select("Destination", "destination", names, destination),
                tag("button", "Show", type="submit"),
                method="get",
                action="/console/deadletters",
                class_="inline",
            ),
            tag("h2", plural(len(shown), "dead letter")),
            table(
                ["effect", "message", "destination", "attempts", "created", "last error"],
                [
                    [
                        e.id,
                        link(str(e.message_id), f"/console/messages/{e.message_id}"),
                        e.destination,
                        e.attempts,
                        when(e.created_at),
                        e.last_error or "-",
                    ]
                    for e in shown
                ],
                empty="no dead letter",
            ),
        ]
        if session.may(Scope.MESSAGES_REPLAY) and per_destination:
            parts.append(tag("h2", "Re-deliver"))
            for name, count in sorted(per_destination.items()):
                parts.append(
                    form(
                        f"/console/deadletters/{name}/replay",
                        session.csrf,
                        field("Reason", "reason", "re-delivered from the console", size=40),
                        button=f"Re-deliver {plural(count, 'dead letter')} of {name}",
                        class_="inline",
                    )
                )
        n = request.query_params.get("queued")
        notice = f"{plural(int(n), 'dead letter')} queued again" if n and n.isdigit() else None
        return page(session, "deadletters", "Dead letters", *parts, notice=notice)

    @post("/deadletters/{destination:str}/replay", status_code=303)
    async def redeliver(request: AnyRequest, destination: Name) -> Response[Any]:
        """Queue every dead letter of a destination again."""
        session, fields = await ctx.auth.form(request, Scope.MESSAGES_REPLAY)
        if destination not in ctx.api.engine.workers:
            raise NotFoundError(f"no destination {destination!r}")
        reason = fields.get("reason", "").strip()[:500] or "re-delivered from the console"
        queued = await redeliver_dead_letters(
            ctx.store, destination, reason=reason, actor=session.user, now=dt.datetime.now(dt.UTC)
        )
        return Redirect(url("/console/deadletters", queued=queued), status_code=303)

    return [deadletters, redeliver]
