"""Credit villages (信用村) and towns (信用镇): read their standing, recompute on demand."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from common.db import Session, utcnow
from common.errors import not_found
from rating.access import AggregateReader, Officer, Settings, check_region
from rating.ratings import repository as ratings_repo
from rating.ratings.schemas import GradeOut, grade_out
from rating.subjects.repository import village_subject_ids
from rating.villages.service import recompute_villages, town_key, village_key

router = APIRouter(prefix="/v1", tags=["credit villages and towns"])
Code = Annotated[str, Path(pattern=r"^\d{6,12}$", description="village or town code")]


@router.get("/villages/{code}", summary="A village's credit-village standing")
async def village(code: Code, who: AggregateReader, session: Session) -> GradeOut:
    check_region(who, code)
    own = await village_subject_ids(session, [code])
    grade = await ratings_repo.current_grade(session, own.get(code, village_key(code)))
    if grade is None:
        raise not_found("village rating", code)
    return grade_out(grade, [], [])  # a village's or town's grade is its households' share, not indicators


@router.get("/towns/{code}", summary="A town's credit-town standing")
async def town(code: Code, who: AggregateReader, session: Session) -> GradeOut:
    check_region(who, code)
    grade = await ratings_repo.current_grade(session, town_key(code))
    if grade is None:
        raise not_found("town rating", code)
    return grade_out(grade, [], [])  # a village's or town's grade is its households' share, not indicators


@router.post("/villages/{code}/recompute", summary="Recompute a village and its town now")
async def recompute(code: Code, who: Officer, session: Session, settings: Settings) -> GradeOut:
    check_region(who, code)
    await recompute_villages(session, [code], utcnow(), settings)
    return await village(code, who, session)
