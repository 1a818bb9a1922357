"""Admin API: grade policies (授信政策) and benchmark rates, versioned and dated."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from common.auth import Principal, Role, require_roles
from common.db import Session
from common.paths import SerialId
from lending.policies import service
from lending.policies.rates import RateBook
from lending.policies.schemas import BenchmarkIn, BenchmarkOut, PolicyIn, PolicyOut

router = APIRouter(prefix="/v1", tags=["policies"])
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
Reader = Annotated[Principal, Depends(require_roles(Role.bank, Role.officer, Role.platform, Role.service))]


@router.get("/policies/current", response_model=PolicyOut)
async def current_policy(_: Reader, session: Session) -> PolicyOut:
    return await service.get_policy(session)


@router.get("/policies/{version}", response_model=PolicyOut)
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
