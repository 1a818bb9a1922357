"""SQL for households: upserts from events, look-ups for codes and officers."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Row, case, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import utcnow
from merchant.households.models import households
from merchant.upsert import upsert_many

DEFAULTS: dict[str, Any] = {"grade_bit": 0, "vetoed": False, "consent_given": False, "consent_merchant": False,
                            "consent_benefits": False, "active": True}


def most_precise_region(region: dict[str, Any] | None) -> str | None:
    if not region:
        return None
    for level in ("group", "village", "town", "county"):
        if region.get(level):
            return str(region[level])
    return None


async def save_many(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert households or update only the given columns (the other stream's columns stay); each row
    has ``subject_id`` and the same columns."""
    if not rows:
        return
    now = utcnow()
    columns = [k for k in rows[0] if k != "subject_id"] + ["updated_at"]
    await upsert_many(session, households, [{**DEFAULTS, **r, "updated_at": now} for r in rows], ["subject_id"],
                      lambda stmt: {c: stmt.excluded[c] for c in columns})


async def save_ratings(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """``save_many`` for rating-changed (each row: ``subject_id``, the grade's columns, ``region`` and
    ``region_code``). The proposed region only fills in while the registry's is unknown: rating may
    learn of a move after the registry, and a late grade must not move a household back."""
    if not rows:
        return
    now = utcnow()
    columns = [k for k in rows[0] if k not in ("subject_id", "region", "region_code")] + ["updated_at"]
    known = households.c.region_code.is_not(None)

    def update(stmt: Any) -> dict[str, Any]:
        return {**{c: stmt.excluded[c] for c in columns},
                "region": case((known, households.c.region), else_=stmt.excluded.region),
                "region_code": case((known, households.c.region_code), else_=stmt.excluded.region_code)}

    await upsert_many(session, households, [{**DEFAULTS, **r, "updated_at": now} for r in rows], ["subject_id"],
                      update)


async def get(session: AsyncSession, subject_id: str, *, lock: bool = False) -> Row[Any] | None:
    stmt = select(households).where(households.c.subject_id == subject_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).one_or_none()
