"""A merchant's offers in the credit business circle (信用商圈), registered by the county."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from common.db import Session, utcnow
from common.errors import field_error, not_found
from common.paging import PageLimit
from merchant.access import County, Reader, check_region
from merchant.merchants import repository as merchants
from merchant.merchants.router import visible_merchant
from merchant.offers import repository
from merchant.offers.schemas import OfferIn
from merchant.offers.service import offer_values, offer_view

router = APIRouter(prefix="/v1", tags=["offers"])


@router.post("/merchants/{merchant_id}/offers", status_code=201)
async def create_offer(merchant_id: str, body: OfferIn, principal: County, session: Session) -> dict[str, Any]:
    merchant = await visible_merchant(session, merchant_id, principal)
    if merchant.kind != "shop":
        raise field_error("merchant_id", "a benefit verifier applies its programmes' benefits, not offers of its own")
    if body.rule.kind == "benefit":
        raise field_error("rule.kind", "benefits belong to public benefit programmes (/v1/programmes)")
    values = offer_values(body, title=body.title, rule=body.rule.model_dump(mode="json"), now=utcnow(),
                          merchant_id=merchant_id)
    await repository.add(session, values, outlet=merchant_id)
    return offer_view(await repository.get(session, values["id"]))


@router.get("/merchants/{merchant_id}/offers")
async def list_offers(merchant_id: str, principal: Reader, session: Session, offset: int = Query(0, ge=0),
                      limit: PageLimit = 100) -> list[dict[str, Any]]:
    """The offers a merchant gives or applies (its own and its programmes'), oldest first, a page at a time."""
    await visible_merchant(session, merchant_id, principal)
    return [offer_view(r) for r in await repository.for_merchant(session, merchant_id, offset, limit)]


@router.post("/offers/{offer_id}/withdraw")
async def withdraw_offer(offer_id: str, principal: County, session: Session) -> dict[str, Any]:
    """Withdraw an offer: it stops at the next scan."""
    row = await repository.get(session, offer_id)
    merchant = await merchants.get(session, row.merchant_id) if row is not None and row.merchant_id else None
    # Outside an officer's region an offer answers exactly like one that does not exist.
    if row is None or (row.merchant_id and not principal.in_region(merchant.region_code if merchant else None)):
        raise not_found("offer", offer_id)
    if not row.merchant_id and principal.role != "admin":
        check_region(principal, None, "a county programme")
    await repository.set_status(session, offer_id, "withdrawn")
    return offer_view(await repository.get(session, offer_id))
