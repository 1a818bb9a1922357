"""Public benefit programmes (十二项权益: free bus rides, a hospital green channel...): the county
sets eligible grades and terms, and binds verifiers (a bus company, a hospital) that use the same
POS verify and redeem calls as shops."""
from __future__ import annotations

from fastapi import APIRouter, Request

from common.db import Session
from common.errors import problems
from common.paging import After, PageLimit, next_page
from merchant.access import Admin, County
from merchant.programmes import service
from merchant.programmes.schemas import ProgrammeIn, ProgrammeOut, ProgrammePage, VerifierBindingOut, VerifierIn

router = APIRouter(prefix="/v1/programmes", tags=["public benefit programmes"], responses=problems(401, 403, 422))


@router.post("", status_code=201, response_model=ProgrammeOut)
async def create_programme(body: ProgrammeIn, principal: Admin, session: Session) -> ProgrammeOut:
    return await service.create(session, body)


@router.get("", response_model=ProgrammePage)
async def list_programmes(principal: County, session: Session, request: Request, after: After = None,
                          limit: PageLimit = 100) -> ProgrammePage:
    """The programmes by id, a page at a time: the next page starts ``after`` the last ``id``."""
    items = await service.listing(session, after, limit)
    return ProgrammePage(items=items, **next_page(request, items[-1].id if items else None, len(items) == limit))


@router.post("/{programme_id}/verifiers", status_code=201, response_model=VerifierBindingOut,
             responses=problems(404))
async def bind_verifier(programme_id: str, body: VerifierIn, principal: Admin, session: Session) -> VerifierBindingOut:
    """Let a verifier (bus company, hospital) apply this programme's benefit."""
    return await service.bind_verifier(session, programme_id, body)
