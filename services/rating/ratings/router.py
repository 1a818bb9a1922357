"""Ratings: rate one subject, publish, read, and finalise the publications that have ended."""
from __future__ import annotations

from fastapi import APIRouter, Request

from common.db import Session
from common.errors import problems
from common.paths import SerialId
from rating.access import Admin, Officer, Settings, SubjectReader
from rating.ratings import service
from rating.ratings.schemas import FinaliseOut, RateIn, RatingListOut, RatingOut, SubjectGradeOut

NO_CONSENT = "no-consent: the subject did not consent to rating (its grades are not shown)"
router = APIRouter(prefix="/v1", tags=["ratings"], responses=problems(401, 403, 422))


@router.post("/ratings", status_code=201, summary="Rate one subject (评级)", response_model=RatingOut,
             responses=problems(404, 409, s404="unknown-subject", s409=NO_CONSENT + "; subject-archived"))
async def rate(body: RateIn, who: Officer, session: Session, settings: Settings) -> RatingOut:
    return await service.rate(session, body, who, settings)


@router.get("/ratings/{rating_id}", response_model=RatingOut, responses=problems(404, 409, s409=NO_CONSENT))
async def read(rating_id: SerialId, who: SubjectReader, session: Session) -> RatingOut:
    return await service.read(session, rating_id, who)


@router.post("/ratings/{rating_id}/publish", summary="Publish a proposed rating (公示)", response_model=RatingOut,
             responses=problems(404, 409, s409="invalid-state: only a proposed rating is published"))
async def publish(rating_id: SerialId, who: Officer, session: Session, settings: Settings) -> RatingOut:
    return await service.publish(session, rating_id, who, settings)


@router.get("/subjects/{subject_id}/grade", summary="A subject's final grade and any rating under way",
            response_model=SubjectGradeOut, responses=problems(404, 409, s409=NO_CONSENT))
async def subject_grade(subject_id: str, who: SubjectReader, session: Session) -> SubjectGradeOut:
    return await service.subject_grade(session, subject_id, who)


@router.get("/subjects/{subject_id}/ratings", summary="A subject's rating history", response_model=RatingListOut,
            responses=problems(409, s409=NO_CONSENT))
async def subject_history(subject_id: str, who: SubjectReader, session: Session) -> RatingListOut:
    return await service.history(session, subject_id, who)


@router.post("/publications:finalise", summary="Finalise every publication that has ended, now",
             response_model=FinaliseOut)
async def finalise_now(who: Admin, request: Request, settings: Settings) -> FinaliseOut:
    return await service.finalise_now(request.app.state.db, settings)
