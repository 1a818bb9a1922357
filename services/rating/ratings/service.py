"""Ratings over the API: rate one subject, read, publish, a subject's grade and history; consent
and the officer's region decide what is shown."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import Database, utcnow
from common.errors import ProblemError, not_found
from common.i18n import Text
from rating.access import sees, visible
from rating.ratings import lifecycle
from rating.ratings import repository as repo
from rating.ratings.explain import grade_view, rating_view
from rating.ratings.models import Rating
from rating.ratings.schemas import (
    FinaliseOut,
    RateIn,
    RatingListOut,
    RatingOut,
    SubjectGradeOut,
)
from rating.settings import RatingSettings
from rating.subjects.repository import get_subject


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
        raise not_found(Text("rating", "评级"), rating_id)
    return rating


def unknown_subject(subject_id: str, detail: Text) -> ProblemError:
    return ProblemError(404, Text("Subject not found", "未找到信用主体"), detail, type="unknown-subject",
                        errors=[{"field": "subject_id", "message": Text("unknown subject", "信用主体不存在")}])


async def rate(session: AsyncSession, body: RateIn, who: Principal, settings: RatingSettings) -> RatingOut:
    subject = await get_subject(session, body.subject_id)
    if subject is None or not visible(who, subject.village, subject.town, subject.county):
        raise unknown_subject(body.subject_id, Text(f"no subject {body.subject_id} is known to rating",
                                                    f"评级系统中没有信用主体 {body.subject_id}"))
    rating = await lifecycle.rate_subject(session, subject, settings, trigger="manual", actor=who.caller_id,
                                          publish=body.publish)
    return await rating_view(session, rating)


async def read(session: AsyncSession, rating_id: int, who: Principal) -> RatingOut:
    rating = await load_rating(session, rating_id, who)
    await check_consent(session, who, rating.subject_id)
    return await rating_view(session, rating)


async def publish(session: AsyncSession, rating_id: int, who: Principal, settings: RatingSettings) -> RatingOut:
    rating = await load_rating(session, rating_id, who, lock=True)
    return await rating_view(session, await lifecycle.publish(session, rating, settings))


async def subject_grade(session: AsyncSession, subject_id: str, who: Principal) -> SubjectGradeOut:
    await check_consent(session, who, subject_id)
    grade = await repo.current_grade(session, subject_id)
    pending = await repo.open_rating(session, subject_id)
    shown = grade or pending
    if shown is None or not sees(who, subject_id, shown.village, shown.town, shown.county):
        raise not_found(Text("grade of subject", "信用主体的信用等级"), subject_id)
    return SubjectGradeOut(subject_id=subject_id, final=await grade_view(session, grade) if grade else None,
                           pending=await rating_view(session, pending) if pending else None)


async def history(session: AsyncSession, subject_id: str, who: Principal) -> RatingListOut:
    items = await repo.history(session, subject_id)
    if items and not sees(who, subject_id, items[0].village, items[0].town, items[0].county):
        return RatingListOut(items=[])  # outside the officer's region: as for an unknown subject
    await check_consent(session, who, subject_id)
    return RatingListOut(items=[await rating_view(session, r) for r in items])


async def finalise_now(db: Database, settings: RatingSettings) -> FinaliseOut:
    return FinaliseOut(finalised=await lifecycle.finalise_due(db, settings, utcnow()))
