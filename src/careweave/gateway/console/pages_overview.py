"""The overview: each channel and destination with its queue, deliveries, dead letters, retries,
circuit breaker and last activity; the store's totals; the open exception cases by team."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from litestar import Response, get
from litestar.handlers import HTTPRouteHandler

from careweave.gateway.api.scopes import Scope
from careweave.gateway.console.auth import AnyRequest
from careweave.gateway.console.context import ConsoleContext
from careweave.gateway.console.html import Html, link, table, tag, url
from careweave.gateway.console.layout import page, when
from careweave.model.records import MessageQuery


def connector_kind(config: object) -> str:
    """A connector's ``type`` (its settings struct's tag)."""
    tag_ = getattr(getattr(type(config), "__struct_config__", None), "tag", None)
    return str(tag_) if tag_ is not None else type(config).__name__


def _cards(counts: dict[str, int], open_cases: int) -> Html:
    shown = [
        ("messages", sum(v for k, v in counts.items() if k.startswith("messages."))),
        ("in error", counts.get("messages.error", 0)),
        ("parked", counts.get("messages.parked", 0)),
        ("effects pending", counts.get("effects.pending", 0) + counts.get("effects.in_flight", 0)),
        ("delivered", counts.get("effects.delivered", 0)),
        ("dead letters", counts.get("effects.dead", 0)),
        ("open cases", open_cases),
    ]
    return tag(
        "div", *(tag("div", tag("b", v), k, class_="card") for k, v in shown), class_="cards"
    )


def overview_handlers(ctx: ConsoleContext) -> list[HTTPRouteHandler]:
    """The overview page."""

    @get("/")
    async def overview(request: AnyRequest) -> Response[str]:
        """Channels, destinations, totals, open cases by team."""
        session = await ctx.auth.session(request, Scope.MESSAGES_READ)
        settings, engine, store = ctx.api.backend.settings, ctx.api.engine, ctx.store
        counts = await store.counts()
        depths = await store.queue_depths()
        channel_rows, destination_rows = [], []
        for channel in settings.channels:
            latest = await store.list_messages(MessageQuery(channel=channel.name, limit=1))
            last = when(latest[0].received_at) if latest else "never"
            channel_rows.append(
                [
                    link(channel.name, url("/console/messages", channel=channel.name)),
                    connector_kind(channel.source),
                    channel.format,
                    ", ".join(d.name for d in channel.destinations),
                    last,
                ]
            )
            for d in channel.destinations:
                worker = engine.workers.get(d.name)
                breaker = worker.breaker.state.value if worker is not None else "-"
                destination_rows.append(
                    [
                        d.name,
                        channel.name,
                        connector_kind(d.connector),
                        depths.get(d.name, 0),
                        worker.delivered if worker is not None else 0,
                        link(
                            str(worker.dead if worker is not None else 0),
                            url("/console/deadletters", destination=d.name),
                        ),
                        worker.retried if worker is not None else 0,
                        tag("span", breaker, class_="ok" if breaker == "closed" else "bad"),
                        "running" if worker is not None and worker.running else "stopped",
                    ]
                )
        now = dt.datetime.now(dt.UTC)
        cases = await store.list_cases(limit=10_000)
        teams = Counter(c.owning_team for c in cases)
        overdue = Counter(c.owning_team for c in cases if c.overdue(now))
        return page(
            session,
            "overview",
            "Overview",
            _cards(counts, len(cases)),
            tag("h2", "Channels"),
            table(["channel", "source", "format", "destinations", "last message"], channel_rows),
            tag("h2", "Destinations"),
            tag(
                "p",
                "delivered, dead and retries count this process's work since it started; "
                "the queue is the store's",
                class_="muted",
            ),
            table(
                [
                    "destination",
                    "channel",
                    "connector",
                    "queue",
                    "delivered",
                    "dead",
                    "retries",
                    "breaker",
                    "worker",
                ],
                destination_rows,
            ),
            tag("h2", "Open exception cases"),
            table(
                ["team", "open", "overdue"],
                [
                    [link(t, url("/console/cases", team=t)), n, overdue.get(t, 0)]
                    for t, n in sorted(teams.items())
                ],
                empty="no open case",
            ),
        )

    return [overview]
