"""Process APIs: messages and their lineage, replays, dead letters, exception cases.

Each handler calls what the CLI calls (the store's reads and case operations, the engine's
replays) and nothing more. Every change is audited with the token's client id as the actor: the
store audits case changes, the engine replays, ``redeliver_dead_letters`` re-deliveries, as they
happen (given the actor); the handlers audit PHI read (``ApiContext.reply``).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromQuery, JSONBody, PathParameter, QueryParameter

from careweave.engine.redelivery import redeliver_dead_letters
from careweave.exceptions import NotFoundError
from careweave.gateway.api.context import ApiContext
from careweave.gateway.api.groups import ApiGroup
from careweave.gateway.api.routing import scoped
from careweave.gateway.api.schemas import (
    AssignIn,
    CaseOut,
    CommentIn,
    DiscardIn,
    EffectOut,
    LineageOut,
    MessageOut,
    PayloadOut,
    ReplayedOut,
    ReplayIn,
    ResolvedOut,
    ResolveIn,
)
from careweave.gateway.api.scopes import Scope
from careweave.gateway.api.security import ApiSecurity, principal_of
from careweave.gateway.http_common import AnyRequest
from careweave.model.records import CaseState, EffectState, MessageQuery, MessageState

Id = Annotated[int, PathParameter(ge=1, le=2**53)]
Limit = Annotated[int, QueryParameter(ge=1, le=1000)]
Name = Annotated[str, PathParameter(min_length=1, max_length=200)]


MESSAGES = ApiGroup(
    name="messages",
    title="process: messages",
    layer="process",
    owner="integration-team",
    sla="reads answer within 1 s (p99); a replay is committed before its answer",
    description="Stored messages and their lineage (raw, events, effects, attempts), replays of "
    "messages and effects, dead letters and their redelivery",
    systems=("careweave store", "careweave engine"),
    phi="full",
)
"""Process API: messages, lineage, replay, dead letters."""

CASES = ApiGroup(
    name="cases",
    title="process: cases",
    layer="process",
    owner="integration-team",
    sla="reads answer within 1 s (p99); a resolution replays its parked messages before answering",
    description="The exception work queue: cases by team and reason, assignment, comments, "
    "resolution (replaying what was parked), discard, and a parked message's payload",
    systems=("careweave store",),
    phi="full",
)
"""Process API: exception cases."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def message_handlers(ctx: ApiContext, security: ApiSecurity) -> list[HTTPRouteHandler]:
    """Messages, lineage, replay, dead letters."""
    read = scoped(security, Scope.MESSAGES_READ, group=MESSAGES)
    replay = scoped(security, Scope.MESSAGES_REPLAY, group=MESSAGES)

    @get("/v1/messages", **read)
    async def list_messages(
        request: AnyRequest,
        channel: Annotated[str | None, QueryParameter(max_length=200)] = None,
        message_state: Annotated[MessageState | None, QueryParameter(name="state")] = None,
        control_id: Annotated[str | None, QueryParameter(max_length=200)] = None,
        since: FromQuery[dt.datetime | None] = None,
        until: FromQuery[dt.datetime | None] = None,
        limit: Limit = 50,
    ) -> list[MessageOut]:
        """Messages, newest first: by channel, state, control id (a dedup-key substring such as
        an MSH-10) and when they were received."""
        query = MessageQuery(
            channel=channel,
            state=message_state,
            text=control_id,
            since=since,
            until=until,
            limit=limit,
        )
        found = [MessageOut.of(m) for m in await ctx.store.list_messages(query)]
        return await ctx.reply(principal_of(request), found, "messages")

    @get("/v1/messages/{message_id:int}", **read)
    async def show_message(request: AnyRequest, message_id: Id) -> LineageOut:
        """One message's lineage: raw in, events, effects, every attempt, replays."""
        lineage = LineageOut.of(await ctx.store.lineage(message_id))
        return await ctx.reply(principal_of(request), lineage, f"message:{message_id}")

    @post("/v1/messages/{message_id:int}/replay", status_code=202, **replay)
    async def replay_message(
        request: AnyRequest, message_id: Id, data: JSONBody[ReplayIn]
    ) -> ReplayedOut:
        """Re-decode one message from its raw bytes and queue its effects again."""
        # The engine writes the replay to the audit log, the token's client as the actor.
        actor = principal_of(request).client_id
        queued = await ctx.engine.replay_message(message_id, reason=data.reason, actor=actor)
        return ReplayedOut(queued=queued)

    @get("/v1/deadletters", **read)
    async def list_deadletters(
        request: AnyRequest,
        destination: Annotated[str | None, QueryParameter(max_length=200)] = None,
        limit: Limit = 100,
    ) -> list[EffectOut]:
        """Dead letters (of one destination, or all) with their last error."""
        dead = await ctx.store.list_effects(
            destination=destination, state=EffectState.DEAD, limit=limit
        )
        found = [EffectOut.of(e, payload=False) for e in dead]
        return await ctx.reply(principal_of(request), found, "deadletters")

    @post("/v1/deadletters/{destination:str}/replay", status_code=202, **replay)
    async def replay_deadletters(
        request: AnyRequest, destination: Name, data: JSONBody[ReplayIn]
    ) -> ReplayedOut:
        """Re-deliver every dead letter of a destination."""
        if destination not in ctx.engine.workers:
            raise NotFoundError(f"no destination {destination!r}")
        queued = await redeliver_dead_letters(
            ctx.store, destination, reason=data.reason, actor=principal_of(request).client_id,
            now=_now(),
        )  # fmt: skip
        return ReplayedOut(queued=queued)

    return [list_messages, show_message, replay_message, list_deadletters, replay_deadletters]


