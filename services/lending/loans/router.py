"""Partner banks → lending: loans, repayments, defaults, lists and the daily reconciliation.

Every bank POST takes an Idempotency-Key; a bank sees only its own loans. The idempotency guard is
declared before the session: on SQLite the request's write transaction must end (roll back) before
a failed request releases its key, or the release would wait on the request's own lock."""
from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from common.auth import Principal, Role, require_roles
from common.contracts import CSV, media
from common.db import Session
from common.errors import field_error, problems
from common.i18n import Text
from common.idempotency import Idempotency
from lending.banks.service import calling_bank
from lending.disclosures.log import DisclosureLog
from lending.loans import reconciliation, repository, service
from lending.loans.schemas import DefaultIn, LoanDefaultOut, LoanIn, LoanOut, LoanPage, RepaymentIn, RepaymentOut

router = APIRouter(prefix="/v1", tags=["loans"], responses=problems(401, 403, 422))
BankCaller = Annotated[Principal, Depends(require_roles(Role.bank))]


def disclosure(request: Request, bank_id: str, subject_id: str, purpose: str) -> service.Disclose:
    """What a loan tells ``bank_id`` of the subject's line goes to the disclosure log."""
    log: DisclosureLog = request.app.state.disclosures
    return lambda grade, channel: log.record(bank_id, subject_id, grade, channel, purpose)


def scope(caller: Principal, bank_id: str | None) -> str | None:
    """Whose loans the caller may see: a bank its own; the county (admin) any, or one bank's."""
    return caller.bank_id if caller.role == Role.bank else bank_id


@router.post("/loans", response_model=LoanOut, status_code=201,
             responses=problems(404, 409, s404="unknown-subject", s403="no-consent, unknown-bank",
                                s409="line-frozen, line-closed, line-expired, no-credit-line, over-available-line",
                                s422="rate-above-cap, product-not-eligible"))
async def record_loan(body: LoanIn, bank: BankCaller, guard: Idempotency, session: Session, request: Request) -> Response:
    if guard.replay:
        return guard.replay
    bank_id = calling_bank(bank)
    loan = await service.record_loan(session, request.app.state.rates, bank_id, body,
                                     disclosure(request, bank_id, body.subject_id, "loan"))
    return await guard.remember(session, 201, loan.model_dump(mode="json"))


@router.post("/loans/{loan_id}/repayments", response_model=RepaymentOut, status_code=201, responses=problems(404, 409))
async def repay(loan_id: str, body: RepaymentIn, bank: BankCaller, guard: Idempotency, session: Session) -> Response:
    if guard.replay:
        return guard.replay
    out = await service.repay(session, calling_bank(bank), loan_id, body)
    return await guard.remember(session, 201, out.model_dump(mode="json"))


@router.post("/loans/{loan_id}/default", response_model=LoanDefaultOut, status_code=201, responses=problems(404, 409))
async def default(loan_id: str, body: DefaultIn, bank: BankCaller, guard: Idempotency, session: Session) -> Response:
    if guard.replay:
        return guard.replay
    out = await service.default(session, calling_bank(bank), loan_id, body, bank.caller_id)
    return await guard.remember(session, 201, out.model_dump(mode="json"))


@router.get("/loans", response_model=LoanPage)
async def list_loans(caller: BankCaller, session: Session, subject_id: str | None = None,
                     status: Literal["active", "repaid", "defaulted"] | None = None,
                     bank_id: str | None = None, after: str | None = None,
                     limit: int = Query(default=100, ge=1, le=500)) -> LoanPage:
    rows = await repository.list_loans(session, scope(caller, bank_id), subject_id, status, after, limit)
    items = [service.loan_out(r) for r in rows]
    return LoanPage(items=items, next_after=items[-1].id if len(items) == limit else None)


@router.get("/loans/{loan_id}", response_model=LoanOut, responses=problems(404))
async def get_loan(loan_id: str, caller: BankCaller, session: Session) -> LoanOut:
    return service.loan_out(await service.own_loan(session, loan_id, scope(caller, None)))


@router.get("/reconciliation", response_class=Response,
            responses=media(CSV, description="the day's loans, repayments and defaults"))
async def daily_reconciliation(caller: BankCaller, session: Session, day: date,
                               bank_id: Annotated[str | None, Query(max_length=80, pattern=r"^[A-Za-z0-9_.-]+$",
                                                                    description="a bank id (admin only)")] = None) -> Response:
    bank = scope(caller, bank_id)
    if not bank:
        raise field_error("query.bank_id", Text("the county names the bank whose day it wants", "县级用户须指明要查看哪家银行的当日对账"))
    body = await reconciliation.daily_csv(session, bank, day)
    return Response(body, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="reconciliation-{bank}-{day}.csv"'})
