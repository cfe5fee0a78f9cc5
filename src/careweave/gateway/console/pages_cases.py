"""The exception work queue: cases by team, reason and SLA; one case with what can be done to it.

A case page offers what the user's scopes allow: assign, comment, resolve (replaying what is
parked), discard with a reason, map an item code (an item-miss case: the crosswalk fix, code and
suggested ERP item prefilled, which replays the parked messages and resolves the case), and correct
one parked message's payload. Each change is what the API and the CLI do (the store's case
operations, ``Engine.resolve_case``, ``fix_item_miss``, ``correct_payload``), with the user as the
audited actor.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Response, get, post
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect

from careweave.engine.corrections import correct_payload
from careweave.engine.runtime import HL7_CONTENT_TYPE
from careweave.erp.item_miss import default_effective_from, fix_item_miss
from careweave.exceptions import NotFoundError, ValidationError
from careweave.gateway.api.schemas import CaseOut, PayloadOut
from careweave.gateway.api.scopes import Scope
from careweave.gateway.console.auth import AnyRequest, BadForm, Session
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
    void,
)
from careweave.gateway.console.layout import page, plural, when
from careweave.gateway.console.params import Id
from careweave.masterdata.items import CodeKind
from careweave.model.records import CaseState

ITEM_MISS = "item-miss:"
SUGGESTION = "suggestion: "
DONE = {
    "assigned": "case assigned",
    "commented": "comment added",
    "resolved": "case resolved; {n} parked message(s) replayed",
    "discarded": "case discarded; nothing replayed",
    "mapped": "crosswalk updated; {n} parked message(s) replayed and the case resolved",
    "corrected": "payload corrected and processed as message {n}",
}
"""What a change's redirect says, by the ``done`` code it carries (never text from the request)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def suggested_item(details: list[str]) -> str:
    """The best suggested ERP item of an item-miss case (its first ``suggestion:`` detail)."""
    for line in details:
        if line.startswith(SUGGESTION):
            return line.removeprefix(SUGGESTION).split(" ", 1)[0]
    return ""


def as_segments(raw: str) -> bytes:
    """HL7 v2 typed in a text box (lines ending in LF or CRLF) with segments ending in CR."""
    lines = raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "".join(line + "\r" for line in lines if line.strip()).encode("utf-8")


def _required(fields: dict[str, str], name: str, limit: int = 2000) -> str:
    value = fields.get(name, "").strip()
    if not value:
        raise BadForm(f"{name} must not be empty")
    return value[:limit]


def _filters(params: dict[str, str], teams: list[str], reasons: list[str]) -> Html:
    return tag(
        "form",
        select("Team", "team", teams, params.get("team")),
        select("Reason", "reason", reasons, params.get("reason")),
        select("State", "state", [s.value for s in CaseState], params.get("state") or "open"),
        tag(
            "label",
            void(
                "input",
                type="checkbox",
                name="overdue",
                value="1",
                checked=bool(params.get("overdue")),
            ),
            " overdue only",
        ),
        tag("button", "Filter", type="submit"),
        method="get",
        action="/console/cases",
        class_="inline",
    )


def _case_forms(session: Session, case: CaseOut, ctx: ConsoleContext) -> list[Html]:
    if case.state != CaseState.OPEN.value or not session.may(Scope.CASES_WRITE):
        return []
    base = f"/console/cases/{case.id}"
    forms: list[Html] = []
    master = ctx.api.backend.masterdata
    if (
        case.case_key.startswith(ITEM_MISS)
        and session.may(Scope.MASTERDATA_WRITE)
        and master is not None
        and master.crosswalk is not None
    ):
        forms += [
            tag("h2", "Resolve by mapping the item"),
            form(
                f"{base}/crosswalk",
                session.csrf,
                field("Code", "code", case.case_key.removeprefix(ITEM_MISS), required=True),
                select("Kind", "kind", [k.value for k in CodeKind], "ehr"),
                field("ERP item", "item_number", suggested_item(case.details), required=True),
                button="Map and replay",
                class_="box",
                id="crosswalk",
            ),
        ]
    forms += [
        tag("h2", "Work the case"),
        form(
            f"{base}/assign",
            session.csrf,
            field("Assignee", "assignee", case.assignee or session.user),
            button="Assign",
            class_="inline",
        ),
        form(
            f"{base}/comment",
            session.csrf,
            field("Comment", "text", size=60, required=True),
            button="Comment",
            class_="inline",
        ),
        form(
            f"{base}/resolve",
            session.csrf,
            field("Resolution", "resolution", size=60, required=True),
            button="Resolve and replay",
            class_="inline",
        ),
        form(
            f"{base}/discard",
            session.csrf,
            field("Reason", "reason", size=60, required=True),
            button="Discard",
            class_="inline",
        ),
    ]
    return forms


