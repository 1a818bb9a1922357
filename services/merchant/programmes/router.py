"""Public benefit programmes (十二项权益: free bus rides, a hospital green channel...): the county
sets eligible grades and terms, and binds verifiers (a bus company, a hospital) that use the same
POS verify and redeem calls as shops."""
from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import insert, select

from common.db import Session, utcnow
from common.errors import field_error, not_found
from merchant.access import Admin, County
from merchant.merchants import repository as merchants
from merchant.offers import repository as offers
from merchant.offers.schemas import RuleIn, Terms
from merchant.offers.service import offer_values, offer_view
from merchant.programmes.models import programmes

router = APIRouter(prefix="/v1/programmes", tags=["public benefit programmes"])


class ProgrammeIn(Terms):
    name: str = Field(min_length=1, max_length=200)
    description: str | None = Field(None, max_length=2000)
    rule: RuleIn = Field(description="usually a benefit; a programme may also give money off (e.g. a fare)")


class VerifierIn(BaseModel):
    merchant_id: str = Field(min_length=1, max_length=40)


async def programme_view(session: Session, row: Any) -> dict[str, Any]:
    offer = await offers.get(session, row.offer_id)
    return {"id": row.id, "name": row.name, "description": row.description, "status": row.status,
            "offer": offer_view(offer)}


async def get_programme(session: Session, programme_id: str) -> Any:
    row = (await session.execute(select(programmes).where(programmes.c.id == programme_id))).one_or_none()
    if row is None:
        raise not_found("programme", programme_id)
    return row


@router.post("", status_code=201)
async def create_programme(body: ProgrammeIn, principal: Admin, session: Session) -> dict[str, Any]:
    now = utcnow()
    programme_id = f"p-{uuid.uuid4().hex[:12]}"
    values = offer_values(body, title=body.name, rule=body.rule.model_dump(mode="json"), now=now,
                          programme_id=programme_id)
    await offers.add(session, values, outlet=None)
    await session.execute(insert(programmes).values(id=programme_id, name=body.name, description=body.description,
                                                    offer_id=values["id"], status="active", created_at=now))
    return await programme_view(session, await get_programme(session, programme_id))


@router.get("")
async def list_programmes(principal: County, session: Session) -> list[dict[str, Any]]:
    rows = (await session.execute(select(programmes).order_by(programmes.c.created_at))).all()
    return [await programme_view(session, r) for r in rows]


@router.post("/{programme_id}/verifiers", status_code=201)
async def bind_verifier(programme_id: str, body: VerifierIn, principal: Admin, session: Session) -> dict[str, Any]:
    """Let a verifier (bus company, hospital) apply this programme's benefit."""
    row = await get_programme(session, programme_id)
    merchant = await merchants.get(session, body.merchant_id)
    if merchant is None:
        raise not_found("merchant", body.merchant_id)
    if merchant.kind != "benefit_verifier":
        raise field_error("merchant_id", "only a benefit verifier can be bound to a programme")
    await offers.add_outlet(session, body.merchant_id, row.offer_id)
    return {"programme_id": programme_id, "merchant_id": body.merchant_id, "offer_id": row.offer_id}
