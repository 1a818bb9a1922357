"""Credit points (信用积分): record an entry (a serious act re-rates at once), correct a serious
one, a subject's balance, and rankings."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import utcnow
from common.errors import ProblemError, conflict, not_found
from common.i18n import Text
from rating.access import check_region, sees, visible
from rating.points import repository
from rating.points.models import PointsEntry
from rating.points.schemas import (
    BalanceEntryOut,
    BalanceOut,
    PointsEntryOut,
    PointsIn,
    PointsRecordedOut,
    RankingItemOut,
    RankingsOut,
)
from rating.ratings.lifecycle import SCORED_KINDS, rate_subject
from rating.settings import RatingSettings
from rating.subjects.models import Subject
from rating.subjects.repository import get_subject


def entry_out(e: PointsEntry) -> PointsEntryOut:
    return PointsEntryOut(
        id=e.id, subject_id=e.subject_id, points=e.points, reason=e.reason, author=e.author, serious=e.serious,
        grade_drop=e.grade_drop, created_at=e.created_at.isoformat(), expires_at=e.expires_at.isoformat(),
        corrected_at=e.corrected_at.isoformat() if e.corrected_at else None)


def as_of_or_now(as_of: datetime | None) -> datetime:
    if as_of is None:
        return utcnow()
    return as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)


def rerated(subject: Subject | None) -> bool:
    """Whether a serious item (or its correction) moves this subject's grade at once."""
    return (subject is not None and subject.kind in SCORED_KINDS and subject.status == "active"
            and bool(subject.rating_consent))


async def add(session: AsyncSession, body: PointsIn, who: Principal, settings: RatingSettings) -> PointsRecordedOut:
    subject = await get_subject(session, body.subject_id)
    if subject is None or not visible(who, subject.village, subject.town, subject.county):
        raise ProblemError(404, Text("Subject not found", "未找到信用主体"),
                           Text(f"no subject {body.subject_id}", f"没有信用主体 {body.subject_id}"), type="unknown-subject",
                           errors=[{"field": "subject_id", "message": Text("unknown subject", "信用主体不存在")}])
    now = utcnow()
    entry = await repository.add(session, subject, points=body.points, reason=body.reason, author=who.caller_id,
                                 valid_years=body.valid_years, serious=body.serious, grade_drop=body.grade_drop, now=now)
    out = PointsRecordedOut(**entry_out(entry).model_dump())
    if body.serious and rerated(subject):
        # Listed serious acts drop the grade directly, at once.
        rating = await rate_subject(session, subject, settings, trigger="serious-item", actor=who.caller_id,
                                    final_now=True, now=now)
        out.rating_id, out.grade = rating.id, rating.grade
    return out


async def correct(session: AsyncSession, entry_id: int, who: Principal, settings: RatingSettings) -> PointsRecordedOut:
    entry = await repository.get(session, entry_id)
    if entry is None or not visible(who, entry.village, entry.town):
        raise not_found(Text("points entry", "积分记录"), entry_id)
    if not entry.serious:
        raise conflict(Text("Not a serious item", "不是严重事项"),
                       Text("only serious items are corrected", "只有严重事项才能更正"), type="not-serious")
    if entry.corrected_at is not None:
        raise conflict(Text("Already corrected", "已更正"), Text(f"entry {entry_id} was corrected", f"积分记录 {entry_id} 已更正"),
                       type="already-corrected")
    now = utcnow()
    await repository.correct(session, entry, now)
    out = PointsRecordedOut(**entry_out(entry).model_dump())
    subject = await get_subject(session, entry.subject_id)
    if subject is not None and rerated(subject):
        rating = await rate_subject(session, subject, settings, trigger="serious-corrected", actor=who.caller_id,
                                    final_now=True, now=now)
        out.rating_id, out.grade = rating.id, rating.grade
    return out


async def balance(session: AsyncSession, subject_id: str, who: Principal, settings: RatingSettings,
                  as_of: datetime | None) -> BalanceOut:
    subject = await get_subject(session, subject_id)
    hidden = subject is not None and not sees(who, subject_id, subject.village, subject.town, subject.county)
    when = as_of_or_now(as_of)
    if hidden:  # outside the officer's region: exactly what an unknown subject shows
        return BalanceOut(subject_id=subject_id, as_of=when.isoformat(), base=settings.points_base,
                          balance=settings.points_base, entries=[])
    entries = await repository.entries(session, subject_id)
    return BalanceOut(subject_id=subject_id, as_of=when.isoformat(), base=settings.points_base,
                      balance=await repository.balance(session, subject_id, when, settings.points_base),
                      entries=[BalanceEntryOut(**entry_out(e).model_dump(), active=e.created_at <= when < e.expires_at)
                               for e in entries])


async def rankings(session: AsyncSession, who: Principal, settings: RatingSettings, village: str | None,
                   town: str | None, as_of: datetime | None, limit: int) -> RankingsOut:
    if bool(village) == bool(town):
        one = Text("give exactly one of village or town", "village（村）和 town（乡镇）须给出且只给出一个")
        raise ProblemError(422, Text("Invalid request", "请求内容无效"), one, type="invalid-field",
                           errors=[{"field": "query.village", "message": one}])
    check_region(who, village or town)
    items = await repository.rankings(session, village=village, town=town, as_of=as_of_or_now(as_of),
                                      base=settings.points_base, limit=limit)
    return RankingsOut(village=village, town=town, items=[RankingItemOut(**i) for i in items])
