"""Public benefit programmes: each is an offer without a shop of its own, applied by the verifiers
bound to it (a bus company, a hospital)."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import utcnow
from common.errors import field_error, not_found
from common.i18n import Text
from merchant.merchants import repository as merchants
from merchant.merchants.models import VERIFIER
from merchant.offers import repository as offers
from merchant.offers.service import offer_values, offer_view
from merchant.programmes import repository
from merchant.programmes.schemas import ProgrammeIn, ProgrammeOut, VerifierBindingOut, VerifierIn


async def programme_out(session: AsyncSession, row: Any) -> ProgrammeOut:
    offer = await offers.get(session, row.offer_id)
    return ProgrammeOut(id=row.id, name=row.name, description=row.description, status=row.status,
                        offer=offer_view(offer))


async def get_programme(session: AsyncSession, programme_id: str) -> Any:
    row = await repository.get(session, programme_id)
    if row is None:
        raise not_found(Text("programme", "惠民项目"), programme_id)
    return row


async def create(session: AsyncSession, body: ProgrammeIn) -> ProgrammeOut:
    now = utcnow()
    programme_id = f"p-{uuid.uuid4().hex[:12]}"
    values = offer_values(body, title=body.name, rule=body.rule.model_dump(mode="json"), now=now,
                          programme_id=programme_id)
    await offers.add(session, values, outlet=None)
    await repository.add(session, {"id": programme_id, "name": body.name, "description": body.description,
                                   "offer_id": values["id"], "status": "active", "created_at": now})
    return await programme_out(session, await get_programme(session, programme_id))


async def listing(session: AsyncSession, after: str | None, limit: int) -> list[ProgrammeOut]:
    return [await programme_out(session, r) for r in await repository.page(session, after, limit)]


async def bind_verifier(session: AsyncSession, programme_id: str, body: VerifierIn) -> VerifierBindingOut:
    """Let a verifier (bus company, hospital) apply this programme's benefit."""
    row = await get_programme(session, programme_id)
    merchant = await merchants.get(session, body.merchant_id)
    if merchant is None:
        raise not_found(Text("merchant", "商户"), body.merchant_id)
    if merchant.kind != VERIFIER:
        raise field_error("merchant_id", Text("only a benefit verifier can be bound to a programme",
                                              "只有惠民核验点才能绑定到惠民项目"))
    await offers.add_outlet(session, body.merchant_id, row.offer_id)
    return VerifierBindingOut(programme_id=programme_id, merchant_id=body.merchant_id, offer_id=row.offer_id)
