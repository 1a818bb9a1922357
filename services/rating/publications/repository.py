"""SQL of the publication list: a region's ratings by status, keyset-paged by rating id."""
from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from rating.objections.models import OPEN, Objection
from rating.ratings.models import FINAL, PUBLISHED, CurrentGrade, Rating
from rating.subjects.models import Subject


def _in_region(code: str) -> Any:
    """Codes nest by whole-code prefix: a county, town or village code selects what lies inside."""
    return or_(Rating.village.startswith(code, autoescape=True), Rating.town == code, Rating.county == code)


async def page(session: AsyncSession, *, region: str, status: str, after: int | None, limit: int) -> list[Any]:
    """Up to ``limit`` rows after ``after`` (by rating id). Subjects without consent to rating are
    never listed."""
    objections = (select(Objection.rating_id, func.count().label("open_objections"),
                         func.min(Objection.answer_due).label("answer_due"))
                  .where(Objection.status == OPEN).group_by(Objection.rating_id).subquery())
    q = (select(Rating.id, Rating.subject_id, Rating.kind, Rating.county, Rating.town, Rating.village, Rating.grade,
                Rating.score, Rating.vetoed, Rating.published_at, Rating.publication_ends_at, Rating.finalised_at,
                Subject.masked_name, func.coalesce(objections.c.open_objections, 0).label("open_objections"),
                objections.c.answer_due)
         .join(Subject, Subject.subject_id == Rating.subject_id)
         .outerjoin(objections, objections.c.rating_id == Rating.id)
         .where(_in_region(region), Subject.rating_consent.is_(True))
         .order_by(Rating.id).limit(limit))
    if status == "published":
        q = q.where(Rating.status == PUBLISHED, Rating.disputed.is_(False))
    elif status == "disputed":
        q = q.where(Rating.status.in_((PUBLISHED, FINAL)), Rating.disputed.is_(True))
    else:  # final: the subject's current final grade, undisputed
        q = q.join(CurrentGrade, and_(CurrentGrade.subject_id == Rating.subject_id, CurrentGrade.rating_id == Rating.id)) \
             .where(Rating.status == FINAL, Rating.disputed.is_(False))
    if after is not None:
        q = q.where(Rating.id > after)
    return list((await session.execute(q)).all())
