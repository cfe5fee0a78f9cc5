"""What the API's handlers work with: the application (its settings, store, engine, master data),
and the two things every handler does the same way: answer (PHI masked unless ``phi:read``,
PHI shown is audited) and audit a change."""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

import msgspec

from careweave.config import Settings
from careweave.engine.runtime import Engine
from careweave.engine.store.base import BaseStore
from careweave.gateway.api.masking import phi_fields, present
from careweave.gateway.api.scopes import Scope
from careweave.gateway.api.tokens import Principal
from careweave.masterdata.files import MasterData
from careweave.model.audit import AuditAction, AuditEntry

T = TypeVar("T")


class ApiBackend(Protocol):
    """The application the API serves (``careweave.app.Application`` is one)."""

    settings: Settings
    store: BaseStore
    engine: Engine

    @property
    def masterdata(self) -> MasterData | None:
        """The master data loaded now (reloaded while running: read it per request)."""


def _has_phi(value: Any) -> bool:
    if isinstance(value, list):
        return any(_has_phi(v) for v in value)
    if not isinstance(value, msgspec.Struct):
        return False
    if any(getattr(value, f) is not None for f in phi_fields(type(value))):
        return True
    return any(_has_phi(getattr(value, f)) for f in value.__struct_fields__)


class ApiContext:
    """The backend and the per-request rules of answering and auditing."""

    def __init__(self, backend: ApiBackend) -> None:
        self.backend = backend

    @property
    def store(self) -> BaseStore:
        """The application's store."""
        return self.backend.store

    @property
    def engine(self) -> Engine:
        """The application's engine."""
        return self.backend.engine

    async def audit(self, principal: Principal, action: str, subject: str, **detail: str) -> None:
        """Append one entry to the audit chain, the token's client id as the actor."""
        entry = AuditEntry(actor=principal.client_id, action=action, subject=subject, detail=detail)
        await self.store.append_audit(entry)

    async def reply(self, principal: Principal, value: T, subject: str) -> T:
        """``value`` as ``principal`` may see it; PHI it does see is audited as read."""
        shown = present(value, principal.scopes)
        if Scope.PHI_READ in principal.scopes and _has_phi(shown):
            await self.audit(principal, AuditAction.PHI_READ, subject)
        return shown
