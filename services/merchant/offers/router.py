"""A merchant's offers in the credit business circle (信用商圈), registered by the county."""
from __future__ import annotations

from fastapi import APIRouter, Query

from common.db import Session
from common.errors import problems
from common.paging import PageLimit
from merchant.access import County, Reader
from merchant.offers import service
from merchant.offers.schemas import OfferIn, OfferOut

router = APIRouter(prefix="/v1", tags=["offers"], responses=problems(401, 403, 404, 422))


@router.post("/merchants/{merchant_id}/offers", status_code=201, response_model=OfferOut)
async def create_offer(merchant_id: str, body: OfferIn, principal: County, session: Session) -> OfferOut:
    return await service.create(session, merchant_id, body, principal)


@router.get("/merchants/{merchant_id}/offers", response_model=list[OfferOut])
async def list_offers(merchant_id: str, principal: Reader, session: Session, offset: int = Query(0, ge=0),
                      limit: PageLimit = 100) -> list[OfferOut]:
    """The offers a merchant gives or applies (its own and its programmes'), oldest first, a page at a time."""
    return await service.for_merchant(session, merchant_id, principal, offset, limit)


@router.post("/offers/{offer_id}/withdraw", response_model=OfferOut)
async def withdraw_offer(offer_id: str, principal: County, session: Session) -> OfferOut:
    """Withdraw an offer: it stops at the next scan."""
    return await service.withdraw(session, offer_id, principal)
