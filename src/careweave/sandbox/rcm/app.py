"""The simulated revenue-cycle platform as a Litestar app (see ``careweave.sandbox.rcm.api``)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Request, Response, get, post, put
from litestar.exceptions import HTTPException, NotFoundException
from litestar.params import FromPath, FromQuery, JSONBody

from careweave.sandbox.rcm.api import (
    BatchResult,
    BilledAccount,
    BilledNotice,
    ChargeBatch,
    ChargeRecord,
    EncounterUpdate,
    PostingResult,
    Receivable,
    RemittanceBatch,
)
from careweave.sandbox.rcm.state import RcmState


class RcmSimulator:
    """The platform's books (``state``, read directly by tests) and the ASGI app serving them."""

    def __init__(self, state: RcmState | None = None) -> None:
        self.state = state or RcmState()
        self.app = self._build()

    def _build(self) -> Litestar:
        state = self.state

        @post("/api/charges/batch", status_code=200)
        async def post_batch(
            request: Request[Any, Any, Any], data: JSONBody[ChargeBatch]
        ) -> BatchResult:
            key = request.headers.get("idempotency-key", "")
            if not key:
                raise HTTPException(
                    status_code=400, detail="the Idempotency-Key header is required"
                )
            return state.apply_batch(key, data)

        @put("/api/encounters/{encounter_id:str}")
        async def put_encounter(
            encounter_id: FromPath[str], data: JSONBody[EncounterUpdate]
        ) -> BilledAccount:
            return state.update_encounter(encounter_id, data)

        @get("/api/charges")
        async def list_charges(encounter_id: FromQuery[str | None] = None) -> list[ChargeRecord]:
            return state.charges(encounter_id)

        @get("/api/accounts")
        async def list_accounts() -> list[BilledAccount]:
            return state.accounts()

        @get("/api/accounts/{encounter_id:str}")
        async def get_account(encounter_id: FromPath[str]) -> BilledAccount:
            account = state.account(encounter_id)
            if account is None:
                raise NotFoundException(f"no account for encounter {encounter_id}")
            return account

        @get("/api/claims/ready")
        async def ready_claims() -> list[BilledAccount]:
            return state.ready()

        @post("/api/claims/billed", status_code=200)
        async def claims_billed(data: JSONBody[BilledNotice]) -> BilledAccount:
            account = state.mark_billed(data)
            if account is None:
                raise NotFoundException(f"unknown account {data.account_id}")
            return account

        @post("/api/remittances", status_code=200)
        async def post_remittances(data: JSONBody[RemittanceBatch]) -> list[PostingResult]:
            return state.post_remittances(data)

        @get("/api/receivables")
        async def receivables() -> list[Receivable]:
            return state.receivables()

        @get("/health")
        async def health() -> Response[dict[str, str]]:
            return Response({"status": "ok"})

        return Litestar(
            route_handlers=[
                post_batch, put_encounter, list_charges, list_accounts, get_account,
                ready_claims, claims_billed, post_remittances, receivables, health,
            ],
            debug=False,
            logging_config=None,  # the process's logging is careweave's, not Litestar's
        )  # fmt: skip
