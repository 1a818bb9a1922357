"""Grade policies: reading the version in force and recording a new one."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import utcnow
from common.errors import ProblemError, field_error, not_found
from common.i18n import Text
from lending.money import fen_str, rate_str, to_fen
from lending.policies import repository
from lending.policies.schemas import BenchmarkIn, BenchmarkOut, PolicyIn, PolicyOut, PolicyRowOut


async def get_policy(session: AsyncSession, version: int | None = None, at: datetime | None = None) -> PolicyOut:
    if version is None:
        version = await repository.policy_version_at(session, at or utcnow())
    rows = await repository.policy_rows(session, version) if version else []
    if not rows:
        raise not_found(Text("policy version", "授信政策版本"), version)
    return PolicyOut(version=rows[0].version, effective_from=rows[0].effective_from,
                     validity_months=rows[0].validity_months,
                     rows=[PolicyRowOut(kind=r.kind, grade=r.grade, line_amount=fen_str(r.line_fen),
                                        max_markup=rate_str(r.max_markup)) for r in rows])


async def add_policy(session: AsyncSession, body: PolicyIn, author: str) -> PolicyOut:
    seen: set[tuple[str, str]] = set()
    for i, row in enumerate(body.rows):
        if (row.kind, row.grade) in seen:
            raise field_error(f"rows[{i}]", Text(f"{row.kind}/{row.grade} is listed twice", f"{row.kind}/{row.grade} 重复列出"))
        seen.add((row.kind, row.grade))
    version = await repository.latest_policy_version(session) + 1
    now = utcnow()
    effective = body.effective_from or now
    await repository.add_policy_rows(session, [
        {"version": version, "effective_from": effective, "kind": r.kind, "grade": r.grade,
         "line_fen": to_fen(r.line_amount), "max_markup": r.max_markup, "validity_months": body.validity_months,
         "created_by": author, "created_at": now} for r in body.rows])
    return await get_policy(session, version)


async def add_benchmark(session: AsyncSession, body: BenchmarkIn, author: str) -> BenchmarkOut:
    if await repository.benchmark_exists(session, body.name, body.effective_on):
        raise ProblemError(409, Text("Benchmark rate exists", "基准利率已存在"),
                           Text(f"{body.name} already has a rate on {body.effective_on}",
                                f"{body.name} 在 {body.effective_on} 已有基准利率"),
                           type="benchmark-exists", errors=[{"field": "effective_on", "message": Text("already set", "已设置")}])
    await repository.add_benchmark(session, {"name": body.name, "rate_percent": body.rate_percent,
                                             "effective_on": body.effective_on, "created_by": author,
                                             "created_at": utcnow()})
    return BenchmarkOut(name=body.name, rate_percent=rate_str(body.rate_percent), effective_on=body.effective_on)


async def list_benchmarks(session: AsyncSession, name: str | None) -> list[BenchmarkOut]:
    return [BenchmarkOut(name=r.name, rate_percent=rate_str(r.rate_percent), effective_on=r.effective_on)
            for r in await repository.benchmark_rates(session, name)]
