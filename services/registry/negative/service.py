"""Raising and clearing negative-list records; both are events, and clearing lifts the veto."""
from __future__ import annotations

import logging
import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.db import utcnow
from common.errors import conflict, not_found
from common.events import emit
from registry import events
from registry.negative import repository
from registry.negative.models import NegativeRecord
from registry.negative.schemas import ClearIn, NegativeRecordIn
from registry.subjects import repository as subjects
from registry.subjects.service import get_visible

log = logging.getLogger("registry.negative")


async def _announce(session: AsyncSession, record: NegativeRecord, version: int) -> None:
    await emit(session, events.negative_record_changed(
        record_id=record.id, subject_id=record.subject_id, agency=record.agency, record_kind=record.record_kind,
        status=record.status, veto=record.veto, effective_from=record.effective_from, expires_on=record.expires_on,
        version=version, changed_at=record.cleared_at or record.raised_at))


async def raise_record(session: AsyncSession, principal: Principal, body: NegativeRecordIn) -> NegativeRecord:
    subject = await get_visible(session, principal, body.subject_id)
    rid = str(uuid.uuid4())
    await repository.add(session, {**body.model_dump(), "id": rid, "village_code": subject.village_code,
                                   "status": "raised", "raised_by": principal.caller_id, "raised_at": utcnow()})
    record = await repository.get(session, rid)
    assert record is not None
    version = await subjects.bump_version(session, subject.id, principal.caller_id, "negative-raised",
                                          ["negative_records"], {"record_id": rid, "record_kind": body.record_kind})
    await _announce(session, record, version)
    log.info("negative record raised", extra={"record_id": rid, "subject_id": subject.id, "agency": body.agency,
                                              "record_kind": body.record_kind})
    return record


async def get_visible_record(session: AsyncSession, principal: Principal, record_id: str) -> NegativeRecord:
    record = await repository.get(session, record_id)
    if record is None or not principal.in_region(record.village_code):
        raise not_found("negative record", record_id)
    return record


async def clear_record(session: AsyncSession, principal: Principal, record_id: str, body: ClearIn) -> NegativeRecord:
    record = await get_visible_record(session, principal, record_id)
    if record.status != "raised" or not await repository.clear(session, record.id, {
            "cleared_by": principal.caller_id, "cleared_at": utcnow(), "cleared_on": body.cleared_on,
            "clear_reason": body.reason}):
        raise conflict("Already cleared", f"record {record_id} is {record.status}", type="record-cleared")
    await session.refresh(record)
    version = await subjects.bump_version(session, record.subject_id, principal.caller_id, "negative-cleared",
                                          ["negative_records"], {"record_id": record.id})
    await _announce(session, record, version)
    log.info("negative record cleared", extra={"record_id": record.id, "subject_id": record.subject_id})
    return record
