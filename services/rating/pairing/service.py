"""Pairing (结对帮带): a party-member credit household is paired with a household below A, and the
programme follows whether the paired household has since risen to A."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import ProblemError, conflict, not_found
from common.i18n import Text
from rating.access import check_region
from rating.grades import is_credit
from rating.pairing import repository as repo
from rating.pairing.models import Pairing
from rating.pairing.schemas import PairingIn, PairingOut, PairingProgressOut
from rating.subjects.models import Subject


def _refuse(field: str, message: Text) -> ProblemError:
    """结对帮带: a pairing that cannot be made."""
    return ProblemError(422, Text("Pairing refused", "不能结对"), Text(f"{field}: {message.en}", f"{field}：{message.zh}"),
                        type="pairing-refused", errors=[{"field": field, "message": message}])


async def _household(session: AsyncSession, subject_id: str, field: str) -> Subject:
    subject = await repo.subject(session, subject_id)
    if subject is None:
        raise ProblemError(404, Text("Subject not found", "未找到信用主体"), Text(f"no subject {subject_id}", f"没有信用主体 {subject_id}"),
                           type="not-found", errors=[{"field": field, "message": Text("unknown subject", "信用主体不存在")}])
    if subject.kind != "household":
        raise _refuse(field, Text("must be a household", "须为农户"))
    return subject


async def pair(session: AsyncSession, mentor_id: str, mentee_id: str, actor: str, now: datetime) -> Pairing:
    mentor = await _household(session, mentor_id, "mentor_id")
    mentee = await _household(session, mentee_id, "mentee_id")
    mentor_grade = await repo.grade(session, mentor_id)
    mentee_grade = await repo.grade(session, mentee_id)
    if not (mentor.profile or {}).get("party_members"):
        raise _refuse("mentor_id", Text("the mentor household must have a party member (党员)", "帮带户须有党员"))
    if mentor_grade is None or not is_credit(mentor_grade.grade):
        raise _refuse("mentor_id", Text("the mentor must be a credit household (A or better)", "帮带户须为信用户（A 级及以上）"))
    if mentee_grade is not None and is_credit(mentee_grade.grade):
        raise _refuse("mentee_id", Text("the household is already A or better", "该农户已是 A 级及以上"))
    if await repo.has_active(session, mentee_id):
        raise conflict(Text("Already paired", "已结对"),
                       Text(f"household {mentee_id} already has an active pairing", f"农户 {mentee_id} 已有进行中的结对帮带"),
                       type="already-paired")
    return await repo.add(session, Pairing(mentor_id=mentor_id, mentee_id=mentee_id, village=mentee.village,
                                           grade_at_start=mentee_grade.grade if mentee_grade else None,
                                           status="active", created_by=actor, created_at=now))


def pairing_out(p: Pairing) -> PairingOut:
    return PairingOut(id=p.id, mentor_id=p.mentor_id, mentee_id=p.mentee_id, village=p.village,
                      grade_at_start=p.grade_at_start, status=p.status)


async def create(session: AsyncSession, body: PairingIn, who: Principal, now: datetime) -> PairingOut:
    p = await pair(session, body.mentor_id, body.mentee_id, who.caller_id, now)
    check_region(who, p.village)  # refused after the checks: the transaction rolls the pairing back
    return pairing_out(p)


async def listing(session: AsyncSession, who: Principal, village: str | None, after: int | None,
                  limit: int) -> list[PairingProgressOut]:
    check_region(who, village or (who.region if who.region else None))
    region = village or (who.region if who.role == "officer" else None)
    return [PairingProgressOut(**pairing_out(p).model_dump(), grade_now=grade, risen_to_credit=is_credit(grade),
                               created_at=p.created_at.isoformat())
            for p, grade in await repo.with_mentee_grades(session, region, after, limit)]


async def get(session: AsyncSession, pairing_id: int) -> Pairing:
    found = await repo.get(session, pairing_id)
    if found is None:
        raise not_found(Text("pairing", "结对帮带"), pairing_id)
    return found
