"""Admin API: risk-sharing programmes (e.g. 4321) and the risk-compensation fund (风险补偿金)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from common.auth import Principal, Role, require_roles
from common.db import Session
from common.errors import problems
from lending.risk import repository, service
from lending.risk.schemas import FundOut, ProgrammeIn, ProgrammeOut, TopUpIn

router = APIRouter(prefix="/v1", tags=["risk sharing"], responses=problems(401, 403, 422))
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
Reader = Annotated[Principal, Depends(require_roles(Role.platform, Role.bank))]


@router.get("/risk-programmes", response_model=list[ProgrammeOut])
async def programmes(_: Reader, session: Session) -> list[ProgrammeOut]:
    return [service.programme_out(p) for p in await repository.list_programmes(session)]


@router.post("/risk-programmes", response_model=ProgrammeOut, status_code=201)
async def add_programme(body: ProgrammeIn, _: Admin, session: Session) -> ProgrammeOut:
    return await service.add_programme(session, body)


@router.get("/risk-fund", response_model=FundOut)
async def fund(_: Admin, session: Session, limit: int = Query(default=50, ge=1, le=500)) -> FundOut:
    return await service.fund_view(session, limit)


@router.post("/risk-fund/top-ups", response_model=FundOut, status_code=201)
async def top_up(body: TopUpIn, admin: Admin, session: Session) -> FundOut:
    return await service.top_up(session, body, admin.caller_id)
