"""SQL for households: upserts from events, look-ups for codes and officers."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Row, select
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


async def get(session: AsyncSession, subject_id: str, *, lock: bool = False) -> Row[Any] | None:
    stmt = select(households).where(households.c.subject_id == subject_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).one_or_none()
