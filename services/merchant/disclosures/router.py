"""Reading the disclosure log: who saw which household's grade, when, for what (county staff)."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from common.db import Session
from common.errors import problems
from common.paging import PageLimit, next_page
from merchant.access import CountyOrSelf
from merchant.disclosures import service
from merchant.disclosures.schemas import DisclosurePage

router = APIRouter(prefix="/v1/disclosures", tags=["disclosures"], responses=problems(401, 403, 404, 422))


@router.get("", response_model=DisclosurePage)
async def list_disclosures(request: Request, principal: CountyOrSelf, session: Session,
                           subject_id: str = Query(min_length=1, max_length=80),
                           after: Annotated[int | None, Query(ge=1, description="the previous page's next_after")] = None,
                           limit: PageLimit = 100) -> DisclosurePage:
    """A household's disclosures, newest first, a page at a time."""
    items = await service.for_subject(session, request.app.state.disclosures, subject_id, principal, after, limit)
    return DisclosurePage(items=items, **next_page(request, str(items[-1].id) if items else None, len(items) == limit))
