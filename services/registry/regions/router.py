"""Regions: create, list, import (行政区划)."""
from __future__ import annotations

from fastapi import APIRouter, Query, UploadFile

from common.db import Session
from common.errors import not_found, problems
from common.i18n import Text
from registry.access import Admin, Keeper, region_prefix
from registry.regions import repository, service
from registry.regions.codes import LEVELS
from registry.regions.models import Region
from registry.regions.schemas import RegionImportOut, RegionIn, RegionOut, RegionRenameIn

router = APIRouter(prefix="/v1", tags=["regions"], responses=problems(401, 403, 422))


def out(r: Region) -> RegionOut:
    return RegionOut(code=r.code, name=r.name, level=r.level, parent_code=r.parent_code, version=r.version,
                     created_at=r.created_at)


@router.post("/regions", status_code=201, response_model=RegionOut, responses=problems(404, 409))
async def create_region(body: RegionIn, principal: Keeper, session: Session) -> RegionOut:
    return out(await service.create(session, principal, body))


@router.post("/regions:import", response_model=RegionImportOut, responses=problems(409))
async def import_regions(file: UploadFile, principal: Admin, session: Session) -> RegionImportOut:
    """A CSV of ``code,name``: all rows or none; a row whose region exists under another name renames it."""
    created, renamed, unchanged = await service.import_csv(session, principal, await file.read())
    return RegionImportOut(created=created, renamed=renamed, unchanged=unchanged)


@router.patch("/regions/{code}", response_model=RegionOut, summary="Rename a region (更名)")
async def rename_region(code: str, body: RegionRenameIn, principal: Keeper, session: Session) -> RegionOut:
    return out(await service.rename(session, principal, code, body.name))


@router.get("/regions", response_model=list[RegionOut])
async def list_regions(principal: Keeper, session: Session, level: str | None = Query(None, enum=list(LEVELS)),
                       parent: str | None = None, limit: int = Query(1000, ge=1, le=5000)) -> list[RegionOut]:
    rows = await repository.listing(session, prefix=region_prefix(principal), level=level, parent=parent, limit=limit)
    # The prefix narrows the query; whole codes decide (a group's code can prefix a sibling group's).
    return [out(r) for r in rows if principal.in_region(r.code)]


@router.get("/regions/{code}", response_model=RegionOut, responses=problems(404))
async def get_region(code: str, principal: Keeper, session: Session) -> RegionOut:
    region = await repository.get(session, code)
    if region is None or not principal.in_region(code):
        raise not_found(Text("region", "行政区划"), code)
    return out(region)
