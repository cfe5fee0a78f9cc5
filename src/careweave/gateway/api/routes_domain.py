"""Domain APIs: items and the crosswalk, locations, cost centers, payers, providers, entities,
patient identity. Read from the application's master data as loaded now (it reloads while
running); a crosswalk fix is the one ``careweave crosswalk add`` makes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from litestar import get, post
from litestar.handlers import HTTPRouteHandler
from litestar.params import JSONBody, QueryParameter

from careweave.erp.item_miss import default_effective_from, fix_item_miss
from careweave.exceptions import NotFoundError, ValidationError
from careweave.gateway.api.context import ApiContext
from careweave.gateway.api.groups import ApiGroup
from careweave.gateway.api.routing import scoped
from careweave.gateway.api.schemas import (
    CrosswalkFixOut,
    CrosswalkIn,
    MatchIn,
    MatchOut,
    PairOut,
    PhysicianOut,
)
from careweave.gateway.api.scopes import Scope
from careweave.gateway.api.security import ApiSecurity, principal_of
from careweave.gateway.http_common import AnyRequest
from careweave.masterdata.cost_centers import CostCenterAssignment
from careweave.masterdata.entities import LegalEntity
from careweave.masterdata.files import MasterData
from careweave.masterdata.identity import PatientMatcher, PatientRecord
from careweave.masterdata.items import CodeKind, CrosswalkEntry, MasterItem
from careweave.masterdata.locations import InventoryLocation
from careweave.masterdata.payers import Payer
from careweave.model.audit import AuditAction

MASTER_DATA = ApiGroup(
    name="masterdata",
    title="domain: master data",
    layer="domain",
    owner="supply-chain",
    sla="reads answer within 1 s (p99) from the master data loaded now; a crosswalk fix replays "
    "the parked supplies before answering",
    description="Items and the crosswalk, locations, cost centers, payers, providers and legal "
    "entities; the crosswalk fix of an item-miss case",
    systems=("master-data files", "ERP item master"),
    phi="none",
)
"""Domain API: master data."""

PATIENT_IDENTITY = ApiGroup(
    name="patient-identity",
    title="domain: patient identity",
    layer="domain",
    owner="revenue-integrity",
    sla="a match answers within 2 s (p99)",
    description="Patient identity: scores pairs of patient records as the patient index does",
    systems=("patient index",),
    phi="full",
)
"""Domain API: patient identity (needs ``phi:read``)."""


def _data(ctx: ApiContext) -> MasterData:
    return ctx.backend.masterdata or MasterData()


def masterdata_handlers(ctx: ApiContext, security: ApiSecurity) -> list[HTTPRouteHandler]:
    """Items, crosswalk, locations, cost centers, payers, providers, entities."""
    read = scoped(security, Scope.MASTERDATA_READ, group=MASTER_DATA)
    write = scoped(security, Scope.MASTERDATA_WRITE, group=MASTER_DATA)

    @get("/v1/items", **read)
    async def list_items() -> list[MasterItem]:
        """The ERP item master."""
        crosswalk = _data(ctx).crosswalk
        return crosswalk.items() if crosswalk is not None else []

    @get("/v1/crosswalk", **read)
    async def list_crosswalk(
        code: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> list[CrosswalkEntry]:
        """Every crosswalk entry, every version (of one code when ``code`` is given)."""
        crosswalk = _data(ctx).crosswalk
        entries = crosswalk.entries() if crosswalk is not None else []
        return [e for e in entries if not code or e.code.upper() == code.upper()]

    @post("/v1/crosswalk", status_code=201, **write)
    async def add_crosswalk(request: AnyRequest, data: JSONBody[CrosswalkIn]) -> CrosswalkFixOut:
        """Map a code to an ERP item; resolve its item-miss case and replay what it parked."""
        principal = principal_of(request)
        master = _data(ctx)
        if master.crosswalk is None:
            raise NotFoundError("[masterdata] names no crosswalk")
        try:
            kind = CodeKind(data.kind)
        except ValueError as exc:
            raise ValidationError(f"kind {data.kind!r} is not one of {list(CodeKind)}") from exc
        today = dt.datetime.now(dt.UTC).date()
        since = data.effective_from or default_effective_from(
            master.crosswalk, kind, data.code, today
        )
        fix = await fix_item_miss(
            ctx.engine, master.crosswalk, data.code, data.item_number,
            actor=principal.client_id, effective_from=since, kind=kind,
            crosswalk_file=master.crosswalk_file, source="api",
        )  # fmt: skip
        return CrosswalkFixOut(
            kind=str(kind), code=fix.entry.code, item_number=fix.entry.item_number,
            effective_from=fix.entry.effective_from, version=fix.entry.version,
            case_ids=fix.case_ids, replayed=fix.replayed,
        )  # fmt: skip

    @get("/v1/locations", **read)
    async def list_locations() -> list[InventoryLocation]:
        """Inventory locations (entity, facility, point of care, cost center)."""
        locations = _data(ctx).locations
        return locations.locations() if locations is not None else []

    @get("/v1/cost-centers", **read)
    async def list_cost_centers() -> list[CostCenterAssignment]:
        """Department to cost-center assignments, with their effective dates."""
        centers = _data(ctx).cost_centers
        return centers.assignments() if centers is not None else []

    @get("/v1/payers", **read)
    async def list_payers() -> list[Payer]:
        """Payers."""
        payers = _data(ctx).payers
        return payers.payers() if payers is not None else []

    @get("/v1/providers", **read)
    async def list_providers() -> list[PhysicianOut]:
        """Physicians by NPI with their group, entity and cost center."""
        physicians = _data(ctx).physicians
        members = physicians.members() if physicians is not None else {}
        return [
            PhysicianOut(npi=npi, group=g.code, entity=g.entity, cost_center=g.cost_center)
            for npi, g in sorted(members.items())
        ]

    @get("/v1/entities", **read)
    async def list_entities() -> list[LegalEntity]:
        """Legal entities (billing providers)."""
        entities = _data(ctx).entities
        if entities is None:
            return []
        return [e for code in entities.codes() if (e := entities.get(code)) is not None]

    return [list_items, list_crosswalk, add_crosswalk, list_locations, list_cost_centers,
            list_payers, list_providers, list_entities]  # fmt: skip


def identity_handlers(ctx: ApiContext, security: ApiSecurity) -> list[HTTPRouteHandler]:
    """Patient identity: the master patient index's matcher."""
    phi = scoped(security, Scope.PATIENTS_READ, Scope.PHI_READ, group=PATIENT_IDENTITY)

    @post("/v1/patients/match", status_code=200, **phi)
    async def match_patients(request: AnyRequest, data: JSONBody[MatchIn]) -> MatchOut:
        """Which of the posted registrations are one patient (pairs linked or to review)."""
        ids = [r.id for r in data.records]
        if len(set(ids)) != len(ids):
            raise ValidationError("record ids must be unique")
        records = [
            PatientRecord(
                id=r.id, given=r.given, family=r.family, birth_date=r.birth_date, sex=r.sex,
                address=r.address, city=r.city, postcode=r.postcode, phone=r.phone, ssn=r.ssn,
            )
            for r in data.records
        ]  # fmt: skip
        result = PatientMatcher().match(records)
        pairs = [
            PairOut(a=p.a, b=p.b, score=round(p.score, 6), decision=p.decision.value,
                    reason=p.reason)
            for p in result.pairs
        ]  # fmt: skip
        patients = [[result.records[i].id for i in members] for members in result.clusters]
        await ctx.audit(
            principal_of(request), AuditAction.PHI_READ, "patients:match", records=str(len(ids))
        )
        return MatchOut(pairs=pairs, patients=patients)

    return [match_patients]
