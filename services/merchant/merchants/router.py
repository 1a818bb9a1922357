"""Merchants and benefit verifiers, registered by the county (admin, or an officer in its region)."""
from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Query

from common.auth import Principal, Role, forbidden
from common.db import Session, utcnow
from common.errors import conflict, not_found
from common.paging import PageLimit
from merchant.access import County, Reader, check_region
from merchant.merchants import repository
from merchant.merchants.schemas import MerchantIn, MerchantStatusIn

router = APIRouter(prefix="/v1/merchants", tags=["merchants"])


def view(row: Any) -> dict[str, Any]:
    return {"id": row.id, "name": row.name, "kind": row.kind, "category": row.category,
            "region_code": row.region_code, "status": row.status, "created_at": row.created_at.isoformat()}


async def visible_merchant(session: Session, merchant_id: str, principal: Principal) -> Any:
    """The merchant, if the caller may see it: the county (officers in region) or the merchant itself."""
    if principal.role == Role.merchant and principal.merchant_id != merchant_id:
        raise forbidden("a merchant sees only its own data")
    row = await repository.get(session, merchant_id)
    # Outside an officer's region a merchant answers exactly like one that does not exist.
    if row is None or not principal.in_region(row.region_code):
        raise not_found("merchant", merchant_id)
    return row


@router.post("", status_code=201)
async def register(body: MerchantIn, principal: County, session: Session) -> dict[str, Any]:
    """Register a merchant or verifier; the county then mints its POS token bound to this id
    (``python -m common.tokens mint --role merchant --merchant-id <id>``)."""
    check_region(principal, body.region_code, "the merchant's region")
    merchant_id = body.id or f"m-{uuid.uuid4().hex[:12]}"
    if await repository.get(session, merchant_id) is not None:
        raise conflict("Merchant exists", f"a merchant with id {merchant_id} exists", type="merchant-exists")
    values = {**body.model_dump(), "id": merchant_id, "status": "active", "created_at": utcnow()}
    await repository.add(session, values)
    return view(await repository.get(session, merchant_id))


@router.get("")
async def list_merchants(principal: County, session: Session, offset: int = Query(0, ge=0),
                         limit: PageLimit = 100) -> list[dict[str, Any]]:
    """The merchants (in an officer's region), oldest first, a page at a time."""
    region = principal.region if principal.role == Role.officer else None
    return [view(r) for r in await repository.list_(session, region, offset, limit)]


@router.get("/{merchant_id}")
async def get_merchant(merchant_id: str, principal: Reader, session: Session) -> dict[str, Any]:
    return view(await visible_merchant(session, merchant_id, principal))


@router.post("/{merchant_id}/status")
async def set_status(merchant_id: str, body: MerchantStatusIn, principal: County, session: Session) -> dict[str, Any]:
    """Suspend a merchant (its POS is refused) or reinstate it."""
    await visible_merchant(session, merchant_id, principal)
    await repository.set_status(session, merchant_id, body.status)
    return view(await repository.get(session, merchant_id))
