"""Pairing (结对帮带): a party-member credit household is paired with a household below A, and the
programme follows whether the paired household has since risen to A."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.errors import ProblemError, conflict, not_found
from rating.access import check_region
from rating.grades import is_credit
from rating.pairing import repository as repo
from rating.pairing.models import Pairing
from rating.pairing.schemas import PairingIn, PairingOut, PairingProgressOut
from rating.subjects.models import Subject


def _refuse(field: str, message: str) -> ProblemError:
    return ProblemError(422, "Pairing refused", f"{field}: {message}", type="pairing-refused",
                        errors=[{"field": field, "message": message}])


async def _household(session: AsyncSession, subject_id: str, field: str) -> Subject:
    subject = await repo.subject(session, subject_id)
    if subject is None:
        raise ProblemError(404, "Subject not found", f"no subject {subject_id}", type="not-found",
                           errors=[{"field": field, "message": "unknown subject"}])
    if subject.kind != "household":
        raise _refuse(field, "must be a household")
    return subject


async def pair(session: AsyncSession, mentor_id: str, mentee_id: str, actor: str, now: datetime) -> Pairing:
    mentor = await _household(session, mentor_id, "mentor_id")
    mentee = await _household(session, mentee_id, "mentee_id")
    mentor_grade = await repo.grade(session, mentor_id)
    mentee_grade = await repo.grade(session, mentee_id)
    if not (mentor.profile or {}).get("party_members"):
        raise _refuse("mentor_id", "the mentor household must have a party member (党员)")
    if mentor_grade is None or not is_credit(mentor_grade.grade):
        raise _refuse("mentor_id", "the mentor must be a credit household (A or better)")
    if mentee_grade is not None and is_credit(mentee_grade.grade):
        raise _refuse("mentee_id", "the household is already A or better")
    if await repo.has_active(session, mentee_id):
        raise conflict("Already paired", f"household {mentee_id} already has an active pairing", type="already-paired")
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
        raise not_found("pairing", pairing_id)
    return found
