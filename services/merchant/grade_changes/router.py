"""``/v1/grade-changes``: a merchant that asked for it (``:subscribe``) reads the grade changes of the
households it served lately (a redemption, or a verify that showed it a grade, in the last
``MERCHANT_GRADE_FEED_RELATIONSHIP_DAYS``). Every change shown is a logged disclosure."""
from __future__ import annotations

from fastapi import APIRouter, Query, Request

from common.db import Session
from common.errors import problems
from common.paging import PageLimit
from merchant.access import Pos, pos_merchant
from merchant.grade_changes import service
from merchant.grade_changes.schemas import GradeChangePageOut, SubscriptionOut

router = APIRouter(prefix="/v1", tags=["grade changes"], responses=problems(401, 403, 422))


@router.post("/grade-changes:subscribe", response_model=SubscriptionOut)
async def subscribe(principal: Pos, session: Session) -> SubscriptionOut:
    return await service.subscribe(session, pos_merchant(principal))


@router.post("/grade-changes:unsubscribe", response_model=SubscriptionOut)
async def unsubscribe(principal: Pos, session: Session) -> SubscriptionOut:
    return await service.unsubscribe(session, pos_merchant(principal))


@router.get("/grade-changes", response_model=GradeChangePageOut,
            responses=problems(403, 422, s403="not-subscribed", s422="validation-error (query.after, query.limit)"))
async def grade_changes(principal: Pos, session: Session, request: Request,
                        after: int = Query(default=0, ge=0, description="the cursor: the last id read"),
                        limit: PageLimit = 100) -> GradeChangePageOut:
    return await service.read(session, request.app.state.disclosures, pos_merchant(principal), after, limit,
                              request.app.state.settings.grade_feed_relationship_days)
