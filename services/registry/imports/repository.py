"""SQL of import jobs and their row errors."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from registry.imports.models import ImportJob, ImportRowError


async def add(session: AsyncSession, row: dict[str, Any]) -> None:
    await session.execute(insert(ImportJob).values(**row))


async def get(session: AsyncSession, job_id: str) -> ImportJob | None:
    return (await session.execute(select(ImportJob).where(ImportJob.id == job_id))).scalar_one_or_none()


async def set_fields(session: AsyncSession, job_id: str, **values: Any) -> None:
    await session.execute(update(ImportJob).where(ImportJob.id == job_id).values(**values)
                          .execution_options(synchronize_session=False))


async def add_progress(session: AsyncSession, job_id: str, *, processed: int, created: int, updated: int,
                       unchanged: int, errors: int) -> None:
    await session.execute(update(ImportJob).where(ImportJob.id == job_id).values(
        processed_rows=ImportJob.processed_rows + processed, created_count=ImportJob.created_count + created,
        updated_count=ImportJob.updated_count + updated, unchanged_count=ImportJob.unchanged_count + unchanged,
        error_count=ImportJob.error_count + errors).execution_options(synchronize_session=False))


async def add_errors(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(ImportRowError), rows)


async def errors(session: AsyncSession, job_id: str, after: int, limit: int) -> list[ImportRowError]:
    q = (select(ImportRowError).where(ImportRowError.import_id == job_id, ImportRowError.id > after)
         .order_by(ImportRowError.id).limit(limit))
    return list((await session.execute(q)).scalars())


async def listing(session: AsyncSession, prefix: str | None, limit: int) -> list[ImportJob]:
    q = select(ImportJob).order_by(ImportJob.created_at.desc()).limit(limit)
    if prefix:
        q = q.where(ImportJob.scope.startswith(prefix, autoescape=True))
    return list((await session.execute(q)).scalars())


FINISHED = ("done", "failed")


async def purge_finished(session: AsyncSession, before: datetime, limit: int) -> int:
    """Delete up to ``limit`` jobs that finished before ``before``, with the rows they refused; a
    queued or running job stays whatever its age. Returns how many jobs went."""
    ids = list((await session.execute(
        select(ImportJob.id).where(ImportJob.status.in_(FINISHED), ImportJob.finished_at < before)
        .order_by(ImportJob.finished_at).limit(limit))).scalars())
    if ids:
        await session.execute(delete(ImportRowError).where(ImportRowError.import_id.in_(ids)))
        await session.execute(delete(ImportJob).where(ImportJob.id.in_(ids)))
    return len(ids)
