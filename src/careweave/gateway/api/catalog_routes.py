"""The integration catalog over HTTP (``GET /v1/catalog``) and the API's share of it.

The API's groups are read from the application's own routes (:func:`route_table`): the paths and
scopes listed are those served. ``careweave catalog`` builds the same application without serving
it (:func:`settings_catalog`), so the command and the route give the same document.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from litestar import Litestar, get
from litestar.handlers import HTTPRouteHandler

from careweave.config import Settings
from careweave.flows.registry import FlowRegistry, builtin_flows
from careweave.gateway.api.context import ApiBackend, ApiContext
from careweave.gateway.api.groups import ApiGroup, GroupLifecycle, group_of, route_table
from careweave.gateway.api.routes_domain import MASTER_DATA, PATIENT_IDENTITY
from careweave.gateway.api.routes_oauth import OAUTH
from careweave.gateway.api.routes_process import CASES, MESSAGES
from careweave.gateway.api.routes_system import SYSTEM
from careweave.gateway.api.routing import scoped
from careweave.gateway.api.scopes import Scope
from careweave.gateway.api.security import ApiSecurity
from careweave.gateway.catalog.build import build_catalog
from careweave.gateway.catalog.document import ApiGroupEntry, ApiRouteEntry, Catalog
from careweave.gateway.http_common import AnyRequest

CATALOG = ApiGroup(
    name="catalog",
    title="system: catalog",
    layer="system",
    owner="integration-team",
    sla="answers within 1 s (p99)",
    description="This catalog: every interface with its owner, systems, message types, "
    "dependencies, SLA, PHI classification, version and lifecycle",
    systems=("careweave settings",),
    phi="none",
)
"""System API: the integration catalog."""

API_GROUPS: tuple[ApiGroup, ...] = (
    OAUTH, MESSAGES, CASES, MASTER_DATA, PATIENT_IDENTITY, SYSTEM, CATALOG,
)  # fmt: skip
"""Every group the API serves (a test checks it against the routes of the application)."""


def groups_in(app: Litestar) -> list[ApiGroup]:
    """The groups of ``app``'s routes, by name."""
    found = {
        group.name: group
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if (group := group_of(handler)) is not None
    }
    return [found[name] for name in sorted(found)]


def api_entries(app: Litestar, lifecycle: Mapping[str, GroupLifecycle]) -> list[ApiGroupEntry]:
    """The catalog entries of ``app``'s groups, with their routes and lifecycle."""
    table = route_table(app)
    entries = []
    for group in groups_in(app):
        state = lifecycle.get(group.name, GroupLifecycle(state=group.lifecycle))
        entries.append(
            ApiGroupEntry(
                name=group.name,
                title=group.title,
                layer=group.layer,
                owner=group.owner,
                sla=group.sla,
                systems=list(group.systems),
                description=group.description,
                phi=group.phi,
                version=group.version,
                lifecycle=state.state,
                sunset=state.sunset,
                successor=state.successor,
                routes=[
                    ApiRouteEntry(method=r.method, path=r.path, scopes=list(r.scopes))
                    for r in table.get(group.name, [])
                ],
            )
        )
    return entries


def catalog_of(
    settings: Settings,
    app: Litestar,
    lifecycle: Mapping[str, GroupLifecycle],
    *,
    flows: FlowRegistry,
) -> Catalog:
    """The catalog of ``settings``, the API's groups read from ``app``."""
    apis = api_entries(app, lifecycle) if settings.api is not None else []
    return build_catalog(settings, flows=flows, apis=apis)


def catalog_handlers(
    ctx: ApiContext, security: ApiSecurity, lifecycle: Mapping[str, GroupLifecycle]
) -> list[HTTPRouteHandler]:
    """``GET /v1/catalog``."""
    read = scoped(security, Scope.CATALOG_READ, group=CATALOG)

    @get("/v1/catalog", **read)
    async def catalog(request: AnyRequest) -> Catalog:
        """Every interface (channels, flows, destinations, event streams, API groups) with its
        owner, systems, message types, dependencies, SLA, PHI classification, version and
        lifecycle: what ``careweave catalog --json`` prints for the same settings."""
        registries = getattr(ctx.backend, "registries", None)  # an Application has them
        flows = getattr(registries, "flows", None)
        return catalog_of(
            ctx.backend.settings,
            request.app,
            lifecycle,
            flows=flows if isinstance(flows, FlowRegistry) else builtin_flows(),
        )

    return [catalog]


class _Unserved:
    """The backend of an application built only to read its routes: it has settings, nothing
    else (a handler that ran would fail, but none runs)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(f"the catalog's application serves nothing (asked for {name})")


def settings_catalog(settings: Settings, *, flows: FlowRegistry) -> Catalog:
    """The catalog ``careweave catalog`` prints: the API's groups read from the application the
    settings' ``[api]`` would serve (built, not served: no key file, no secret is read)."""
    if settings.api is None:
        return build_catalog(settings, flows=flows)
    from careweave.gateway.api.app import build_api_app, lifecycle_policy
    from careweave.gateway.api.keys import KeyRing
    from careweave.gateway.api.security import Throttle
    from careweave.gateway.api.tokens import TokenAuthority

    config = settings.api
    authority = TokenAuthority(config, {}, KeyRing.generated(config.key_rotation))
    security = ApiSecurity(authority, Throttle(config.rate, config.burst))
    backend = cast(ApiBackend, _Unserved(settings))
    app = build_api_app(backend, config, authority, security)
    return catalog_of(settings, app, lifecycle_policy(config).lifecycle, flows=flows)
