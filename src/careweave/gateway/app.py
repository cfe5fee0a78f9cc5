"""The Litestar application a channel's HTTP source serves.

``format = "fhir"``: the FHIR push endpoint and the Subscription rest-hook below the channel's
path. Any other format: ``POST {path}`` stores the body as one message and answers with its id.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Litestar, Response, post
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler

from careweave.config import ChannelConfig
from careweave.connectors.fhir_client import FhirClient
from careweave.connectors.http_source import HttpSource, HttpSourceConfig
from careweave.gateway.api.scopes import Scope
from careweave.gateway.api.security import Guard
from careweave.gateway.fhir_endpoint import FhirPushEndpoint, push_handlers
from careweave.gateway.http_common import (
    AnyRequest,
    http_exception_handler,
    internal_error_handler,
    sender_of,
    unavailable,
)
from careweave.gateway.receiver import Receiver
from careweave.gateway.subscriptions import SubscriptionHook, hook_handlers
from careweave.model.records import MessageState


def _raw_handlers(channel: str, receiver: Receiver, path: str) -> list[HTTPRouteHandler]:
    @post(path, name=f"{channel}-messages")
    async def message(request: AnyRequest) -> Response[Any]:
        body = await request.body()
        content_type = request.headers.get("content-type", "application/octet-stream")
        try:
            result, processing = await receiver.receive(
                channel, body, content_type=content_type, sender=sender_of(request)
            )
        except Exception as exc:  # not stored: the sender must retry
            return unavailable(exc, f"message on channel {channel}")
        answer = {
            "message_id": result.message_id,
            "state": str(result.state),
            "duplicate": result.duplicate,
            "error": processing.error,
        }
        status = 422 if result.state is MessageState.ERROR else 202
        return Response(answer, status_code=status)

    return [message]


def build_channel_app(
    channel: ChannelConfig,
    receiver: Receiver,
    *,
    ehr: FhirClient | None = None,
    guard: Guard | None = None,
) -> Litestar:
    """The application serving ``channel``'s HTTP source (its ``source`` must be ``http``);
    ``guard``: the API's authentication (a token with ``ingest:write``), when ``[api]`` has it."""
    source = channel.source
    if not isinstance(source, HttpSourceConfig):
        raise TypeError(f"channel {channel.name} has no HTTP source")
    path = "/" + source.path.strip("/")
    handlers: list[HTTPRouteHandler]
    if channel.format == "fhir":
        endpoint = FhirPushEndpoint(channel.name, receiver, path)
        hook = SubscriptionHook(channel.name, receiver, ehr)
        handlers = [*push_handlers(endpoint), *hook_handlers(hook, path)]
    else:
        handlers = _raw_handlers(channel.name, receiver, path)
    return Litestar(
        route_handlers=handlers,
        guards=[guard] if guard is not None else None,
        opt={"scopes": [str(Scope.INGEST)]},
        request_max_body_size=source.max_body_bytes,
        exception_handlers={
            HTTPException: http_exception_handler,
            Exception: internal_error_handler,
        },
        openapi_config=None,
        logging_config=None,
    )


class ChannelHttpSource:
    """A channel's HTTP source with what it owns: the server and the EHR client, if any."""

    def __init__(
        self,
        channel: ChannelConfig,
        receiver: Receiver,
        *,
        guard: Guard | None = None,
        settings_dir: Path | None = None,
    ) -> None:
        source = channel.source
        if not isinstance(source, HttpSourceConfig):
            raise TypeError(f"channel {channel.name} has no HTTP source")
        self.ehr = FhirClient(source.ehr) if source.ehr is not None else None
        app = build_channel_app(channel, receiver, ehr=self.ehr, guard=guard)
        self.server = HttpSource(source, app, name=channel.name, settings_dir=settings_dir)

    @property
    def port(self) -> int:
        """The port served (the real one when the settings said 0)."""
        return self.server.port

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the server."""
        return self.server.base_url

    async def start(self) -> None:
        """Start serving."""
        await self.server.start()

    async def stop(self) -> None:
        """Stop serving, close the EHR client."""
        await self.server.stop()
        if self.ehr is not None:
            await self.ehr.close()
