"""SQL for indicator system versions, and the per-process cache of compiled systems (a version
never changes once published, so a compiled one is good for the life of the process)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from rating.indicators.models import IndicatorSystem
from rating.indicators.schemas import IndicatorSystemIn, definition_json
from rating.scoring.engine import CompiledSystem, compile_system

_compiled: dict[tuple[str, str, int], CompiledSystem] = {}


async def latest_version(session: AsyncSession, kind: str) -> int | None:
    return (await session.execute(select(func.max(IndicatorSystem.version))
                                  .where(IndicatorSystem.kind == kind))).scalar_one_or_none()


async def get(session: AsyncSession, kind: str, version: int) -> IndicatorSystem | None:
    return (await session.execute(select(IndicatorSystem).where(
        IndicatorSystem.kind == kind, IndicatorSystem.version == version))).scalar_one_or_none()


async def list_versions(session: AsyncSession, kind: str | None) -> list[IndicatorSystem]:
    q = select(IndicatorSystem).order_by(IndicatorSystem.kind, IndicatorSystem.version)
    if kind:
        q = q.where(IndicatorSystem.kind == kind)
    return list((await session.execute(q)).scalars())


async def add(session: AsyncSession, defn: IndicatorSystemIn, actor: str, now: datetime) -> IndicatorSystem:
    version = (await latest_version(session, defn.kind) or 0) + 1
    row = IndicatorSystem(kind=defn.kind, version=version, definition=definition_json(defn), note=defn.note,
                          created_by=actor, created_at=now)
    session.add(row)
    await session.flush()
    return row


async def compiled(session: AsyncSession, kind: str, version: int) -> CompiledSystem | None:
    """One version of a kind's system, compiled (None if there is no such version)."""
    key = (str(getattr(session.bind, "url", "")), kind, version)
    if key not in _compiled:
        row = await get(session, kind, version)
        if row is None:
            return None
        _compiled[key] = compile_system(IndicatorSystemIn.model_validate(row.definition), version)
    return _compiled[key]


async def current_compiled(session: AsyncSession, kind: str) -> CompiledSystem | None:
    """The latest version of a kind's system, compiled (None for kinds not scored by indicators)."""
    version = await latest_version(session, kind)
    if version is None:
        return None
    key = (str(getattr(session.bind, "url", "")), kind, version)
    if key not in _compiled:
        row = await get(session, kind, version)
        assert row is not None
        _compiled[key] = compile_system(IndicatorSystemIn.model_validate(row.definition), version)
    return _compiled[key]
