"""Negative-list records (信用评定负面清单): raise, clear, list."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request

from common.db import Session
from common.errors import problems
from registry.access import Admin, Keeper, Reader, region_prefix
from registry.negative import repository, service
from registry.negative.models import NegativeRecord
from registry.negative.schemas import ClearIn, ClearReviewIn, ExpiryOut, NegativeRecordIn, NegativeRecordOut

router = APIRouter(prefix="/v1", tags=["negative records"], responses=problems(401, 403, 422))


def out(r: NegativeRecord) -> NegativeRecordOut:
    return NegativeRecordOut.model_validate(r, from_attributes=True)


@router.post("/negative-records", status_code=201, response_model=NegativeRecordOut, responses=problems(404, 409))
async def raise_record(body: NegativeRecordIn, principal: Keeper, session: Session) -> NegativeRecordOut:
    """Record an agency's finding from the joint review (联审); a veto record blocks a grade of A or above."""
    return out(await service.raise_record(session, principal, body))


@router.post("/negative-records:expire", response_model=ExpiryOut)
async def expire_now(principal: Admin, request: Request) -> ExpiryOut:
    """Run the expiry job now (it also runs every ``REGISTRY_EXPIRE_INTERVAL_SECONDS``): every raised
    record whose ``expires_on`` Beijing day has begun becomes ``expired``, announced like a clear."""
    run = await service.expire_due(request.app.state.db)
    return ExpiryOut(today=run.today, expired=run.expired, record_ids=list(run.record_ids))


@router.post("/negative-records/{record_id}/clear", response_model=NegativeRecordOut,
             responses=problems(404, 409))
async def clear_record(record_id: str, body: ClearIn, principal: Keeper, session: Session) -> NegativeRecordOut:
    """Ask to clear a record (repaid, repaired): it stays raised, with ``clear_requested_by`` set,
    until a second person confirms at ``/clear-review`` (four eyes)."""
    return out(await service.request_clear(session, principal, record_id, body))


@router.post("/negative-records/{record_id}/clear-review", response_model=NegativeRecordOut,
             responses=problems(404, 409))
async def review_clear(record_id: str, body: ClearReviewIn, principal: Keeper, session: Session) -> NegativeRecordOut:
    """A second person (not who asked) confirms the clearing: the veto lifts and rating re-rates;
    or turns it down: the record stays raised and the request is dropped."""
    return out(await service.review_clear(session, principal, record_id, body))


@router.get("/negative-records/{record_id}", response_model=NegativeRecordOut, responses=problems(404))
async def get_record(record_id: str, principal: Reader, session: Session) -> NegativeRecordOut:
    return out(await service.get_visible_record(session, principal, record_id))


@router.get("/negative-records", response_model=list[NegativeRecordOut])
async def list_records(principal: Reader, session: Session, subject_id: str | None = None,
                       status: str | None = Query(None, pattern="^(raised|cleared|expired)$"),
                       limit: int = Query(100, ge=1, le=1000)) -> list[NegativeRecordOut]:
    return [out(r) for r in await repository.listing(session, prefix=region_prefix(principal), subject_id=subject_id,
                                                     status=status, limit=limit)]
