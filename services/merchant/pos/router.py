"""The POS contract: verify a code, redeem an offer, refund once, and see one's own redemptions.

Verify is the hot path: an async route, primary-key reads on a plain connection (no ORM session,
no write, no cache), and the disclosure goes to an in-memory queue written in batches. It changes nothing
but the log, so it always answers with today's grade: a retried verify (same Idempotency-Key)
is answered afresh, which is what "the next scan sees the change" needs."""
from __future__ import annotations

import orjson
from fastapi import APIRouter, Request, Response
from starlette.routing import Route

from common.auth import authenticate
from common.db import Session, utcnow
from common.errors import problems
from common.idempotency import Idempotency
from common.paging import PageLimit
from merchant.access import Pos, Reader, pos_merchant
from merchant.disclosures.log import DisclosureLog
from merchant.pos import service
from merchant.pos.schemas import VERIFY_OPENAPI, RedeemIn, RedeemOut, RefundOut, VerifyOut, parse_verify
from merchant.redemptions import service as redemptions
from merchant.redemptions.schemas import RedemptionOut

router = APIRouter(prefix="/v1/pos", tags=["POS"], responses=problems(401, 403, 422))


async def verify(request: Request) -> Response:
    """Valid or not, masked name, grade, and this merchant's offers that apply now; nothing more.

    Takes ``Idempotency-Key`` like every POS POST (it is kept in the disclosure log). The body is
    parsed by hand and the caller checked without FastAPI's dependency machinery: on this path
    that machinery cost more than the query."""
    merchant_id = pos_merchant(authenticate(request))
    code = parse_verify(await request.body())
    key = request.headers.get("idempotency-key")
    state = request.app.state
    verdict = await service.quick_verdict(state.verify_reader, state.db, state.rotating_codes, merchant_id, code, utcnow())
    log: DisclosureLog = request.app.state.disclosures
    log.record(merchant_id=merchant_id, subject_id=verdict.subject_id, outcome=verdict.status,
               grade=verdict.grade, purpose="pos-verify", request_key=key[:200] if key else None)
    return Response(orjson.dumps(verdict.answer()), media_type="application/json")


# Documented here (OpenAPI); served by the plain Starlette route below, which the app puts first:
# FastAPI's per-request dependency solving cost more than the query on this path.
router.add_api_route("/verify", verify, methods=["POST"], response_model=VerifyOut, openapi_extra=VERIFY_OPENAPI,
                     responses=problems(401, 403, 422, s403="not a merchant's POS, or the merchant is suspended",
                                        s422="no code in the body"))
FAST_VERIFY = Route("/v1/pos/verify", verify, methods=["POST"], include_in_schema=False)


# In the two routes below the guard comes before the session: dependencies unwind in reverse, so a
# refused request rolls its transaction back before the guard releases its key (on SQLite the
# release would otherwise wait behind the request's own write lock).
@router.post("/redemptions", status_code=201, response_model=RedeemOut,
             responses=problems(404, 409, s409="budget-exhausted, daily-budget-exhausted, household-limit-reached; "
                                "or the Idempotency-Key in flight or reused",
                                s422="unknown-code, not-credit-household, an offer not applicable, invalid input"))
async def redeem(body: RedeemIn, request: Request, principal: Pos, guard: Idempotency, session: Session) -> Response:
    """Compute the discount, take budgets and limits atomically, record; idempotent."""
    if guard.replay:
        return guard.replay
    merchant_id = pos_merchant(principal)
    log: DisclosureLog = request.app.state.disclosures

    def disclose(verdict: service.Verdict) -> None:  # refused or not: what the POS learns is logged
        log.record(merchant_id=merchant_id, subject_id=verdict.subject_id, outcome=verdict.status,
                   grade=verdict.grade, purpose="pos-redeem", request_key=guard.key)

    answer = await service.redeem(session, merchant_id, body, request.app.state.rotating_codes, disclose)
    return await guard.remember(session, 201, answer.model_dump(mode="json"))


@router.post("/redemptions/{redemption_id}/refund", response_model=RefundOut,
             responses=problems(404, 409, s409="already-refunded; or the Idempotency-Key in flight or reused"))
async def refund(redemption_id: str, principal: Pos, guard: Idempotency, session: Session) -> Response:
    """Reverse a redemption (the whole purchase), once."""
    if guard.replay:
        return guard.replay
    answer = await service.refund(session, pos_merchant(principal), redemption_id)
    return await guard.remember(session, 200, answer.model_dump(mode="json"))


@router.get("/redemptions", response_model=list[RedemptionOut])
async def my_redemptions(principal: Pos, session: Session, limit: PageLimit = 100) -> list[RedemptionOut]:
    """The calling merchant's own redemptions, newest first."""
    return await redemptions.own(session, pos_merchant(principal), limit)


@router.get("/redemptions/{redemption_id}", response_model=list[RedemptionOut], responses=problems(404))
async def get_redemption(redemption_id: str, principal: Reader, session: Session) -> list[RedemptionOut]:
    """A purchase's redemptions; another merchant's are simply not found."""
    return await redemptions.receipt(session, redemption_id, principal)
