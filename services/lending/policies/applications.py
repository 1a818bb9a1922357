"""Applying a grade policy to every existing line (授信政策调整): an admin starts a job after a new
policy version; it walks the lines in chunks by subject id (one transaction each, bounded memory),
re-applies the policy version in force when it started (amount, markup, validity from the term's
start), emits ``credit-line-changed`` (change ``policy``) for each line it changes, and records its
progress. A line already on that policy is left alone, so running it again changes nothing."""
from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database, utcnow
from common.errors import ProblemError, not_found
from common.i18n import Text
from lending.credit_lines import repository as lines
from lending.credit_lines.models import CreditLine
from lending.credit_lines.rules import LineState, LineTerms, add_months, reapply
from lending.credit_lines.service import emit_line_changed, record_changes, region_of
from lending.policies import repository
from lending.policies.models import PolicyApplication
from lending.policies.schemas import PolicyApplicationOut

log = logging.getLogger("lending.policies")
RUNNING, DONE, FAILED = "running", "done", "failed"
CHUNK = 500
RETRIES = 3


def application_out(job: PolicyApplication) -> PolicyApplicationOut:
    return PolicyApplicationOut(id=job.id, policy_version=job.policy_version, status=job.status, total=job.total,
                                done=job.done, changed=job.changed, error=job.error, started_by=job.started_by,
                                started_at=job.started_at, finished_at=job.finished_at)


async def start(session: AsyncSession, actor: str, now: datetime) -> PolicyApplication:
    version = await repository.policy_version_at(session, now)
    if version is None:
        raise ProblemError(409, Text("No policy in force", "没有生效的授信政策"),
                           Text("there is no grade policy in force to apply", "目前没有可执行的按信用等级授信政策"),
                           type="no-policy")
    job = PolicyApplication(id=str(uuid.uuid4()), policy_version=version, status=RUNNING,
                            total=await lines.count_lines(session), done=0, changed=0, cursor=None, error=None,
                            started_by=actor, started_at=now, finished_at=None)
    await repository.add_application(session, job)
    return job


async def get(session: AsyncSession, job_id: str) -> PolicyApplication:
    job = await repository.get_application(session, job_id)
    if job is None:
        raise not_found(Text("policy application", "授信政策执行任务"), job_id)
    return job


async def _terms(session: AsyncSession, version: int, kind: str, grade: str | None,
                 memo: dict[tuple[str, str | None], LineTerms | None]) -> LineTerms | None:
    if (kind, grade) not in memo:
        row = await repository.policy_row(session, version, kind, grade) if grade else None
        memo[(kind, grade)] = None if row is None else LineTerms(row.version, row.line_fen, Decimal(row.max_markup),
                                                                 row.validity_months)
    return memo[(kind, grade)]


async def _term_start(session: AsyncSession, line: CreditLine) -> Any:
    """When the line's term started: recorded since lending knows it, else the old policy's validity
    counted back from ``valid_until``."""
    if line.valid_from is not None or line.valid_until is None or line.policy_version is None:
        return line.valid_from
    rows = await repository.policy_rows(session, line.policy_version)
    return add_months(line.valid_until, -rows[0].validity_months) if rows else None


async def apply_chunk(session: AsyncSession, job: PolicyApplication, size: int) -> tuple[int, int]:
    """One chunk of lines after the job's cursor: (lines seen, lines changed)."""
    chunk = await lines.lines_after(session, job.cursor, size, for_update=True)
    memo: dict[tuple[str, str | None], LineTerms | None] = {}
    now = utcnow()
    changed = 0
    for line in chunk:
        valid_from = await _term_start(session, line)
        current = LineState(line.grade, line.status, line.line_fen, Decimal(line.max_markup), line.valid_until,
                            line.policy_version, valid_from)
        terms = await _terms(session, job.policy_version, line.kind, line.grade, memo)
        outcome = reapply(current, terms, blocked=bool(line.vetoed or line.freeze_reason))
        if outcome is None:
            continue
        new, change = outcome
        changed += 1
        version = line.version + 1
        reason = f"policy version {job.policy_version} applied"
        old_line_fen = line.line_fen  # the UPDATE below refreshes the loaded line too
        await lines.update_terms(session, line.subject_id, {
            "status": new.status, "line_fen": new.line_fen, "max_markup": new.max_markup,
            "policy_version": new.policy_version, "valid_until": new.valid_until, "valid_from": valid_from,
            "version": version, "updated_at": now})
        await record_changes(session, [{
            "subject_id": line.subject_id, "version": version, "change": change, "old_grade": line.grade,
            "grade": line.grade, "status": new.status, "old_line_fen": old_line_fen, "line_fen": new.line_fen,
            "max_markup": new.max_markup, "rating_version": line.rating_version, "reason": reason, "changed_at": now}])
        await emit_line_changed(session, subject_id=line.subject_id, kind=line.kind, region=region_of(line),
                                grade=line.grade, line_fen=new.line_fen, drawn_fen=line.drawn_fen, status=new.status,
                                max_markup=new.max_markup, valid_until=new.valid_until, version=version, reason=reason,
                                change=change, rating_version=line.rating_version, policy_version=new.policy_version,
                                freeze_reason=line.freeze_reason)
    await repository.set_application(session, job.id, done=job.done + len(chunk), changed=job.changed + changed,
                                     cursor=chunk[-1].subject_id if chunk else job.cursor)
    return len(chunk), changed


async def run(db: Database, job_id: str, size: int | None = None) -> PolicyApplication:
    """Run a started job to the end, a transaction per chunk; a chunk that meets a lock conflict
    (a consumer moving the same lines) is tried again."""
    size = size or CHUNK
    try:
        while True:
            for attempt in range(RETRIES):
                try:
                    async with db.transaction() as session:
                        job = await get(session, job_id)
                        seen, _ = await apply_chunk(session, job, size)
                    break
                except DBAPIError:
                    if attempt == RETRIES - 1:
                        raise
                    await asyncio.sleep(0.1 * (attempt + 1))
            if seen < size:
                break
        async with db.transaction() as session:
            job = await get(session, job_id)
            # Lines made while it ran count in what it walked.
            await repository.set_application(session, job_id, status=DONE, finished_at=utcnow(),
                                             total=max(job.total, job.done))
            return await get(session, job_id)
    except Exception as exc:
        log.exception("policy application failed", extra={"job_id": job_id})
        async with db.transaction() as session:
            await repository.set_application(session, job_id, status=FAILED, error=str(exc)[:300],
                                             finished_at=utcnow())
        raise


async def run_in_background(db: Database, job_id: str) -> None:
    try:
        await run(db, job_id)
    except Exception:  # recorded on the job by run()
        return
