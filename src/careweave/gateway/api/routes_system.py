"""System APIs: the configured connectors with their health; the audit chain."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter

from careweave.gateway.api.context import ApiContext
from careweave.gateway.api.groups import ApiGroup
from careweave.gateway.api.routing import scoped
from careweave.gateway.api.schemas import AuditEntryOut, ChannelOut, DestinationOut, SystemOut
from careweave.gateway.api.scopes import Scope
from careweave.gateway.api.security import ApiSecurity

SYSTEM = ApiGroup(
    name="system",
    title="system",
    layer="system",
    owner="integration-team",
    sla="answers within 1 s (p99)",
    description="The configured connectors with their circuit breakers, queue depths and "
    "counters; the audit chain",
    systems=("careweave engine", "audit log"),
    phi="none",
)
"""System API: connectors and the audit log."""


def _kind(config: object) -> str:
    """A connector's ``type`` (its settings struct's tag)."""
    tag = getattr(getattr(type(config), "__struct_config__", None), "tag", None)
    return str(tag) if tag is not None else type(config).__name__


def system_handlers(ctx: ApiContext, security: ApiSecurity) -> list[HTTPRouteHandler]:
    """Connectors and their health; the audit log."""
    read = scoped(security, Scope.SYSTEM_READ, group=SYSTEM)
    audit = scoped(security, Scope.AUDIT_READ, group=SYSTEM)

    @get("/v1/system/connectors", **read)
    async def connectors() -> SystemOut:
        """Each channel's source and each destination: circuit breaker, queue depth, counters."""
        settings = ctx.backend.settings
        depths = await ctx.store.queue_depths()
        channels, destinations = [], []
        for channel in settings.channels:
            channels.append(
                ChannelOut(
                    name=channel.name,
                    source=_kind(channel.source),
                    format=channel.format,
                    destinations=[d.name for d in channel.destinations],
                )
            )
            for d in channel.destinations:
                worker = ctx.engine.workers.get(d.name)
                destinations.append(
                    DestinationOut(
                        name=d.name,
                        channel=channel.name,
                        connector=_kind(d.connector),
                        breaker=worker.breaker.state.value if worker is not None else "closed",
                        queue_depth=depths.get(d.name, 0),
                        delivered=worker.delivered if worker is not None else 0,
                        dead=worker.dead if worker is not None else 0,
                    )
                )
        counts = await ctx.store.counts()
        return SystemOut(channels=channels, destinations=destinations, counts=counts)

    @get("/v1/audit", **audit)
    async def audit_log(
        after: Annotated[int, QueryParameter(ge=0, le=2**53)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=1000)] = 100,
    ) -> list[AuditEntryOut]:
        """Audit entries after position ``after``, in chain order."""
        entries = await ctx.store.audit_entries(after_seq=after, limit=limit)
        return [
            AuditEntryOut(seq=e.seq, at=e.at, actor=e.actor, action=e.action, subject=e.subject,
                          detail=e.detail, hash=e.hash)
            for e in entries
        ]  # fmt: skip

    return [connectors, audit_log]
