"""Merchants and benefit verifiers, registered by the county (admin, or an officer in its region)."""
from __future__ import annotations

from fastapi import APIRouter, Request

from common.db import Session
from common.errors import problems
from common.paging import After, PageLimit, next_page
from merchant.access import County, Reader
from merchant.merchants import service
from merchant.merchants.schemas import MerchantIn, MerchantOut, MerchantPage, MerchantStatusIn

router = APIRouter(prefix="/v1/merchants", tags=["merchants"], responses=problems(401, 403, 422))


@router.post("", status_code=201, response_model=MerchantOut, responses=problems(409, s409="merchant-exists"))
async def register(body: MerchantIn, principal: County, session: Session) -> MerchantOut:
    """Register a merchant or verifier; the county then mints its POS token bound to this id
    (``python -m common.tokens mint --role merchant --merchant-id <id>``)."""
    return await service.register(session, body, principal)


@router.get("", response_model=MerchantPage)
async def list_merchants(principal: County, session: Session, request: Request, after: After = None,
                         limit: PageLimit = 100) -> MerchantPage:
    """The merchants (in an officer's region), by id, a page at a time: the next page starts ``after``
    the last ``id``."""
    items = await service.listing(session, principal, after, limit)
    return MerchantPage(items=items, **next_page(request, items[-1].id if items else None, len(items) == limit))


@router.get("/{merchant_id}", response_model=MerchantOut, responses=problems(404))
async def get_merchant(merchant_id: str, principal: Reader, session: Session) -> MerchantOut:
    return await service.get(session, merchant_id, principal)


@router.post("/{merchant_id}/status", response_model=MerchantOut, responses=problems(404))
async def set_status(merchant_id: str, body: MerchantStatusIn, principal: County, session: Session) -> MerchantOut:
    """Suspend a merchant (its POS is refused) or reinstate it."""
    return await service.set_status(session, merchant_id, body.status, principal)
