"""Who saw which household's grade, when, for what: read by the county."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from common.auth import Principal
from merchant.codes.service import household_for
from merchant.disclosures import repository
from merchant.disclosures.log import DisclosureLog
from merchant.disclosures.schemas import DisclosureOut


async def for_subject(session: AsyncSession, log: DisclosureLog, subject_id: str, principal: Principal,
                      after: int | None, limit: int) -> list[DisclosureOut]:
    await log.flush()  # first, so this request's snapshot includes what the process held in memory
    await household_for(session, subject_id, principal)
    return [DisclosureOut(id=r.id, merchant_id=r.merchant_id, subject_id=r.subject_id, outcome=r.outcome,
                          grade=r.grade, purpose=r.purpose, at=r.at.isoformat())
            for r in await repository.for_subject(session, subject_id, after, limit)]
