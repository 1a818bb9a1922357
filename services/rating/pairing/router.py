"""Pairing (结对帮带): pair a party-member credit household with a household below A; follow them."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from common.db import Session, utcnow
from rating.access import Officer, Reader, check_region
from rating.pairing import service

router = APIRouter(prefix="/v1/pairings", tags=["pairing"])


class PairingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mentor_id: str = Field(min_length=1, max_length=80, description="a party-member credit household")
    mentee_id: str = Field(min_length=1, max_length=80, description="a household below A")


@router.post("", status_code=201)
async def create(body: PairingIn, who: Officer, session: Session) -> dict[str, Any]:
    p = await service.pair(session, body.mentor_id, body.mentee_id, who.caller_id, utcnow())
    check_region(who, p.village)
    return {"id": p.id, "mentor_id": p.mentor_id, "mentee_id": p.mentee_id, "village": p.village,
            "grade_at_start": p.grade_at_start, "status": p.status}


@router.get("", summary="Pairings with whether the paired household has risen to A")
async def listing(who: Reader, session: Session,
                  village: str | None = Query(default=None, pattern=r"^\d{6,12}$")) -> dict[str, Any]:
    check_region(who, village or (who.region if who.region else None))
    return await service.listing(session, village or (who.region if who.role == "officer" else None))
