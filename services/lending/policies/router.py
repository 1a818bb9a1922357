"""Admin API: grade policies (授信政策) and benchmark rates, versioned and dated."""
from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from common.auth import Principal, Role, require_roles
from common.db import Session, utcnow
from common.errors import problems
from common.paths import SerialId
from lending.policies import applications, service
from lending.policies.rates import RateBook
from lending.policies.schemas import BenchmarkIn, BenchmarkOut, PolicyApplicationOut, PolicyIn, PolicyOut

router = APIRouter(prefix="/v1", tags=["policies"], responses=problems(401, 403, 422))
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
Reader = Annotated[Principal, Depends(require_roles(Role.bank, Role.officer, Role.platform))]


@router.get("/policies/current", response_model=PolicyOut)
async def current_policy(_: Reader, session: Session) -> PolicyOut:
    return await service.get_policy(session)


@router.get("/policies/{version}", response_model=PolicyOut, responses=problems(404))
async def policy_version(version: SerialId, _: Reader, session: Session) -> PolicyOut:
    return await service.get_policy(session, version)


@router.post("/policies", response_model=PolicyOut, status_code=201)
async def add_policy(body: PolicyIn, admin: Admin, session: Session) -> PolicyOut:
    return await service.add_policy(session, body, admin.caller_id)


@router.get("/benchmark-rates", response_model=list[BenchmarkOut])
async def benchmark_rates(_: Reader, session: Session, name: str | None = None) -> list[BenchmarkOut]:
    return await service.list_benchmarks(session, name)


@router.post("/benchmark-rates", response_model=BenchmarkOut, status_code=201)
async def add_benchmark_rate(body: BenchmarkIn, admin: Admin, session: Session, request: Request) -> BenchmarkOut:
    out = await service.add_benchmark(session, body, admin.caller_id)
    rates: RateBook = request.app.state.rates
    rates.invalidate()  # this process sees it at once (after the commit, on the next read)
    return out


@router.post("/policy-applications", response_model=PolicyApplicationOut, status_code=202,
             responses=problems(409, s409="no-policy"))
async def apply_policy(admin: Admin, request: Request) -> PolicyApplicationOut:
    """Re-apply the policy in force to every existing line, in the background; follow it with
    ``GET /v1/policy-applications/{id}``."""
    db = request.app.state.db
    # Committed before the work starts, so the background task and callers see it.
    async with db.transaction() as session:
        job = await applications.start(session, admin.caller_id, utcnow())
        out = applications.application_out(job)
    tasks: set[asyncio.Task[Any]] = request.app.state.policy_tasks
    task = asyncio.create_task(applications.run_in_background(db, job.id), name=f"policy-application-{job.id}")
    tasks.add(task)
    task.add_done_callback(tasks.discard)
    return out


@router.get("/policy-applications/{job_id}", response_model=PolicyApplicationOut, responses=problems(404))
async def policy_application(job_id: str, _: Admin, session: Session) -> PolicyApplicationOut:
    return applications.application_out(await applications.get(session, job_id))
