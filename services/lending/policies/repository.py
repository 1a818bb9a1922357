"""SQL for grade policies and benchmark rates."""
from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lending.policies.models import BenchmarkRate, GradePolicy, PolicyApplication


async def policy_version_at(session: AsyncSession, at: datetime) -> int | None:
    """The policy version in force at ``at``: the highest one whose effective time has passed."""
    q = select(func.max(GradePolicy.version)).where(GradePolicy.effective_from <= at)
    return (await session.execute(q)).scalar_one_or_none()


async def policy_rows(session: AsyncSession, version: int) -> Sequence[GradePolicy]:
    q = select(GradePolicy).where(GradePolicy.version == version).order_by(GradePolicy.kind, GradePolicy.grade)
    return (await session.execute(q)).scalars().all()


async def policy_row(session: AsyncSession, version: int, kind: str, grade: str) -> GradePolicy | None:
    q = select(GradePolicy).where(GradePolicy.version == version, GradePolicy.kind == kind, GradePolicy.grade == grade)
    return (await session.execute(q)).scalar_one_or_none()


async def latest_policy_version(session: AsyncSession) -> int:
    return int((await session.execute(select(func.coalesce(func.max(GradePolicy.version), 0)))).scalar_one())


async def add_policy_rows(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    await session.execute(insert(GradePolicy), rows)


async def benchmark_rates(session: AsyncSession, name: str | None = None) -> Sequence[BenchmarkRate]:
    q = select(BenchmarkRate).order_by(BenchmarkRate.name, BenchmarkRate.effective_on)
    if name:
        q = q.where(BenchmarkRate.name == name)
    return (await session.execute(q)).scalars().all()


async def benchmark_exists(session: AsyncSession, name: str, effective_on: date) -> bool:
    q = select(BenchmarkRate.id).where(BenchmarkRate.name == name, BenchmarkRate.effective_on == effective_on)
    return (await session.execute(q)).first() is not None


async def add_benchmark(session: AsyncSession, row: dict[str, object]) -> None:
    await session.execute(insert(BenchmarkRate).values(**row))


async def add_application(session: AsyncSession, job: PolicyApplication) -> None:
    session.add(job)
    await session.flush()


async def get_application(session: AsyncSession, job_id: str) -> PolicyApplication | None:
    return await session.get(PolicyApplication, job_id, populate_existing=True)


async def set_application(session: AsyncSession, job_id: str, **values: Any) -> None:
    await session.execute(update(PolicyApplication).where(PolicyApplication.id == job_id).values(**values)
                          .execution_options(synchronize_session=False))
