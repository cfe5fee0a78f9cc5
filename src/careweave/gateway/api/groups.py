"""API groups: what each route module declares of its routes for the catalog (owner, SLA,
lifecycle), and what a group's lifecycle does to its routes.

A route module declares one :class:`ApiGroup` per family of routes and hands it to
:func:`careweave.gateway.api.routing.scoped`, which leaves it in each handler's
``opt["group"]``. :class:`LifecyclePolicy` reads it there on every request: a retired group's
routes answer 410 Gone (before any token is looked at: the route is gone for everyone), a
deprecated group's answer as before with ``Deprecation`` (RFC 9745), ``Sunset`` (RFC 8594) and a
``Link`` to the successor. ``[api.lifecycle]`` in the settings overrides what the code declares.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import HTTPException
from litestar.handlers.base import BaseRouteHandler
from litestar.routes import HTTPRoute
from litestar.types import Message, Scope

from careweave.exceptions import ConfigError
from careweave.model.catalog import Lifecycle, LifecycleOverride, PhiClass

GONE = 410


@dataclass(frozen=True, kw_only=True)
class ApiGroup:
    """A family of routes as the catalog lists it; declared by the module that serves it."""

    name: str
    """Short name: the key of ``[api.lifecycle]`` (``messages``, ``cases``)."""
    title: str
    """The OpenAPI tag of its routes (``process: messages``)."""
    owner: str
    """The team answerable for it."""
    sla: str
    """Its service level in words."""
    description: str
    """What it is for."""
    layer: str
    """``process``, ``domain``, ``system`` or ``identity``."""
    systems: tuple[str, ...] = ()
    """The systems behind it (the store, the ERP connector ...)."""
    phi: PhiClass = "none"
    """The PHI its answers may carry (masked without ``phi:read``)."""
    version: str = "1"
    """Its version: the ``/v1`` of its paths."""
    lifecycle: Lifecycle = "active"
    """Where it is in its life unless the settings say otherwise."""


@dataclass(frozen=True, kw_only=True)
class GroupLifecycle:
    """A group's lifecycle as it applies now (its code's, or the settings' override)."""

    state: Lifecycle
    sunset: dt.date | None = None
    successor: str = ""
    deprecated_on: dt.date | None = None


@dataclass(frozen=True, kw_only=True)
class ApiRoute:
    """One operation of a group: method, path template (as OpenAPI writes it) and scopes."""

    method: str
    path: str
    scopes: tuple[str, ...] = field(default_factory=tuple)


def lifecycles(
    groups: Iterable[ApiGroup], overrides: Mapping[str, LifecycleOverride]
) -> dict[str, GroupLifecycle]:
    """Each group's lifecycle by name; ConfigError naming an override of a group that is not."""
    found = {g.name: GroupLifecycle(state=g.lifecycle) for g in groups}
    for name, override in overrides.items():
        if name not in found:
            raise ConfigError(
                f"unknown API group {name!r}; known: {sorted(found)} - at `$.api.lifecycle.{name}`"
            )
        found[name] = GroupLifecycle(
            state=override.state,
            sunset=override.sunset,
            successor=override.successor,
            deprecated_on=override.deprecated_on,
        )
    return found


def group_of(handler: object) -> ApiGroup | None:
    """The group a route handler belongs to (None: not a catalogued route)."""
    opt = getattr(handler, "opt", None)
    group = opt.get("group") if isinstance(opt, dict) else None
    return group if isinstance(group, ApiGroup) else None


def route_table(app: Litestar) -> dict[str, list[ApiRoute]]:
    """Every catalogued operation of ``app`` by group name, sorted by path then method."""
    table: dict[str, list[ApiRoute]] = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        # OpenAPI's template: "{message_id}", not Litestar's "{message_id:int}".
        path = "/".join(p.split(":", 1)[0] + "}" if p.startswith("{") else p
                        for p in route.path.split("/"))  # fmt: skip
        for handler in route.route_handlers:
            group = group_of(handler)
            if group is None:
                continue
            scopes = tuple(sorted(handler.opt.get("scopes", ())))
            for method in sorted(handler.http_methods - {"HEAD", "OPTIONS"}):
                table.setdefault(group.name, []).append(
                    ApiRoute(method=method, path=path, scopes=scopes)
                )
    return {name: sorted(rs, key=lambda r: (r.path, r.method)) for name, rs in table.items()}


def http_date(day: dt.date) -> str:
    """The last second of ``day`` (UTC) as an HTTP-date (``Wed, 30 Jun 2027 23:59:59 GMT``)."""
    end = dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=dt.UTC)
    return formatdate(calendar.timegm(end.timetuple()), usegmt=True)


class LifecyclePolicy:
    """What each group's lifecycle does to its routes: a guard (410 when retired) and a
    ``before_send`` hook (deprecation headers)."""

    def __init__(self, lifecycle: Mapping[str, GroupLifecycle], *, today: dt.date) -> None:
        self.lifecycle = dict(lifecycle)
        self._headers = {
            name: self._deprecation(state, today)
            for name, state in self.lifecycle.items()
            if state.state == "deprecated"
        }

    @staticmethod
    def _deprecation(state: GroupLifecycle, today: dt.date) -> list[tuple[str, str]]:
        since = state.deprecated_on or today
        midnight = dt.datetime.combine(since, dt.time(), tzinfo=dt.UTC)
        # RFC 9745: a Structured Field Date, "@" and the seconds since the epoch.
        headers = [("Deprecation", f"@{calendar.timegm(midnight.timetuple())}")]
        if state.sunset is not None:
            headers.append(("Sunset", http_date(state.sunset)))
        if state.successor:
            headers.append(("Link", f'<{state.successor}>; rel="successor-version"'))
        return headers

    def headers(self, group: str) -> list[tuple[str, str]]:
        """The headers a group's answers carry (none unless it is deprecated)."""
        return list(self._headers.get(group, ()))

    async def guard(
        self, _connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        """Litestar guard: a retired group's route is 410 Gone."""
        group = group_of(handler)
        if group is None:
            return
        state = self.lifecycle.get(group.name)
        if state is not None and state.state == "retired":
            successor = f"; use {state.successor}" if state.successor else ""
            raise HTTPException(
                status_code=GONE, detail=f"API group {group.name!r} is retired{successor}"
            )

    async def before_send(self, message: Message, scope: Scope) -> None:
        """Litestar hook: a deprecated group's answers (errors too) carry its headers."""
        if message["type"] != "http.response.start" or not self._headers:
            return
        group = group_of(scope.get("route_handler"))
        headers = self._headers.get(group.name) if group is not None else None
        if headers:
            mutable = MutableScopeHeaders.from_message(message)
            for name, value in headers:
                mutable.add(name, value)