def case_handlers(ctx: ConsoleContext) -> list[HTTPRouteHandler]:
    """The queue, a case, and the changes a case takes."""

    @get("/cases")
    async def queue(request: AnyRequest) -> Response[str]:
        """Cases, oldest first: by team, reason, state, overdue."""
        session = await ctx.auth.session(request, Scope.CASES_READ)
        params = dict(request.query_params)
        state_text = params.get("state") or CaseState.OPEN.value
        if state_text not in {s.value for s in CaseState}:
            raise ValidationError(f"state {state_text!r} is not one of {list(CaseState)}")
        now = _now()
        cases = await ctx.store.list_cases(
            state=CaseState(state_text),
            team=params.get("team") or None,
            limit=1000,
            overdue_at=now if params.get("overdue") else None,
        )
        every = await ctx.store.list_cases(state=None, limit=1000)
        teams = sorted({c.owning_team for c in every})
        reasons = sorted({c.reason_code for c in every})
        if reason := params.get("reason"):
            cases = [c for c in cases if c.reason_code == reason]
        rows = [
            [
                link(str(c.id), f"/console/cases/{c.id}"),
                c.owning_team,
                c.reason_code,
                c.severity.value,
                c.assignee or "-",
                len(c.message_ids),
                when(c.opened_at),
                tag("span", "overdue", class_="bad") if c.overdue(now) else when(c.sla_due_at),
                c.summary,
            ]
            for c in cases
        ]
        return page(
            session,
            "cases",
            "Exception queue",
            _filters(params, teams, reasons),
            tag("h2", plural(len(cases), "case")),
            table(
                [
                    "case",
                    "team",
                    "reason",
                    "severity",
                    "assignee",
                    "parked",
                    "opened",
                    "SLA",
                    "summary",
                ],
                rows,
                empty="no case matches",
            ),
        )

    @get("/cases/{case_id:int}")
    async def show(request: AnyRequest, case_id: Id) -> Response[str]:
        """A case: the problem, the suggested fix, the parked messages, the trail, the actions."""
        session = await ctx.auth.session(request, Scope.CASES_READ)
        case = CaseOut.of(await ctx.store.get_case(case_id), _now(), audit=True)
        done = DONE.get(request.query_params.get("done", ""))
        n = request.query_params.get("n", "0")
        notice = done.format(n=int(n) if n.isdigit() else 0) if done else None
        parked = [
            [
                link(f"message {m}", f"/console/messages/{m}"),
                link("edit payload", f"/console/cases/{case_id}/messages/{m}/edit")
                if case.state == "open" and session.may(Scope.CASES_WRITE, Scope.PHI_READ)
                else "",
            ]
            for m in case.message_ids
        ]
        state = tag("span", case.state, class_="ok" if case.state != "open" else "warn")
        return page(
            session,
            "cases",
            f"Case {case.id}: {case.case_key}",
            definitions(
                [
                    ("state", state),
                    ("reason", case.reason_code),
                    ("team", case.owning_team),
                    ("severity", case.severity),
                    ("assignee", case.assignee or "nobody"),
                    ("opened", when(case.opened_at)),
                    (
                        "SLA due",
                        Html(
                            when(case.sla_due_at)
                            + (" " + tag("span", "overdue", class_="bad") if case.overdue else "")
                        ),
                    ),
                    ("summary", case.summary),
                    ("suggested fix", case.suggested_fix),
                    ("details", tag("ul", *(tag("li", d) for d in case.details))),
                    ("resolution", case.resolution or "-"),
                ]
            ),
            tag("h2", f"Parked messages ({len(case.message_ids)})"),
            table(["message", ""], parked, empty="no message is parked on this case"),
            *_case_forms(session, case, ctx),
            tag("h2", "Audit trail"),
            table(
                ["at", "action", "by", "detail"],
                [[when(e.at), e.action, e.actor, e.detail] for e in case.audit],
            ),
            notice=notice,
        )

    def back(case_id: int, done: str, n: int = 0) -> Response[Any]:
        return Redirect(url(f"/console/cases/{case_id}", done=done, n=n or None), status_code=303)

    @post("/cases/{case_id:int}/assign", status_code=303)
    async def assign(request: AnyRequest, case_id: Id) -> Response[Any]:
        """Give the case to someone (empty: nobody)."""
        session, fields = await ctx.auth.form(request, Scope.CASES_WRITE)
        assignee = fields.get("assignee", "").strip()[:200] or None
        await ctx.store.assign_case(case_id, assignee=assignee, actor=session.user, now=_now())
        return back(case_id, "assigned")

    @post("/cases/{case_id:int}/comment", status_code=303)
    async def comment(request: AnyRequest, case_id: Id) -> Response[Any]:
        """Add a comment to the case's trail."""
        session, fields = await ctx.auth.form(request, Scope.CASES_WRITE)
        text = _required(fields, "text")
        await ctx.store.comment_case(case_id, actor=session.user, text=text, now=_now())
        return back(case_id, "commented")

    @post("/cases/{case_id:int}/resolve", status_code=303)
    async def resolve(request: AnyRequest, case_id: Id) -> Response[Any]:
        """Close the case once its cause is fixed; replay what it parked."""
        session, fields = await ctx.auth.form(request, Scope.CASES_WRITE)
        resolution = _required(fields, "resolution")
        replayed = await ctx.api.engine.resolve_case(
            case_id, actor=session.user, resolution=resolution
        )
        return back(case_id, "resolved", replayed)

    @post("/cases/{case_id:int}/discard", status_code=303)
    async def discard(request: AnyRequest, case_id: Id) -> Response[Any]:
        """Close the case without replaying what it holds."""
        session, fields = await ctx.auth.form(request, Scope.CASES_WRITE)
        reason = _required(fields, "reason")
        await ctx.store.discard_case(case_id, actor=session.user, reason=reason, now=_now())
        return back(case_id, "discarded")

    @post("/cases/{case_id:int}/crosswalk", status_code=303)
    async def map_item(request: AnyRequest, case_id: Id) -> Response[Any]:
        """Map the code to an ERP item: the crosswalk fix replays the parked messages and resolves
        the code's case (``fix_item_miss``, as ``careweave crosswalk add`` does)."""
        session, fields = await ctx.auth.form(request, Scope.CASES_WRITE, Scope.MASTERDATA_WRITE)
        code, item = _required(fields, "code", 100), _required(fields, "item_number", 100)
        try:
            kind = CodeKind(fields.get("kind") or "ehr")
        except ValueError as exc:
            raise BadForm(f"kind must be one of {[k.value for k in CodeKind]}") from exc
        master = ctx.api.backend.masterdata
        if master is None or master.crosswalk is None:
            raise NotFoundError("[masterdata] names no crosswalk")
        since = default_effective_from(master.crosswalk, kind, code, _now().date())
        fix = await fix_item_miss(
            ctx.api.engine,
            master.crosswalk,
            code,
            item,
            actor=session.user,
            effective_from=since,
            kind=kind,
            crosswalk_file=master.crosswalk_file,
            source="console",
        )
        return back(case_id, "mapped", fix.replayed)

    @get("/cases/{case_id:int}/messages/{message_id:int}/edit")
    async def edit_form(request: AnyRequest, case_id: Id, message_id: Id) -> Response[str]:
        """A parked message as received, in a text box to correct (PHI: audited as read)."""
        session = await ctx.auth.session(request, Scope.CASES_WRITE, Scope.PHI_READ)
        if message_id not in (await ctx.store.get_case(case_id)).message_ids:
            raise NotFoundError(f"message {message_id} is not parked on exception case {case_id}")
        message = await ctx.store.get_message(message_id)
        raw = message.raw.decode("utf-8", "replace") if message.raw is not None else None
        out = PayloadOut(
            case_id=case_id, message_id=message_id, content_type=message.content_type, raw=raw
        )
        shown = await ctx.api.reply(session.principal, out, f"message:{message_id}")
        text = (shown.raw or "").replace("\r", "\n")
        return page(
            session,
            "cases",
            f"Correct message {message_id} of case {case_id}",
            tag(
                "p",
                "The corrected copy is stored as a new message and processed; the original "
                "is superseded. The case is resolved once nothing is left parked on it.",
            ),
            form(
                f"/console/cases/{case_id}/messages/{message_id}/edit",
                session.csrf,
                tag("textarea", text, name="payload", spellcheck="false"),
                button="Save and replay",
                class_="box",
            ),
        )

    @post("/cases/{case_id:int}/messages/{message_id:int}/edit", status_code=303)
    async def edit(request: AnyRequest, case_id: Id, message_id: Id) -> Response[Any]:
        """Replace the parked message by the corrected copy and process it."""
        session, fields = await ctx.auth.form(request, Scope.CASES_WRITE, Scope.PHI_READ)
        text = _required(fields, "payload", 1_000_000)
        original = await ctx.store.get_message(message_id)
        raw = as_segments(text) if original.content_type == HL7_CONTENT_TYPE else text.encode()
        done = await correct_payload(ctx.api.engine, case_id, message_id, raw, actor=session.user)
        return back(case_id, "corrected", done.message_id)

    return [queue, show, assign, comment, resolve, discard, map_item, edit_form, edit]
