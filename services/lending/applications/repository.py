"""SQL for online applications."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from lending.applications.models import PENDING, Application


async def add(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(Application).values(**values))


async def get(session: AsyncSession, application_id: str, bank_id: str | None) -> Application | None:
    q = select(Application).where(Application.id == application_id)
    if bank_id is not None:
        q = q.where(Application.bank_id == bank_id)
    return (await session.execute(q)).scalar_one_or_none()


async def decide(session: AsyncSession, application_id: str, status: str, reason: str | None,
                 loan_id: str | None, at: datetime) -> bool:
    """Decide a pending application once (a second decision finds it no longer pending)."""
    stmt = (update(Application).where(Application.id == application_id, Application.status == PENDING)
            .values(status=status, decision_reason=reason, loan_id=loan_id, decided_at=at)
            .execution_options(synchronize_session=False))
    result: CursorResult[Any] = await session.execute(stmt)  # type: ignore[assignment]
    return result.rowcount == 1


async def list_for(session: AsyncSession, bank_id: str | None, status: str | None, limit: int) -> Sequence[Application]:
    q = select(Application)
    if bank_id is not None:
        q = q.where(Application.bank_id == bank_id)
    if status:
        q = q.where(Application.status == status)
    return (await session.execute(q.order_by(Application.submitted_at.desc()).limit(limit))).scalars().all()
