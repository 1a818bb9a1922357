"""``GET /v1/credit-line-changes``: a bank's feed of the changes to the lines of households it has a
relationship with (an active loan, an application, a grade looked up lately). Every change shown is
a logged disclosure."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from common.auth import Principal, Role, require_roles
from common.db import Session
from common.paging import PageLimit
from lending.changes import service
from lending.changes.schemas import ChangePageOut
from lending.disclosures.log import DisclosureLog

router = APIRouter(prefix="/v1", tags=["change feed"])
BankCaller = Annotated[Principal, Depends(require_roles(Role.bank))]


@router.get("/credit-line-changes", response_model=ChangePageOut,
            responses={422: {"description": "validation-error (query.after, query.limit)"},
                       403: {"description": "unknown-bank"}})
async def credit_line_changes(bank: BankCaller, session: Session, request: Request,
                              after: int = Query(default=0, ge=0, description="the cursor: the last id read"),
                              limit: PageLimit = 100,
                              purpose: str = Query(default="change-feed", max_length=120)) -> ChangePageOut:
    """The changes (granted, raised, cut, frozen, unfrozen, expired, closed, regraded) to the lines of
    the households this bank lends to, was applied to, or was shown lately, after ``after``, in order.
    Resume with ``next_after`` (also when ``items`` is empty); dedupe by ``id``."""
    settings = request.app.state.settings
    page = await service.page_for(session, str(bank.bank_id), after, limit, settings.feed_relationship_days)
    log: DisclosureLog = request.app.state.disclosures
    for item in page.items:
        log.record(str(bank.bank_id), item.subject_id, item.grade, "change-feed", purpose)
    return ChangePageOut(items=page.items, next_after=page.next_after, latest=page.latest,
                         next=f"/v1/credit-line-changes?after={page.next_after}&limit={limit}")
