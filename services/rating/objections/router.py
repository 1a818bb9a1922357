"""Objections (异议): file against a rating, list the open ones, answer one."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from common.db import Session
from common.errors import problems
from common.paging import next_page
from common.paths import SerialId
from rating.access import Officer, Settings, SubjectReader
from rating.objections import service
from rating.objections.schemas import AnswerIn, ObjectionIn, ObjectionOut, ObjectionPage

router = APIRouter(prefix="/v1", tags=["objections"], responses=problems(401, 403, 422))


@router.post("/ratings/{rating_id}/objections", status_code=201, summary="Record an objection (异议)",
             response_model=ObjectionOut, responses=problems(404, 409, s409="invalid-state: not published nor final"))
async def file(rating_id: SerialId, body: ObjectionIn, who: SubjectReader, session: Session,
               settings: Settings) -> ObjectionOut:
    """An officer records one on the household's behalf; the household files its own, on its own
    rating and only while it is on publication (公示期), under its own name."""
    return await service.file_against(session, rating_id, body, who, settings)


@router.get("/objections", summary="Open objections, soonest answer due first", response_model=ObjectionPage)
async def open_objections(who: Officer, session: Session, request: Request, region: str | None = None,
                          after: Annotated[int | None, Query(ge=1, description="the previous page's next_after")] = None,
                          limit: Annotated[int, Query(ge=1, le=500)] = 200) -> ObjectionPage:
    items = await service.open_page(session, who, region, after, limit)
    return ObjectionPage(items=items, **next_page(request, str(items[-1].id) if items else None, len(items) == limit))


@router.post("/objections/{objection_id}/answer", summary="Answer an objection: upheld → re-rate, rejected → reason",
             response_model=ObjectionOut, responses=problems(404, 409, s409="invalid-state: already answered"))
async def answer(objection_id: SerialId, body: AnswerIn, who: Officer, session: Session, settings: Settings) -> ObjectionOut:
    return await service.answer_visible(session, objection_id, body, who, settings)
