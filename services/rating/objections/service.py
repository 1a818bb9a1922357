"""Objections (异议): filed during publication or after; the rating is flagged disputed (a disputed
publication does not become final) and the objection answered in writing: upheld → the subject is
re-rated with what rating now knows (a new rating, published again); rejected → the reason, and the
rating may go final when its publication ends."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role
from common.db import utcnow
from common.errors import ProblemError, conflict, not_found
from common.i18n import Text
from rating.access import check_region, visible
from rating.objections import repository as repo
from rating.objections.models import OPEN, Objection
from rating.objections.schemas import AnswerIn, ObjectionIn, ObjectionOut
from rating.ratings import repository as ratings_repo
from rating.ratings.lifecycle import rate_subject
from rating.ratings.models import FINAL, PUBLISHED, Rating
from rating.ratings.service import load_rating
from rating.settings import RatingSettings
from rating.subjects.repository import get_subject

UPHELD, REJECTED = "upheld", "rejected"
OBJECTION = Text("objection", "异议")


async def file(session: AsyncSession, rating: Rating, reason: str, filed_by: str, settings: RatingSettings,
               now: datetime) -> Objection:
    if rating.status not in (PUBLISHED, FINAL):
        raise conflict(Text("Not open to objection", "不能提出异议"),
                       Text(f"rating {rating.id} is {rating.status}; objections are filed against a published or final rating",
                            f"评级 {rating.id} 的状态为 {rating.status}，只能对公示中或已生效的评级提出异议"),
                       type="invalid-state")
    rating.disputed = True
    objection = Objection(rating_id=rating.id, subject_id=rating.subject_id, village=rating.village, reason=reason,
                          filed_by=filed_by, filed_at=now, answer_due=now + timedelta(days=settings.objection_answer_days),
                          status=OPEN)
    return await repo.add(session, objection)


async def get(session: AsyncSession, objection_id: int, lock: bool = False) -> Objection:
    found = await repo.get(session, objection_id, lock)
    if found is None:
        raise not_found(OBJECTION, objection_id)
    return found


async def answer(session: AsyncSession, objection: Objection, decision: str, text: str, actor: str,
                 settings: RatingSettings, now: datetime) -> Objection:
    if objection.status != OPEN:
        raise conflict(Text("Already answered", "异议已答复"),
                       Text(f"objection {objection.id} was {objection.status}", f"异议 {objection.id} 已答复（{objection.status}）"),
                       type="invalid-state")
    objection.status, objection.answer, objection.answered_by, objection.answered_at = decision, text, actor, now
    await session.flush()
    rating = await ratings_repo.get(session, objection.rating_id, lock=True)
    assert rating is not None
    if not await repo.open_count(session, rating.id):
        rating.disputed = False
    if decision == UPHELD:
        subject = await get_subject(session, objection.subject_id)
        if subject is None:
            raise not_found(Text("subject", "信用主体"), objection.subject_id)
        new = await rate_subject(session, subject, settings, trigger="objection", actor=actor, now=now)
        objection.new_rating_id = new.id
    await session.flush()
    return objection


list_open = repo.list_open


def objection_out(o: Objection) -> ObjectionOut:
    return ObjectionOut(
        id=o.id, rating_id=o.rating_id, subject_id=o.subject_id, reason=o.reason, filed_by=o.filed_by,
        filed_at=o.filed_at.isoformat(), answer_due=o.answer_due.isoformat(), status=o.status, answer=o.answer,
        answered_by=o.answered_by, answered_at=o.answered_at.isoformat() if o.answered_at else None,
        new_rating_id=o.new_rating_id, overdue=o.status == OPEN and o.answer_due < utcnow())


async def file_against(session: AsyncSession, rating_id: int, body: ObjectionIn, who: Principal,
                       settings: RatingSettings) -> ObjectionOut:
    rating = await load_rating(session, rating_id, who, lock=True)
    filed_by = body.filed_by or who.caller_id
    if who.role == Role.household:
        if rating.status != PUBLISHED:
            raise ProblemError(409, Text("Not on publication", "不在公示期"),
                               Text(f"rating {rating.id} is {rating.status}: a household files its objection during the "
                                    "publication period",
                                    f"评级 {rating.id} 的状态为 {rating.status}，农户须在公示期内提出异议"),
                               type="invalid-state")
        filed_by = who.caller_id
    return objection_out(await file(session, rating, body.reason, filed_by, settings, utcnow()))


async def open_page(session: AsyncSession, who: Principal, region: str | None, after: int | None,
                    limit: int) -> list[ObjectionOut]:
    region = region or who.region
    check_region(who, region)
    return [objection_out(o) for o in await repo.list_open(session, region, limit, after)]


async def answer_visible(session: AsyncSession, objection_id: int, body: AnswerIn, who: Principal,
                         settings: RatingSettings) -> ObjectionOut:
    objection = await get(session, objection_id, lock=True)
    if not visible(who, objection.village):
        raise not_found(OBJECTION, objection_id)
    return objection_out(await answer(session, objection, body.decision, body.answer, who.caller_id, settings, utcnow()))
