"""SQL for partner banks and their products."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database
from lending.banks.models import Bank, Product


async def get_bank(session: AsyncSession, bank_id: str) -> Bank | None:
    return await session.get(Bank, bank_id)


async def is_active_partner(db: Database, bank_id: str) -> bool:
    """The caller gate's read: is this bank registered and active now (one keyed read, no session)."""
    row = await db.keyed.one("SELECT active FROM banks WHERE id = ?", "SELECT active FROM banks WHERE id = $1", (bank_id,))
    return row is not None and bool(row[0])


async def list_banks(session: AsyncSession) -> Sequence[Bank]:
    return (await session.execute(select(Bank).order_by(Bank.id))).scalars().all()


async def add_bank(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(Bank).values(**values))


async def set_active(session: AsyncSession, bank_id: str, active: bool) -> bool:
    result = await session.execute(update(Bank).where(Bank.id == bank_id).values(active=active)
                                   .execution_options(synchronize_session=False))
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


async def get_product(session: AsyncSession, code: str) -> Product | None:
    return await session.get(Product, code)


async def list_products(session: AsyncSession, bank_id: str | None) -> Sequence[Product]:
    q = select(Product).order_by(Product.code)
    if bank_id:
        q = q.where(Product.bank_id == bank_id)
    return (await session.execute(q)).scalars().all()


async def add_product(session: AsyncSession, values: dict[str, Any]) -> None:
    await session.execute(insert(Product).values(**values))
