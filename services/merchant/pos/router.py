"""The POS contract: verify a code, redeem an offer, refund once, and see one's own redemptions.

Verify is the hot path: an async route, one indexed query on a plain connection (no ORM session,
no write), and the disclosure goes to an in-memory queue written in batches. It changes nothing
but the log, so it always answers with today's grade: a retried verify (same Idempotency-Key)
is answered afresh, which is what "the next scan sees the change" needs."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Request
from fastapi.responses import ORJSONResponse

from common.auth import Role, forbidden
from common.db import Database, Session, utcnow
from common.errors import not_found
from common.idempotency import Idempotency
from merchant.access import Pos, Reader, pos_merchant
from merchant.disclosures.log import DisclosureLog
from merchant.pos import service
from merchant.pos.schemas import RedeemIn, VerifyIn
from merchant.redemptions import repository as redemptions
from merchant.redemptions.router import view

router = APIRouter(prefix="/v1/pos", tags=["POS"])

# The guard comes before the session in the signatures below: dependencies unwind in reverse,
# so a refused request rolls its transaction back before the guard releases its key (on SQLite
# the release would otherwise wait behind the request's own write lock).


@router.post("/verify")
async def verify(body: VerifyIn, request: Request, principal: Pos,
                 idempotency_key: str | None = Header(None, max_length=200)) -> ORJSONResponse:
    """Valid or not, masked name, grade, and this merchant's offers that apply now; nothing more."""
    merchant_id = pos_merchant(principal)
    db: Database = request.app.state.db
    async with db.engine.connect() as conn:
        verdict = await service.verdict(conn, merchant_id, body.code, utcnow())
    log: DisclosureLog = request.app.state.disclosures
    log.record(merchant_id=merchant_id, subject_id=verdict.subject_id, outcome=verdict.status,
               grade=verdict.grade, purpose="pos-verify", request_key=idempotency_key)
    return ORJSONResponse(verdict.answer())


@router.post("/redemptions", status_code=201)
async def redeem(body: RedeemIn, request: Request, principal: Pos, guard: Idempotency, session: Session) -> Any:
    """Compute the discount, take budgets and limits atomically, record; idempotent."""
    if guard.replay:
        return guard.replay
    merchant_id = pos_merchant(principal)
    answer, verdict = await service.redeem(session, merchant_id, body)
    log: DisclosureLog = request.app.state.disclosures
    log.record(merchant_id=merchant_id, subject_id=verdict.subject_id, outcome=verdict.status,
               grade=verdict.grade, purpose="pos-redeem", request_key=guard.key)
    return await guard.remember(session, 201, answer)


@router.post("/redemptions/{redemption_id}/refund")
async def refund(redemption_id: str, principal: Pos, guard: Idempotency, session: Session) -> Any:
    """Reverse a redemption (the whole purchase), once."""
    if guard.replay:
        return guard.replay
    answer = await service.refund(session, pos_merchant(principal), redemption_id)
    return await guard.remember(session, 200, answer)


@router.get("/redemptions")
async def my_redemptions(principal: Pos, session: Session, limit: int = 100) -> list[dict[str, Any]]:
    """The calling merchant's own redemptions, newest first."""
    rows = await redemptions.list_(session, merchant_id=pos_merchant(principal), day_from=None, day_to=None,
                                   limit=max(1, min(limit, 1000)))
    return [view(r) for r in rows]


@router.get("/redemptions/{redemption_id}")
async def get_redemption(redemption_id: str, principal: Reader, session: Session) -> list[dict[str, Any]]:
    """A purchase's redemptions; another merchant's are simply not found."""
    if principal.role == Role.officer:
        raise forbidden("officers see redemptions through statistics")
    merchant_id = principal.merchant_id if principal.role == Role.merchant else None
    rows = await redemptions.receipt_of(session, redemption_id, merchant_id)
    if not rows:
        raise not_found("redemption", redemption_id)
    return [view(r) for r in rows]
