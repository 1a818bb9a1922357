"""Ratings: rate one subject, publish, read, and finalise the publications that have ended."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from common.auth import Principal
from common.db import Session, utcnow
from common.errors import ProblemError, not_found
from common.paths import SerialId
from rating.access import Admin, Officer, Settings, SubjectReader, sees, visible
from rating.ratings import lifecycle
from rating.ratings import repository as repo
from rating.ratings.models import Rating
from rating.ratings.schemas import RateIn, grade_out, rating_out
from rating.subjects.repository import get_subject

router = APIRouter(prefix="/v1", tags=["ratings"])


async def check_consent(session: Any, who: Principal, subject_id: str) -> None:
    """A subject that did not consent to rating has no grade to show (its old ratings included)."""
    subject = await get_subject(session, subject_id)
    if subject is not None and not sees(who, subject_id, subject.village, subject.town, subject.county):
        return  # outside the officer's region: the caller answers as for an unknown subject
    if subject is not None and not subject.rating_consent:
        raise lifecycle.no_consent(subject_id)


async def load_rating(session: Any, rating_id: int, who: Principal, lock: bool = False) -> Rating:
    rating = await repo.get(session, rating_id, lock=lock)
    if rating is None or not sees(who, rating.subject_id, rating.village, rating.town, rating.county):
        raise not_found("rating", rating_id)
    return rating


@router.post("/ratings", status_code=201, summary="Rate one subject (评级)")
async def rate(body: RateIn, who: Officer, session: Session, settings: Settings) -> dict[str, Any]:
    subject = await get_subject(session, body.subject_id)
    if subject is None or not visible(who, subject.village, subject.town, subject.county):
        raise ProblemError(404, "Subject not found", f"no subject {body.subject_id} is known to rating",
                           type="unknown-subject", errors=[{"field": "subject_id", "message": "unknown subject"}])
    rating = await lifecycle.rate_subject(session, subject, settings, trigger="manual", actor=who.caller_id,
                                          publish=body.publish)
    return rating_out(rating)


@router.get("/ratings/{rating_id}")
async def read(rating_id: SerialId, who: SubjectReader, session: Session) -> dict[str, Any]:
    rating = await load_rating(session, rating_id, who)
    await check_consent(session, who, rating.subject_id)
    return rating_out(rating)


@router.post("/ratings/{rating_id}/publish", summary="Publish a proposed rating (公示)")
async def publish(rating_id: SerialId, who: Officer, session: Session, settings: Settings) -> dict[str, Any]:
    rating = await load_rating(session, rating_id, who, lock=True)
    return rating_out(await lifecycle.publish(session, rating, settings))


@router.get("/subjects/{subject_id}/grade", summary="A subject's final grade and any rating under way")
async def subject_grade(subject_id: str, who: SubjectReader, session: Session) -> dict[str, Any]:
    await check_consent(session, who, subject_id)
    grade = await repo.current_grade(session, subject_id)
    pending = await repo.open_rating(session, subject_id)
    shown = grade or pending
    if shown is None or not sees(who, subject_id, shown.village, shown.town, shown.county):
        raise not_found("grade of subject", subject_id)
    return {"subject_id": subject_id, "final": grade_out(grade) if grade else None,
            "pending": rating_out(pending) if pending else None}


@router.get("/subjects/{subject_id}/ratings", summary="A subject's rating history")
async def subject_history(subject_id: str, who: SubjectReader, session: Session) -> dict[str, Any]:
    items = await repo.history(session, subject_id)
    if items and not sees(who, subject_id, items[0].village, items[0].town, items[0].county):
        return {"items": []}  # outside the officer's region: as for an unknown subject
    await check_consent(session, who, subject_id)
    return {"items": [rating_out(r) for r in items]}


@router.post("/publications:finalise", summary="Finalise every publication that has ended, now")
async def finalise_now(who: Admin, request: Request, settings: Settings) -> dict[str, Any]:
    finalised = await lifecycle.finalise_due(request.app.state.db, settings, utcnow())
    return {"finalised": finalised}
