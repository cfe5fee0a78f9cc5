"""Destination connectors: one async method, ``deliver``.

A connector converts every foreign failure (socket, HTTP client, driver) into careweave's own
:class:`~careweave.exceptions.DeliveryError` family at this boundary, and says whether it is retryable.
"""

from __future__ import annotations

import abc
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, Self
from urllib.parse import urlsplit

import msgspec

from careweave.model.records import Effect

if TYPE_CHECKING:
    from careweave.connectors.policy import WorkerPolicy


class Receipt(msgspec.Struct, frozen=True):
    """What the destination answered to a delivered effect."""

    status: int | None = None
    response: str | None = None
    """The destination's answer, shortened for storage (ERP document id, ACK, HTTP body)."""


class ConnectorConfig:
    """What every destination connector's settings struct derives from, beside ``msgspec.Struct``.

    A connector's settings are one frozen msgspec Struct tagged by its ``type`` (``tag="http"``,
    ``tag_field="type"``), with a docstring per field; the connector takes that struct as it is.
    Settings parse the ``connector`` table of a destination through a
    :class:`~careweave.connectors.registry.ConnectorRegistry`, which maps each tag to its struct
    and its factory, so a third-party connector is configured like a built-in one.
    """

    __slots__ = ()

    flow_only: ClassVar[bool] = False
    """True when the destination takes only the effects flows send (``payload = "none"``)."""
    events_only: ClassVar[bool] = False
    """True when the destination takes only business events (``payload = "events"``)."""

    def delivery_warnings(self, worker: WorkerPolicy) -> list[str]:
        """What ``careweave check`` warns about this connector run under ``worker``; none here."""
        return []

    def with_files_from(self, folder: Path) -> Self:
        """These settings with their relative file paths read from ``folder`` (the settings
        file's), before the connector is built; a connector without files returns itself."""
        return self


class BaseDestination(abc.ABC):
    """A system careweave delivers effects to."""

    async def open(self) -> None:  # noqa: B027 - optional hook
        """Acquire connections; the default does nothing."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections; the default does nothing."""

    @abc.abstractmethod
    async def deliver(self, effect: Effect) -> Receipt:
        """Deliver one effect, sending its idempotency key; raise DeliveryError on failure."""


def shorten(text: str, limit: int = 2000) -> str:
    """Cut a response for storage in the attempt record."""
    return text if len(text) <= limit else text[:limit] + "…"


def require_http_url(url: str, setting: str) -> None:
    """Raise ValueError unless ``url`` is ``http(s)://host[:port]...``.

    For a connector's settings ``__post_init__``: msgspec turns the ValueError into a settings error
    that names the path of the value.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number in range
    except ValueError as exc:
        raise ValueError(f"{setting} {url!r} is not a valid URL: {exc}") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"{setting} must be an http:// or https:// URL with a host, not {url!r}")