def case_handlers(ctx: ApiContext, security: ApiSecurity) -> list[HTTPRouteHandler]:
    """The exception work queue."""
    read = scoped(security, Scope.CASES_READ, group=CASES)
    write = scoped(security, Scope.CASES_WRITE, group=CASES)
    payload = scoped(security, Scope.CASES_READ, Scope.PHI_READ, group=CASES)

    async def shown(case_id: int) -> CaseOut:
        return CaseOut.of(await ctx.store.get_case(case_id), _now(), audit=True)

    @get("/v1/cases", **read)
    async def list_cases(
        request: AnyRequest,
        case_state: Annotated[CaseState | None, QueryParameter(name="state")] = CaseState.OPEN,
        team: Annotated[str | None, QueryParameter(max_length=200)] = None,
        overdue: FromQuery[bool] = False,
        limit: Limit = 100,
    ) -> list[CaseOut]:
        """Cases, oldest first (open ones by default), by team, state, overdue."""
        now = _now()
        cases = await ctx.store.list_cases(
            state=case_state, team=team, limit=limit, overdue_at=now if overdue else None
        )
        return [CaseOut.of(c, now) for c in cases]

    @get("/v1/cases/{case_id:int}", **read)
    async def show_case(case_id: Id) -> CaseOut:
        """A case with its parked messages and audit trail."""
        return await shown(case_id)

    @post("/v1/cases/{case_id:int}/assign", status_code=200, **write)
    async def assign_case(request: AnyRequest, case_id: Id, data: JSONBody[AssignIn]) -> CaseOut:
        """Give an open case to someone (an empty assignee: nobody)."""
        assignee = data.assignee.strip() or None
        await ctx.store.assign_case(
            case_id, assignee=assignee, actor=principal_of(request).client_id, now=_now()
        )
        return await shown(case_id)

    @post("/v1/cases/{case_id:int}/comments", status_code=201, **write)
    async def comment_case(request: AnyRequest, case_id: Id, data: JSONBody[CommentIn]) -> CaseOut:
        """Add a comment to a case's audit trail."""
        await ctx.store.comment_case(
            case_id, actor=principal_of(request).client_id, text=data.text, now=_now()
        )
        return await shown(case_id)

    @post("/v1/cases/{case_id:int}/resolve", status_code=200, **write)
    async def resolve_case(
        request: AnyRequest, case_id: Id, data: JSONBody[ResolveIn]
    ) -> ResolvedOut:
        """Close a case once its cause is fixed and replay every message parked on it."""
        replayed = await ctx.engine.resolve_case(
            case_id, actor=principal_of(request).client_id, resolution=data.resolution
        )
        return ResolvedOut(case=await shown(case_id), replayed=replayed)

    @post("/v1/cases/{case_id:int}/discard", status_code=200, **write)
    async def discard_case(request: AnyRequest, case_id: Id, data: JSONBody[DiscardIn]) -> CaseOut:
        """Close an open case without replaying what it holds."""
        await ctx.store.discard_case(
            case_id, actor=principal_of(request).client_id, reason=data.reason, now=_now()
        )
        return await shown(case_id)

    @get("/v1/cases/{case_id:int}/messages/{message_id:int}/payload", **payload)
    async def case_payload(request: AnyRequest, case_id: Id, message_id: Id) -> PayloadOut:
        """A message parked on a case as it was received (PHI: needs ``phi:read``)."""
        if message_id not in (await ctx.store.get_case(case_id)).message_ids:
            raise NotFoundError(f"message {message_id} is not parked on exception case {case_id}")
        message = await ctx.store.get_message(message_id)
        raw = message.raw.decode("utf-8", "replace") if message.raw is not None else None
        out = PayloadOut(
            case_id=case_id, message_id=message_id, content_type=message.content_type, raw=raw
        )
        return await ctx.reply(principal_of(request), out, f"message:{message_id}")

    return [list_cases, show_case, assign_case, comment_case, resolve_case, discard_case,
            case_payload]  # fmt: skip
