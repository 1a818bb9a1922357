"""Per-subject version check: an event older than what was already applied is stale and skipped."""
from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.tables import subject_versions as versions


async def accept_version(session: AsyncSession, stream: str, subject_id: str, version: int) -> bool:
    """True (and the version recorded) if ``version`` is newer than the last applied for this subject."""
    current = (await session.execute(
        select(versions.c.version).where(versions.c.stream == stream, versions.c.subject_id == subject_id)
    )).scalar_one_or_none()
    if current is not None and version <= current:
        return False
    if current is None:
        await session.execute(versions.insert().values(stream=stream, subject_id=subject_id, version=version))
    else:
        await session.execute(update(versions).where(versions.c.stream == stream,
                                                     versions.c.subject_id == subject_id).values(version=version))
    return True
