"""The message browser: search by MRN, control id, state, channel and date; one message's lineage
(raw in, events, effects, attempts with the destinations' answers, replays, cases); replay.

What is shown goes through the API's ``reply``: PHI (the raw message, the MRN, payloads, answers
and errors that may quote them) is masked for a user without ``phi:read``, and PHI shown is
audited as read, as for the API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect

from careweave.exceptions import ValidationError
from careweave.gateway.api.schemas import LineageOut, MessageOut
from careweave.gateway.api.scopes import Scope
from careweave.gateway.console.auth import AnyRequest, Session
from careweave.gateway.console.context import ConsoleContext
from careweave.gateway.console.html import (
    Html,
    definitions,
    field,
    form,
    link,
    select,
    table,
    tag,
    url,
)
from careweave.gateway.console.layout import page, plural, when
from careweave.gateway.console.params import Id
from careweave.model.records import MessageQuery, MessageState

LIMIT = 100
"""Messages listed at most per search."""


def parse_day(text: str | None, name: str) -> dt.datetime | None:
    """A ``YYYY-MM-DD`` (or ISO date-time) query value as a UTC instant; ValidationError if not."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise ValidationError(f"{name}: {text!r} is not a date (YYYY-MM-DD)") from exc
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def message_query(params: dict[str, str]) -> MessageQuery:
    """The store query of the browser's search form."""
    state = params.get("state") or None
    if state is not None and state not in {s.value for s in MessageState}:
        raise ValidationError(f"state {state!r} is not one of {[s.value for s in MessageState]}")
    until = parse_day(params.get("until"), "until")
    if until is not None and len(params.get("until", "")) == 10:
        until += dt.timedelta(days=1)  # a day given alone includes that day
    return MessageQuery(
        channel=params.get("channel") or None,
        state=MessageState(state) if state else None,
        text=(params.get("control_id") or "").strip() or None,
        ordering_key=(params.get("mrn") or "").strip() or None,
        since=parse_day(params.get("since"), "since"),
        until=until,
        limit=LIMIT,
    )


def _search_form(ctx: ConsoleContext, params: dict[str, str]) -> Html:
    channels = [c.name for c in ctx.api.backend.settings.channels]
    return tag(
        "form",
        field("MRN", "mrn", params.get("mrn", ""), size=14),
        field("Control id", "control_id", params.get("control_id", ""), size=16),
        select("State", "state", [s.value for s in MessageState], params.get("state")),
        select("Channel", "channel", channels, params.get("channel")),
        field("Since", "since", params.get("since", ""), kind="date"),
        field("Until", "until", params.get("until", ""), kind="date"),
        tag("button", "Search", type="submit"),
        method="get",
        action="/console/messages",
        class_="inline",
    )


def _message_rows(found: list[MessageOut]) -> list[list[object]]:
    return [
        [
            link(str(m.id), f"/console/messages/{m.id}"),
            when(m.received_at),
            m.channel,
            m.dedup_key or "-",
            m.ordering_key or "-",
            m.state,
            (m.error or "")[:160],
        ]
        for m in found
    ]


