"""How a governed route declares itself: its scopes, its guard, its OpenAPI security."""

from __future__ import annotations

from typing import Any

from careweave.gateway.api.groups import ApiGroup
from careweave.gateway.api.scopes import Scope
from careweave.gateway.api.security import ApiSecurity

SECURITY_SCHEME = "oauth2"
"""The OpenAPI security scheme's name (client credentials at ``/v1/oauth/token``)."""


def scoped(security: ApiSecurity, *scopes: Scope, group: ApiGroup) -> dict[str, Any]:
    """Route-decorator arguments for a route of ``group`` that needs ``scopes``: the guard checks
    them, the OpenAPI document states them (the route-coverage test reads them from there), the
    catalog and the lifecycle policy find the group in ``opt``."""
    names = sorted(str(s) for s in scopes)
    return {
        "guards": [security.guard],
        "opt": {"scopes": names, "group": group},
        "security": [{SECURITY_SCHEME: names}],
        "tags": [group.title],
    }
