"""Credit villages (信用村) and towns (信用镇): read their standing, recompute on demand."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from common.db import Session
from common.errors import problems
from rating.access import AggregateReader, Officer, Settings
from rating.ratings.schemas import GradeOut
from rating.villages import service

router = APIRouter(prefix="/v1", tags=["credit villages and towns"], responses=problems(401, 403, 404, 422))
Code = Annotated[str, Path(pattern=r"^\d{6,12}$", description="village or town code")]


@router.get("/villages/{code}", summary="A village's credit-village standing", response_model=GradeOut)
async def village(code: Code, who: AggregateReader, session: Session) -> GradeOut:
    return await service.village_standing(session, code, who)


@router.get("/towns/{code}", summary="A town's credit-town standing", response_model=GradeOut)
async def town(code: Code, who: AggregateReader, session: Session) -> GradeOut:
    return await service.town_standing(session, code, who)


@router.post("/villages/{code}/recompute", summary="Recompute a village and its town now", response_model=GradeOut)
async def recompute(code: Code, who: Officer, session: Session, settings: Settings) -> GradeOut:
    return await service.recompute_one(session, code, who, settings)
