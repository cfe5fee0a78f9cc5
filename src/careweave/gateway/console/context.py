"""What the console's pages work with: the API's context (store, engine, master data, answering
with PHI masked and audited), the session authority, and the business analytics reader.

The analytics are computed in the application layer (``careweave.app.analytics``), above the
gateway: the application hands the console a reader, and the console knows the figures only by
the shape :class:`AnalyticsLike` describes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from careweave.engine.store.base import BaseStore
from careweave.gateway.api.context import ApiContext
from careweave.gateway.console.auth import ConsoleAuth


class ServiceLineLike(Protocol):
    """One service line's money and volume."""

    @property
    def service_line(self) -> str: ...
    @property
    def revenue(self) -> Decimal: ...
    @property
    def margin(self) -> Decimal: ...
    @property
    def procedures(self) -> int: ...
    @property
    def supply_issues(self) -> int: ...
    @property
    def supply_variance(self) -> Decimal: ...


class LagLike(Protocol):
    """Charge lag of a group of charge lines."""

    @property
    def group(self) -> str: ...
    @property
    def lines(self) -> int: ...
    @property
    def average_days(self) -> Decimal: ...
    @property
    def late(self) -> int: ...


class DenialLike(Protocol):
    """Denials of a group of claims."""

    @property
    def group(self) -> str: ...
    @property
    def claims(self) -> int: ...
    @property
    def denied_claims(self) -> int: ...
    @property
    def rate(self) -> Decimal: ...


class AnalyticsLike(Protocol):
    """The business analytics a dashboard draws (``careweave.app.analytics.BusinessAnalytics``)."""

    @property
    def service_lines(self) -> Sequence[ServiceLineLike]: ...
    @property
    def charge_lag_by_category(self) -> Sequence[LagLike]: ...
    @property
    def charge_lag_by_payer(self) -> Sequence[LagLike]: ...
    @property
    def denials_by_category(self) -> Sequence[DenialLike]: ...
    @property
    def denials_by_payer(self) -> Sequence[DenialLike]: ...


AnalyticsReader = Callable[[BaseStore], Awaitable[AnalyticsLike]]
"""Reads the business analytics from a store."""


@dataclass(frozen=True)
class ConsoleContext:
    """The API's context, the sessions, and the analytics reader (None: no dashboard figures)."""

    api: ApiContext
    auth: ConsoleAuth
    analytics: AnalyticsReader | None = None

    @property
    def store(self) -> BaseStore:
        """The application's store."""
        return self.api.store
