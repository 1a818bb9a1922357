"""Reading the disclosure log: who saw which household's grade, when, for what (county staff)."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from common.db import Session
from merchant.access import CountyOrSelf
from merchant.codes.service import household_for
from merchant.disclosures.log import DisclosureLog
from merchant.disclosures.models import disclosures

router = APIRouter(prefix="/v1/disclosures", tags=["disclosures"])


@router.get("")
async def list_disclosures(request: Request, principal: CountyOrSelf, session: Session,
                           subject_id: str = Query(min_length=1, max_length=80),
                           limit: int = Query(100, ge=1, le=1000)) -> list[dict[str, Any]]:
    log: DisclosureLog = request.app.state.disclosures
    await log.flush()  # first, so this request's snapshot includes what the process held in memory
    await household_for(session, subject_id, principal)
    rows = (await session.execute(select(disclosures).where(disclosures.c.subject_id == subject_id)
                                  .order_by(disclosures.c.id.desc()).limit(limit))).all()
    return [{"merchant_id": r.merchant_id, "subject_id": r.subject_id, "outcome": r.outcome, "grade": r.grade,
             "purpose": r.purpose, "at": r.at.isoformat()} for r in rows]
