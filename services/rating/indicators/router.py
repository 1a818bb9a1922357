"""Indicator systems: read the versions, publish a new one (admin; no release needed)."""
from __future__ import annotations

from fastapi import APIRouter

from common.db import Session
from common.errors import problems
from common.paths import SerialId
from rating.access import Admin, Reader
from rating.indicators import service
from rating.indicators.schemas import IndicatorSystemIn, IndicatorSystemList, IndicatorSystemOut

router = APIRouter(prefix="/v1/indicator-systems", tags=["indicator systems"], responses=problems(401, 403, 422))


@router.get("", response_model=IndicatorSystemList)
async def list_systems(who: Reader, session: Session, kind: str | None = None) -> IndicatorSystemList:
    return await service.listing(session, kind)


@router.get("/{kind}/current", response_model=IndicatorSystemOut, responses=problems(404))
async def current(kind: str, who: Reader, session: Session) -> IndicatorSystemOut:
    return await service.current(session, kind)


@router.get("/{kind}/{version}", response_model=IndicatorSystemOut, responses=problems(404))
async def read(kind: str, version: SerialId, who: Reader, session: Session) -> IndicatorSystemOut:
    return await service.read(session, kind, version)


@router.post("", status_code=201, summary="Publish a new version of a kind's indicator system",
             response_model=IndicatorSystemOut, responses=problems(422, s422="invalid-indicator-system: every fault named"))
async def publish(body: IndicatorSystemIn, who: Admin, session: Session) -> IndicatorSystemOut:
    return await service.publish(session, body, who.caller_id)
