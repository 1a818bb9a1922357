"""``/v1/grade-changes``: a merchant that asked for it (``:subscribe``) reads the grade changes of the
households it served lately (a redemption, or a verify that showed it a grade, in the last
``MERCHANT_GRADE_FEED_RELATIONSHIP_DAYS``). Every change shown is a logged disclosure."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request

from common.db import Session
from common.paging import PageLimit
from merchant.access import Pos, pos_merchant
from merchant.disclosures.log import DisclosureLog
from merchant.grade_changes import service
from merchant.grade_changes.repository import FEED_OUTCOME
from merchant.grade_changes.schemas import GradeChangePageOut, SubscriptionOut

router = APIRouter(prefix="/v1", tags=["grade changes"])


@router.post("/grade-changes:subscribe", response_model=SubscriptionOut)
async def subscribe(principal: Pos, session: Session) -> SubscriptionOut:
    return await service.subscribe(session, pos_merchant(principal))


@router.post("/grade-changes:unsubscribe", response_model=SubscriptionOut)
async def unsubscribe(principal: Pos, session: Session) -> SubscriptionOut:
    return await service.unsubscribe(session, pos_merchant(principal))


@router.get("/grade-changes", response_model=GradeChangePageOut,
            responses={403: {"description": "not-subscribed"},
                       422: {"description": "validation-error (query.after, query.limit)"}})
async def grade_changes(principal: Pos, session: Session, request: Request,
                        after: int = Query(default=0, ge=0, description="the cursor: the last id read"),
                        limit: PageLimit = 100) -> GradeChangePageOut:
    merchant_id = pos_merchant(principal)
    page = await service.page_for(session, merchant_id, after, limit,
                                  request.app.state.settings.grade_feed_relationship_days)
    log: DisclosureLog = request.app.state.disclosures
    for item in page.items:
        log.record(merchant_id=merchant_id, subject_id=item.subject_id, outcome=FEED_OUTCOME, grade=item.grade,
                   purpose=FEED_OUTCOME)
    return page
