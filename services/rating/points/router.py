"""Credit points (信用积分): record an entry, read a balance, rank a village or town."""
from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query

from common.db import Session
from common.errors import problems
from common.paths import SerialId
from rating.access import Officer, Reader, Settings, SubjectReader
from rating.points import service
from rating.points.schemas import BalanceOut, PointsIn, PointsRecordedOut, RankingsOut

router = APIRouter(prefix="/v1", tags=["credit points"], responses=problems(401, 403, 422))


# ``rating_id`` and ``grade`` appear only when the entry re-rated the subject (exclude_unset).
@router.post("/points", status_code=201, summary="Record a credit-points entry", response_model=PointsRecordedOut,
             response_model_exclude_unset=True, responses=problems(404, 409, s404="unknown-subject"))
async def add(body: PointsIn, who: Officer, session: Session, settings: Settings) -> PointsRecordedOut:
    return await service.add(session, body, who, settings)


@router.post("/points/{entry_id}/correct", summary="A serious item was corrected: the grade is restored at once",
             response_model=PointsRecordedOut, response_model_exclude_unset=True,
             responses=problems(404, 409, s409="not-serious, already-corrected"))
async def correct(entry_id: SerialId, who: Officer, session: Session, settings: Settings) -> PointsRecordedOut:
    return await service.correct(session, entry_id, who, settings)


@router.get("/subjects/{subject_id}/points", summary="A subject's points balance and entries", response_model=BalanceOut)
async def balance(subject_id: str, who: SubjectReader, session: Session, settings: Settings,
                  as_of: datetime | None = None) -> BalanceOut:
    return await service.balance(session, subject_id, who, settings, as_of)


@router.get("/points/rankings", summary="Households ranked by points in a village or town", response_model=RankingsOut)
async def rankings(who: Reader, session: Session, settings: Settings,
                   village: str | None = Query(default=None, pattern=r"^\d{6,12}$"),
                   town: str | None = Query(default=None, pattern=r"^\d{6,12}$"),
                   as_of: datetime | None = None, limit: int = Query(default=50, ge=1, le=500)) -> RankingsOut:
    return await service.rankings(session, who, settings, village, town, as_of, limit)
