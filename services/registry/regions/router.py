"""Regions: create, list, import (行政区划)."""
from __future__ import annotations

from fastapi import APIRouter, Query, UploadFile

from common.db import Session
from common.errors import not_found
from common.i18n import Text
from registry.access import Admin, Keeper, region_prefix
from registry.regions import repository, service
from registry.regions.codes import LEVELS
from registry.regions.models import Region
from registry.regions.schemas import RegionImportOut, RegionIn, RegionOut

router = APIRouter(prefix="/v1", tags=["regions"])


def out(r: Region) -> RegionOut:
    return RegionOut(code=r.code, name=r.name, level=r.level, parent_code=r.parent_code, created_at=r.created_at)


@router.post("/regions", status_code=201, response_model=RegionOut)
async def create_region(body: RegionIn, principal: Keeper, session: Session) -> RegionOut:
    return out(await service.create(session, principal, body))


@router.post("/regions:import", response_model=RegionImportOut)
async def import_regions(file: UploadFile, principal: Admin, session: Session) -> RegionImportOut:
    """A CSV of ``code,name``: all rows or none; rows already there are left as they are."""
    created, unchanged = await service.import_csv(session, principal, await file.read())
    return RegionImportOut(created=created, unchanged=unchanged)


@router.get("/regions", response_model=list[RegionOut])
async def list_regions(principal: Keeper, session: Session, level: str | None = Query(None, enum=list(LEVELS)),
                       parent: str | None = None, limit: int = Query(1000, ge=1, le=5000)) -> list[RegionOut]:
    rows = await repository.listing(session, prefix=region_prefix(principal), level=level, parent=parent, limit=limit)
    # The prefix narrows the query; whole codes decide (a group's code can prefix a sibling group's).
    return [out(r) for r in rows if principal.in_region(r.code)]


@router.get("/regions/{code}", response_model=RegionOut)
async def get_region(code: str, principal: Keeper, session: Session) -> RegionOut:
    region = await repository.get(session, code)
    if region is None or not principal.in_region(code):
        raise not_found(Text("region", "行政区划"), code)
    return out(region)
