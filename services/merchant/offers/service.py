"""Offers: creating one for a shop, listing a merchant's, withdrawing one; the row from the payload
and the view the API returns."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import utcnow
from common.errors import field_error, not_found
from common.i18n import Text
from common.money import fen_str, to_fen
from merchant.access import check_region
from merchant.grades import grade_mask, grades_of
from merchant.merchants import repository as merchants
from merchant.merchants.service import visible_merchant
from merchant.offers import repository
from merchant.offers.schemas import OfferIn, OfferOut, Terms


def offer_values(terms: Terms, *, title: str, rule: dict[str, Any], now: datetime,
                 merchant_id: str | None = None, programme_id: str | None = None) -> dict[str, Any]:
    def fen(v: Any) -> int | None:
        return None if v is None else to_fen(v)
    return {"id": f"o-{uuid.uuid4().hex[:12]}", "merchant_id": merchant_id, "programme_id": programme_id,
            "title": title, "kind": rule["kind"], "rule": rule, "grade_mask": grade_mask(terms.eligible_grades),
            "valid_from": terms.valid_from or now, "valid_until": terms.valid_until,
            "budget_total_fen": fen(terms.budget_total), "spent_fen": 0, "budget_daily_fen": fen(terms.budget_daily),
            "per_household_limit": terms.per_household_limit, "stackable": terms.stackable, "status": "active",
            "created_at": now}


def offer_view(row: Any) -> OfferOut:
    def money(v: int | None) -> str | None:
        return None if v is None else fen_str(v)
    return OfferOut.model_validate({
        "id": row.id, "merchant_id": row.merchant_id, "programme_id": row.programme_id, "title": row.title,
        "rule": row.rule, "eligible_grades": grades_of(row.grade_mask), "valid_from": row.valid_from.isoformat(),
        "valid_until": row.valid_until.isoformat() if row.valid_until else None,
        "budget_total": money(row.budget_total_fen), "spent": fen_str(row.spent_fen),
        "budget_daily": money(row.budget_daily_fen), "per_household_limit": row.per_household_limit,
        "stackable": row.stackable, "status": row.status})


async def create(session: AsyncSession, merchant_id: str, body: OfferIn, principal: Principal) -> OfferOut:
    merchant = await visible_merchant(session, merchant_id, principal)
    if merchant.kind != "shop":
        raise field_error("merchant_id", Text("a benefit verifier applies its programmes' benefits, not offers of its own",
                                              "惠民核验点只核销所属项目的权益，不能自设优惠"))
    if body.rule.kind == "benefit":
        raise field_error("rule.kind", Text("benefits belong to public benefit programmes (/v1/programmes)",
                                            "权益属于惠民项目（/v1/programmes）"))
    values = offer_values(body, title=body.title, rule=body.rule.model_dump(mode="json"), now=utcnow(),
                          merchant_id=merchant_id)
    await repository.add(session, values, outlet=merchant_id)
    return offer_view(await repository.get(session, values["id"]))


async def for_merchant(session: AsyncSession, merchant_id: str, principal: Principal, offset: int,
                       limit: int) -> list[OfferOut]:
    await visible_merchant(session, merchant_id, principal)
    return [offer_view(r) for r in await repository.for_merchant(session, merchant_id, offset, limit)]


async def withdraw(session: AsyncSession, offer_id: str, principal: Principal) -> OfferOut:
    """Withdraw an offer: it stops at the next scan."""
    row = await repository.get(session, offer_id)
    merchant = await merchants.get(session, row.merchant_id) if row is not None and row.merchant_id else None
    # Outside an officer's region an offer answers exactly like one that does not exist.
    if row is None or (row.merchant_id and not principal.in_region(merchant.region_code if merchant else None)):
        raise not_found(Text("offer", "优惠"), offer_id)
    if not row.merchant_id and principal.role != "admin":
        check_region(principal, None, Text("a county programme", "县级惠民项目"))
    await repository.set_status(session, offer_id, "withdrawn")
    return offer_view(await repository.get(session, offer_id))
