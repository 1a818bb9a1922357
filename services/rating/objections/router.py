"""Objections (异议): file against a rating, list the open ones, answer one."""
from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from common.auth import Role
from common.db import Session, utcnow
from common.errors import ProblemError, not_found
from common.paths import SerialId
from rating.access import Officer, Settings, SubjectReader, check_region, visible
from rating.objections import service
from rating.objections.models import Objection
from rating.ratings.models import PUBLISHED
from rating.ratings.router import load_rating

router = APIRouter(prefix="/v1", tags=["objections"])


class ObjectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)
    filed_by: str | None = Field(default=None, max_length=120, description="who objects (masked), if not the caller")


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["upheld", "rejected"]
    answer: str = Field(min_length=1, max_length=2000, description="the written answer (书面答复)")


def objection_out(o: Objection) -> dict[str, Any]:
    return {"id": o.id, "rating_id": o.rating_id, "subject_id": o.subject_id, "reason": o.reason,
            "filed_by": o.filed_by, "filed_at": o.filed_at.isoformat(), "answer_due": o.answer_due.isoformat(),
            "status": o.status, "answer": o.answer, "answered_by": o.answered_by,
            "answered_at": o.answered_at.isoformat() if o.answered_at else None, "new_rating_id": o.new_rating_id,
            "overdue": o.status == "open" and o.answer_due < utcnow()}


@router.post("/ratings/{rating_id}/objections", status_code=201, summary="Record an objection (异议)")
async def file(rating_id: SerialId, body: ObjectionIn, who: SubjectReader, session: Session,
               settings: Settings) -> dict[str, Any]:
    """An officer records one on the household's behalf; the household files its own, on its own
    rating and only while it is on publication (公示期), under its own name."""
    rating = await load_rating(session, rating_id, who, lock=True)
    filed_by = body.filed_by or who.caller_id
    if who.role == Role.household:
        if rating.status != PUBLISHED:
            raise ProblemError(409, "Not on publication", f"rating {rating.id} is {rating.status}: a household files "
                               "its objection during the publication period", type="invalid-state")
        filed_by = who.caller_id
    objection = await service.file(session, rating, body.reason, filed_by, settings, utcnow())
    return objection_out(objection)


@router.get("/objections", summary="Open objections, soonest answer due first")
async def open_objections(who: Officer, session: Session, region: str | None = None) -> dict[str, Any]:
    region = region or who.region
    check_region(who, region)
    return {"items": [objection_out(o) for o in await service.list_open(session, region)]}


@router.post("/objections/{objection_id}/answer", summary="Answer an objection: upheld → re-rate, rejected → reason")
async def answer(objection_id: SerialId, body: AnswerIn, who: Officer, session: Session, settings: Settings) -> dict[str, Any]:
    objection = await service.get(session, objection_id, lock=True)
    if not visible(who, objection.village):
        raise not_found("objection", objection_id)
    done = await service.answer(session, objection, body.decision, body.answer, who.caller_id, settings, utcnow())
    return objection_out(done)
