"""Raising and clearing negative-list records; both are events, and clearing lifts the veto."""
from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from common.clock import beijing_today
from common.db import Database, utcnow
from common.errors import conflict, not_found
from common.events import emit
from common.i18n import Text
from registry import events
from registry.civility.service import who
from registry.negative import repository
from registry.negative.models import NegativeRecord
from registry.negative.schemas import ClearIn, ClearReviewIn, NegativeRecordIn
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


NO_CLEAR_REQUEST = Text("No clearing asked", "没有解除申请")


async def get_visible_record(session: AsyncSession, principal: Principal, record_id: str) -> NegativeRecord:
    record = await repository.get(session, record_id)
    if record is None or not principal.in_region(record.village_code):
        raise not_found(Text("negative record", "负面清单记录"), record_id)
    return record


async def request_clear(session: AsyncSession, principal: Principal, record_id: str, body: ClearIn) -> NegativeRecord:
    """The first of two people: asks for the clearing. The veto holds until someone else confirms it."""
    record = await get_visible_record(session, principal, record_id)
    if record.status != "raised":
        raise conflict(Text("Already cleared", "已经解除"),
                       Text(f"record {record_id} is {record.status}", f"记录 {record_id} 的状态为 {record.status}"),
                       type="record-cleared")
    if not await repository.request_clear(session, record.id, {
            "clear_requested_by": who(principal), "clear_requested_at": utcnow(), "cleared_on": body.cleared_on,
            "clear_reason": body.reason}):
        await session.refresh(record)
        raise conflict(Text("Clearing asked already", "已申请解除"),
                       Text(f"record {record_id} already awaits the review of a clearing asked by "
                            f"{record.clear_requested_by}",
                            f"记录 {record_id} 已由 {record.clear_requested_by} 申请解除，正在等待复核"),
                       type="clear-requested")
    await session.refresh(record)
    log.info("negative record clearing asked", extra={"record_id": record.id, "subject_id": record.subject_id})
    return record


async def review_clear(session: AsyncSession, principal: Principal, record_id: str,
                       body: ClearReviewIn) -> NegativeRecord:
    """The second person (四眼原则, like a civility review): confirms the clearing, which lifts the veto
    and re-rates, or turns it down, which leaves the record raised as it was."""
    record = await get_visible_record(session, principal, record_id)
    if record.status != "raised" or record.clear_requested_by is None:
        raise conflict(NO_CLEAR_REQUEST,
                       Text(f"record {record_id} is {record.status} and awaits no clearing",
                            f"记录 {record_id} 的状态为 {record.status}，没有待复核的解除申请"),
                       type="no-clear-request")
    if who(principal) == record.clear_requested_by:
        raise conflict(Text("Same person", "同一人不能复核"),
                       Text("the clearing must be confirmed by someone other than who asked for it",
                            "解除须由申请人以外的另一人确认（四眼原则）"),
                       type="four-eyes")
    requested_by = record.clear_requested_by
    values: dict[str, object] = ({"status": "cleared", "cleared_by": who(principal), "cleared_at": utcnow()}
                                 if body.approved else
                                 {"clear_requested_by": None, "clear_requested_at": None, "cleared_on": None,
                                  "clear_reason": None})
    if not await repository.settle_clear(session, record.id, requested_by, values):
        raise conflict(NO_CLEAR_REQUEST, Text(f"record {record_id} was settled meanwhile",
                                              f"记录 {record_id} 的解除申请已被他人处理"), type="no-clear-request")
    await session.refresh(record)
    if not body.approved:
        log.info("negative record clearing turned down", extra={"record_id": record.id})
        return record
    version = await subjects.bump_version(session, record.subject_id, principal.caller_id, "negative-cleared",
                                          ["negative_records"], {"record_id": record.id})
    await _announce(session, record, version)
    log.info("negative record cleared", extra={"record_id": record.id, "subject_id": record.subject_id})
    return record


EXPIRY_ACTOR = "system:expiry"


def is_expired(expires_on: date | None, today: date) -> bool:
    """A record expires at the start of the Beijing day ``expires_on`` (到期日当日起失效): it is in
    force up to and including the day before."""
    return expires_on is not None and expires_on <= today


@dataclass(frozen=True)
class ExpiryRun:
    today: date
    expired: int
    record_ids: tuple[str, ...]


async def expire_due(db: Database, today: date | None = None, chunk: int = 500) -> ExpiryRun:
    """Expire every raised record whose date has come (the periodic job and the admin's "now"):
    each becomes ``expired`` and is announced exactly like a clear, so rating lifts the veto and
    re-rates at once. A record another run expired first is skipped (idempotent, no double event)."""
    today = today or beijing_today()
    done: list[str] = []
    while True:
        # Look first without the writer lock: most runs find nothing.
        async with db.transaction(write=False) as session:
            ids = await repository.due_to_expire(session, today, chunk)
        if not ids:
            break
        changed = 0
        async with db.transaction() as session:
            for rid in ids:
                if not await repository.expire(session, rid, today, {
                        "cleared_by": EXPIRY_ACTOR, "cleared_at": utcnow(), "cleared_on": today,
                        "clear_reason": "expired (到期)"}):
                    continue  # another run got there first
                record = await repository.get(session, rid)
                assert record is not None
                version = await subjects.bump_version(session, record.subject_id, EXPIRY_ACTOR, "negative-expired",
                                                      ["negative_records"], {"record_id": rid})
                await _announce(session, record, version)
                done.append(rid)
                changed += 1
        if len(ids) < chunk or changed == 0:
            break
    if done:
        log.info("negative records expired", extra={"count": len(done), "today": today.isoformat()})
    return ExpiryRun(today=today, expired=len(done), record_ids=tuple(done))
