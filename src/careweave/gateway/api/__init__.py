"""The governed HTTP API ``careweave run`` serves with an ``[api]`` section: process APIs
(messages, lineage, replay, dead letters, exception cases), domain APIs (items and crosswalk,
locations, cost centers, payers, providers, entities, patient identity), system APIs (connectors
and their health, the audit log), OAuth2 client credentials with ES256 JWTs, scopes per route,
PHI masked without ``phi:read``, throttling per client and route. docs/reference/api.md."""

from careweave.gateway.api.app import build_api_app
from careweave.gateway.api.keys import KeyRing, SigningKey
from careweave.gateway.api.masking import MASK, mask_phi
from careweave.gateway.api.scopes import ROLE_SCOPES, Scope
from careweave.gateway.api.security import ApiSecurity, Throttle
from careweave.gateway.api.server import ApiServer, build_security
from careweave.gateway.api.tokens import Principal, TokenAuthority, TokenError

__all__ = [
    "MASK",
    "ROLE_SCOPES",
    "ApiSecurity",
    "ApiServer",
    "KeyRing",
    "Principal",
    "Scope",
    "SigningKey",
    "Throttle",
    "TokenAuthority",
    "TokenError",
    "build_api_app",
    "build_security",
    "mask_phi",
]
