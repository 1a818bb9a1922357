"""Credit points (信用积分): record an entry, read a balance, rank a village or town."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, model_validator

from common.db import Session, utcnow
from common.errors import ProblemError, conflict, not_found
from common.paths import SerialId
from rating.access import Officer, Reader, Settings, SubjectReader, check_region, sees, visible
from rating.points import repository
from rating.points.models import PointsEntry
from rating.ratings.lifecycle import SCORED_KINDS, rate_subject
from rating.subjects.repository import get_subject

router = APIRouter(prefix="/v1", tags=["credit points"])


class PointsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject_id: str = Field(min_length=1, max_length=80)
    points: int = Field(ge=-1000, le=1000, description="earned (+) or lost (−)")
    reason: str = Field(min_length=1, max_length=200)
    valid_years: int = Field(default=1, ge=1, le=5, description="the entry expires after this many years")
    serious: bool = Field(default=False, description="a listed serious act (严重失信行为): lowers the grade directly")
    grade_drop: int = Field(default=0, ge=0, le=5, description="grades a serious act drops")

    @model_validator(mode="after")
    def _serious(self) -> PointsIn:
        if self.serious and self.grade_drop == 0:
            raise ValueError("a serious item must drop at least one grade (grade_drop)")
        if not self.serious and self.grade_drop:
            raise ValueError("grade_drop is only for serious items")
        if self.serious and self.points > 0:
            raise ValueError("a serious item cannot earn points")
        return self


def entry_out(e: PointsEntry) -> dict[str, Any]:
    return {"id": e.id, "subject_id": e.subject_id, "points": e.points, "reason": e.reason, "author": e.author,
            "serious": e.serious, "grade_drop": e.grade_drop, "created_at": e.created_at.isoformat(),
            "expires_at": e.expires_at.isoformat(), "corrected_at": e.corrected_at.isoformat() if e.corrected_at else None}


def as_of_or_now(as_of: datetime | None) -> datetime:
    if as_of is None:
        return utcnow()
    return as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)


@router.post("/points", status_code=201, summary="Record a credit-points entry")
async def add(body: PointsIn, who: Officer, session: Session, settings: Settings) -> dict[str, Any]:
    subject = await get_subject(session, body.subject_id)
    if subject is None or not visible(who, subject.village, subject.town, subject.county):
        raise ProblemError(404, "Subject not found", f"no subject {body.subject_id}", type="unknown-subject",
                           errors=[{"field": "subject_id", "message": "unknown subject"}])
    now = utcnow()
    entry = await repository.add(session, subject, points=body.points, reason=body.reason, author=who.caller_id,
                              valid_years=body.valid_years, serious=body.serious, grade_drop=body.grade_drop, now=now)
    out = entry_out(entry)
    if body.serious and subject.kind in SCORED_KINDS and subject.status == "active" and subject.rating_consent:
        # Listed serious acts drop the grade directly, at once.
        rating = await rate_subject(session, subject, settings, trigger="serious-item", actor=who.caller_id,
                                    final_now=True, now=now)
        out["rating_id"], out["grade"] = rating.id, rating.grade
    return out


@router.post("/points/{entry_id}/correct", summary="A serious item was corrected: the grade is restored at once")
async def correct(entry_id: SerialId, who: Officer, session: Session, settings: Settings) -> dict[str, Any]:
    entry = await repository.get(session, entry_id)
    if entry is None or not visible(who, entry.village, entry.town):
        raise not_found("points entry", entry_id)
    if not entry.serious:
        raise conflict("Not a serious item", "only serious items are corrected", type="not-serious")
    if entry.corrected_at is not None:
        raise conflict("Already corrected", f"entry {entry_id} was corrected", type="already-corrected")
    now = utcnow()
    await repository.correct(session, entry, now)
    out = entry_out(entry)
    subject = await get_subject(session, entry.subject_id)
    if subject is not None and subject.kind in SCORED_KINDS and subject.status == "active" and subject.rating_consent:
        rating = await rate_subject(session, subject, settings, trigger="serious-corrected", actor=who.caller_id,
                                    final_now=True, now=now)
        out["rating_id"], out["grade"] = rating.id, rating.grade
    return out


@router.get("/subjects/{subject_id}/points", summary="A subject's points balance and entries")
async def balance(subject_id: str, who: SubjectReader, session: Session, settings: Settings,
                  as_of: datetime | None = None) -> dict[str, Any]:
    subject = await get_subject(session, subject_id)
    hidden = subject is not None and not sees(who, subject_id, subject.village, subject.town, subject.county)
    when = as_of_or_now(as_of)
    if hidden:  # outside the officer's region: exactly what an unknown subject shows
        return {"subject_id": subject_id, "as_of": when.isoformat(), "base": settings.points_base,
                "balance": settings.points_base, "entries": []}
    entries = await repository.entries(session, subject_id)
    return {"subject_id": subject_id, "as_of": when.isoformat(), "base": settings.points_base,
            "balance": await repository.balance(session, subject_id, when, settings.points_base),
            "entries": [{**entry_out(e), "active": e.created_at <= when < e.expires_at} for e in entries]}


@router.get("/points/rankings", summary="Households ranked by points in a village or town")
async def rankings(who: Reader, session: Session, settings: Settings,
                   village: str | None = Query(default=None, pattern=r"^\d{6,12}$"),
                   town: str | None = Query(default=None, pattern=r"^\d{6,12}$"),
                   as_of: datetime | None = None, limit: int = Query(default=50, ge=1, le=500)) -> dict[str, Any]:
    if bool(village) == bool(town):
        raise ProblemError(422, "Invalid request", "give exactly one of village or town", type="invalid-field",
                           errors=[{"field": "query.village", "message": "give exactly one of village or town"}])
    check_region(who, village or town)
    items = await repository.rankings(session, village=village, town=town, as_of=as_of_or_now(as_of),
                                   base=settings.points_base, limit=limit)
    return {"village": village, "town": town, "items": items}
