"""The clearinghouse over HTTP (see ``careweave.sandbox.clearinghouse.api``), polling its drop
directory in the background while it serves."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from litestar import Litestar, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody

from careweave.sandbox.clearinghouse.api import (
    AdjudicatedClaim,
    FileKind,
    OutboundFile,
    PriorAuthorization,
    ReceivedFile,
    SubmissionReceipt,
)
from careweave.sandbox.clearinghouse.service import Clearinghouse

X12_MEDIA_TYPE = "application/edi-x12"


class ClearinghouseSimulator:
    """The clearinghouse service and the ASGI app serving it; the drop directory is polled every
    *poll_interval* seconds while the app runs (0 turns polling off)."""

    def __init__(self, clearinghouse: Clearinghouse, poll_interval: float = 0.5) -> None:
        self.clearinghouse = clearinghouse
        self.poll_interval = poll_interval
        self.app = self._build()

    @contextlib.asynccontextmanager
    async def _polling(self, app: Litestar) -> AsyncIterator[None]:
        task = asyncio.create_task(self._poll_forever()) if self.poll_interval > 0 else None
        try:
            yield
        finally:
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _poll_forever(self) -> None:
        while True:
            await asyncio.to_thread(self.clearinghouse.poll)
            await asyncio.sleep(self.poll_interval)

    def _build(self) -> Litestar:
        house = self.clearinghouse

        def listing(kind: FileKind, since: int) -> list[OutboundFile]:
            return house.files(kind, since)

        def content(kind: FileKind, name: str) -> Response[str]:
            text = house.read(kind, name)
            if text is None:
                raise NotFoundException(f"no released {kind} file named {name!r}")
            return Response(text, media_type=X12_MEDIA_TYPE)

        @post("/837", status_code=201)
        async def submit_837(request: Request[Any, Any, Any]) -> SubmissionReceipt:
            body = await request.body()
            name = request.headers.get("x-filename", "")
            key = request.headers.get("idempotency-key", "")
            return await asyncio.to_thread(house.submit, body, name, key)

        @get("/837")
        async def list_837() -> list[ReceivedFile]:
            return house.received()

        @get("/837/{name:str}")
        async def get_837(name: FromPath[str]) -> Response[bytes]:
            raw = house.read_received(name)
            if raw is None:
                raise NotFoundException(f"no inbound file named {name!r}")
            return Response(raw, media_type=X12_MEDIA_TYPE)

        @get("/999")
        async def list_999(since: FromQuery[int] = 0) -> list[OutboundFile]:
            return listing("999", since)

        @get("/277")
        async def list_277(since: FromQuery[int] = 0) -> list[OutboundFile]:
            return listing("277", since)

        @get("/835")
        async def list_835(since: FromQuery[int] = 0) -> list[OutboundFile]:
            return listing("835", since)

        @get("/999/{name:str}")
        async def get_999(name: FromPath[str]) -> Response[str]:
            return content("999", name)

        @get("/277/{name:str}")
        async def get_277(name: FromPath[str]) -> Response[str]:
            return content("277", name)

        @get("/835/{name:str}")
        async def get_835(name: FromPath[str]) -> Response[str]:
            return content("835", name)

        @post("/authorizations", status_code=201)
        async def authorize(data: JSONBody[PriorAuthorization]) -> PriorAuthorization:
            house.authorize(data)
            return data

        @get("/admin/claims")
        async def adjudicated() -> list[AdjudicatedClaim]:
            return house.adjudicated()

        return Litestar(
            route_handlers=[
                submit_837, list_837, get_837, list_999, list_277, list_835, get_999, get_277,
                get_835, authorize, adjudicated,
            ],
            lifespan=[self._polling],
            debug=False,
            logging_config=None,  # the process's logging is careweave's, not Litestar's
        )  # fmt: skip
