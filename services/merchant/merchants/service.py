"""Registering merchants and verifiers, and who may see one."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal, Role, forbidden
from common.db import utcnow
from common.errors import conflict, not_found
from common.i18n import Text
from merchant.access import check_region
from merchant.merchants import repository
from merchant.merchants.schemas import MerchantIn, MerchantOut


def merchant_out(row: Any) -> MerchantOut:
    return MerchantOut(id=row.id, name=row.name, kind=row.kind, category=row.category, region_code=row.region_code,
                       status=row.status, created_at=row.created_at.isoformat())


async def visible_merchant(session: AsyncSession, merchant_id: str, principal: Principal) -> Any:
    """The merchant, if the caller may see it: the county (officers in region) or the merchant itself."""
    if principal.role == Role.merchant and principal.merchant_id != merchant_id:
        raise forbidden(Text("a merchant sees only its own data", "商户只能查看本商户的数据"))
    row = await repository.get(session, merchant_id)
    # Outside an officer's region a merchant answers exactly like one that does not exist.
    if row is None or not principal.in_region(row.region_code):
        raise not_found(Text("merchant", "商户"), merchant_id)
    return row


async def register(session: AsyncSession, body: MerchantIn, principal: Principal) -> MerchantOut:
    check_region(principal, body.region_code, Text("the merchant's region", "该商户所在区划"))
    merchant_id = body.id or f"m-{uuid.uuid4().hex[:12]}"
    if await repository.get(session, merchant_id) is not None:
        raise conflict(Text("Merchant exists", "商户已存在"),
                       Text(f"a merchant with id {merchant_id} exists", f"编号为 {merchant_id} 的商户已存在"),
                       type="merchant-exists")
    values = {**body.model_dump(), "id": merchant_id, "status": "active", "created_at": utcnow()}
    await repository.add(session, values)
    return merchant_out(await repository.get(session, merchant_id))


async def listing(session: AsyncSession, principal: Principal, after: str | None, limit: int) -> list[MerchantOut]:
    """A page of the merchants (an officer's: in its region), by id."""
    region = principal.region if principal.role == Role.officer else None
    return [merchant_out(r) for r in await repository.list_(session, region, after, limit)]


async def get(session: AsyncSession, merchant_id: str, principal: Principal) -> MerchantOut:
    return merchant_out(await visible_merchant(session, merchant_id, principal))


async def set_status(session: AsyncSession, merchant_id: str, status: str, principal: Principal) -> MerchantOut:
    await visible_merchant(session, merchant_id, principal)
    await repository.set_status(session, merchant_id, status)
    return merchant_out(await repository.get(session, merchant_id))