def _lineage(session: Session, lineage: LineageOut) -> list[Html]:
    m = lineage.message
    raw = (lineage.raw or "").replace("\r", "\n") if lineage.raw is not None else None
    parts: list[Html] = [
        definitions(
            [
                ("channel", m.channel),
                ("state", m.state),
                ("received", when(m.received_at)),
                ("sender", m.sender),
                ("control id", m.dedup_key or "-"),
                ("MRN", m.ordering_key or "-"),
                ("trace id", m.trace_id),
                ("duplicates", m.duplicates),
                ("error", m.error or "-"),
                (
                    "cases",
                    Html(
                        ", ".join(
                            link(f"case {c}", f"/console/cases/{c}") for c in lineage.case_ids
                        )
                    )
                    or "-",
                ),
            ]
        ),
        tag("h2", "Raw message"),
        tag("pre", raw, class_="raw") if raw is not None else tag("p", "pruned", class_="muted"),
        tag("h2", f"Events ({len(lineage.events)})"),
        table(
            ["id", "type", "idempotency key", "created", "payload"],
            [
                [
                    e.id,
                    e.event_type,
                    e.idempotency_key or "-",
                    when(e.created_at),
                    tag("details", tag("summary", "show"), tag("pre", e.payload)),
                ]
                for e in lineage.events
            ],
        ),
        tag("h2", f"Effects ({len(lineage.effects)})"),
        table(
            ["id", "destination", "state", "attempts", "content type", "last error", "payload"],
            [
                [
                    f.id,
                    f.destination,
                    f.state,
                    f.attempts,
                    f.content_type,
                    f.last_error or "-",
                    tag("details", tag("summary", "show"), tag("pre", f.payload)),
                ]
                for f in lineage.effects
            ],
        ),
        tag("h2", f"Delivery attempts ({len(lineage.attempts)})"),
        table(
            ["effect", "#", "started", "finished", "outcome", "status", "response", "error"],
            [
                [
                    a.effect_id,
                    a.attempt,
                    when(a.started_at),
                    when(a.finished_at),
                    a.outcome,
                    a.status if a.status is not None else "-",
                    (a.response or "-")[:300],
                    a.error or "-",
                ]
                for a in lineage.attempts
            ],
        ),
        tag("h2", f"Replays ({len(lineage.replays)})"),
        table(
            ["id", "stage", "effect", "reason", "requested"],
            [
                [r.id, r.stage, r.effect_id or "-", r.reason, when(r.requested_at)]
                for r in lineage.replays
            ],
        ),
    ]
    if session.may(Scope.MESSAGES_REPLAY):
        parts.append(tag("h2", "Replay"))
        parts.append(
            form(
                f"/console/messages/{m.id}/replay",
                session.csrf,
                field("Reason", "reason", "replayed from the console", size=50, required=True),
                button="Replay this message",
                class_="inline",
            )
        )
    return parts


def message_handlers(ctx: ConsoleContext) -> list[HTTPRouteHandler]:
    """The browser, a lineage, a replay."""

    @get("/messages")
    async def browse(request: AnyRequest) -> Response[str]:
        """Search messages, newest first."""
        session = await ctx.auth.session(request, Scope.MESSAGES_READ)
        params = dict(request.query_params)
        query = message_query(params)
        searched = any(
            params.get(k) for k in ("mrn", "control_id", "state", "channel", "since", "until")
        )
        found = [MessageOut.of(m) for m in await ctx.store.list_messages(query)]
        shown = await ctx.api.reply(session.principal, found, "messages")
        title = f"{plural(len(shown), 'message')} found" if searched else "Latest messages"
        return page(
            session,
            "messages",
            "Messages",
            _search_form(ctx, params),
            tag("h2", title),
            table(
                ["id", "received", "channel", "control id", "MRN", "state", "error"],
                _message_rows(shown),
                empty="no message matches",
            ),
        )

    @get("/messages/{message_id:int}")
    async def lineage(request: AnyRequest, message_id: Id) -> Response[str]:
        """One message's lineage."""
        session = await ctx.auth.session(request, Scope.MESSAGES_READ)
        lineage = LineageOut.of(await ctx.store.lineage(message_id))
        shown = await ctx.api.reply(session.principal, lineage, f"message:{message_id}")
        notice = None
        if (n := request.query_params.get("replayed")) is not None and n.isdigit():
            notice = f"replay queued: {plural(int(n), 'effect')}"
        return page(
            session, "messages", f"Message {message_id}", *_lineage(session, shown), notice=notice
        )

    @post("/messages/{message_id:int}/replay", status_code=303)
    async def replay(request: AnyRequest, message_id: Id) -> Response[Any]:
        """Re-decode the message from its raw bytes and queue its effects again (audited)."""
        session, fields = await ctx.auth.form(request, Scope.MESSAGES_REPLAY)
        reason = fields.get("reason", "").strip() or "replayed from the console"
        queued = await ctx.api.engine.replay_message(
            message_id, reason=reason[:500], actor=session.user
        )
        return Redirect(url(f"/console/messages/{message_id}", replayed=queued), status_code=303)

    return [browse, lineage, replay]
