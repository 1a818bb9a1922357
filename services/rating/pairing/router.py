"""Pairing (结对帮带): pair a party-member credit household with a household below A; follow them."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from common.db import Session, utcnow
from common.errors import problems
from common.paging import next_page
from rating.access import Officer, Reader
from rating.pairing import service
from rating.pairing.schemas import PairingIn, PairingListOut, PairingOut

router = APIRouter(prefix="/v1/pairings", tags=["pairing"], responses=problems(401, 403, 422))


@router.post("", status_code=201, response_model=PairingOut,
             responses=problems(404, 409, s409="already-paired", s422="pairing-refused, invalid input"))
async def create(body: PairingIn, who: Officer, session: Session) -> PairingOut:
    return await service.create(session, body, who, utcnow())


@router.get("", summary="Pairings with whether the paired household has risen to A", response_model=PairingListOut)
async def listing(who: Reader, session: Session, request: Request,
                  village: str | None = Query(default=None, pattern=r"^\d{6,12}$"),
                  after: Annotated[int | None, Query(ge=1, description="the previous page's next_after")] = None,
                  limit: Annotated[int, Query(ge=1, le=1000)] = 500) -> PairingListOut:
    items = await service.listing(session, who, village, after, limit)
    return PairingListOut(items=items, paired=len(items), risen=sum(1 for i in items if i.risen_to_credit),
                          **next_page(request, str(items[-1].id) if items else None, len(items) == limit))
