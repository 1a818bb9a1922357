"""SQL for households: upserts from events, look-ups for codes and officers."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Row, case, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import utcnow
from merchant.households.models import households
from merchant.upsert import upsert

DEFAULTS: dict[str, Any] = {"grade_bit": 0, "vetoed": False, "consent_given": False, "consent_merchant": False,
                            "consent_benefits": False, "active": True}


def most_precise_region(region: dict[str, Any] | None) -> str | None:
    if not region:
        return None
    for level in ("group", "village", "town", "county"):
        if region.get(level):
            return str(region[level])
    return None


async def save(session: AsyncSession, subject_id: str, changes: dict[str, Any]) -> None:
    """Insert the household or update only ``changes`` (the other stream's columns stay)."""
    changes = {**changes, "updated_at": utcnow()}
    await upsert(session, households, {**DEFAULTS, "subject_id": subject_id, **changes}, ["subject_id"], changes)


async def save_rating(session: AsyncSession, subject_id: str, changes: dict[str, Any], *,
                      region: dict[str, Any] | None, region_code: str | None) -> None:
    """Like ``save`` for rating-changed, whose region only fills in while the registry's is unknown:
    rating may learn of a move after the registry, and a late grade must not move a household back."""
    changes = {**changes, "updated_at": utcnow()}
    known = households.c.region_code.is_not(None)
    update = {**changes,
              "region": case((known, households.c.region), else_=literal(region, households.c.region.type)),
              "region_code": case((known, households.c.region_code), else_=literal(region_code, households.c.region_code.type))}
    await upsert(session, households, {**DEFAULTS, "subject_id": subject_id, **changes, "region": region,
                                       "region_code": region_code}, ["subject_id"], update)


async def get(session: AsyncSession, subject_id: str, *, lock: bool = False) -> Row[Any] | None:
    stmt = select(households).where(households.c.subject_id == subject_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).one_or_none()
