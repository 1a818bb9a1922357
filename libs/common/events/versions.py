"""Per-subject version check: an event older than what was already applied is stale and skipped."""
from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import insert_for
from common.tables import subject_versions as versions


def _upsert(dialect: str, stream: str, subject_id: str, version: int) -> Any:
    stmt = insert_for(dialect, versions).values(stream=stream, subject_id=subject_id, version=version)
    return stmt.on_conflict_do_update(
        index_elements=[versions.c.stream, versions.c.subject_id],
        set_={"version": stmt.excluded.version},
        where=versions.c.version < stmt.excluded.version,
    ).returning(versions.c.version)


async def accept_version(session: AsyncSession, stream: str, subject_id: str, version: int) -> bool:
    """True (and the version recorded) if ``version`` is newer than the last applied for this subject.

    One statement, atomic on both databases: the row is inserted, or raised only if older; a
    stale or repeated version leaves it as it is and returns no row."""
    dialect = session.get_bind().dialect.name
    result = await session.execute(_upsert(dialect, stream, subject_id, version))
    return result.first() is not None
