"""Online applications: submitted for a credit household (by the county's portal, an officer or
the bank's app), decided by the bank. A bank sees only its own applications."""
from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from common.auth import Principal, Role, Scope, require_roles
from common.db import Session
from common.errors import not_found, problems
from common.idempotency import Idempotency
from lending.applications import repository, service
from lending.applications.schemas import ApplicationIn, ApplicationOut, DecisionIn
from lending.banks.service import calling_bank
from lending.disclosures.log import DisclosureLog
from lending.loans.router import disclosure, scope

router = APIRouter(prefix="/v1", tags=["applications"], responses=problems(401, 403, 422))
Submitter = Annotated[Principal, Depends(require_roles(Role.bank, Role.officer, scope=Scope.applications_submit))]
BankCaller = Annotated[Principal, Depends(require_roles(Role.bank))]


@router.post("/applications", response_model=ApplicationOut, status_code=201, responses=problems(404, 409))
async def submit(body: ApplicationIn, caller: Submitter, guard: Idempotency, session: Session,
                 request: Request) -> Response:
    if guard.replay:
        return guard.replay
    log: DisclosureLog = request.app.state.disclosures
    bank_id = str(caller.bank_id)

    def disclose(grade: str | None, channel: str) -> None:
        if caller.role == Role.bank:  # the county's own callers are not disclosures
            log.record(bank_id, body.subject_id, grade, channel, "loan-application")

    out = await service.submit(session, caller, body, disclose)
    return await guard.remember(session, 201, out.model_dump(mode="json"))


@router.post("/applications/{application_id}/decision", response_model=ApplicationOut, responses=problems(404, 409))
async def decide(application_id: str, body: DecisionIn, bank: BankCaller, guard: Idempotency, session: Session,
                 request: Request) -> Response:
    if guard.replay:
        return guard.replay
    bank_id = calling_bank(bank)
    out = await service.decide(session, request.app.state.rates, bank_id, application_id, body,
                               lambda subject_id: disclosure(request, bank_id, subject_id, "loan-application"))
    return await guard.remember(session, 200, out.model_dump(mode="json"))


@router.get("/applications", response_model=list[ApplicationOut])
async def list_applications(caller: BankCaller, session: Session,
                            status: Literal["pending", "approved", "declined"] | None = None,
                            bank_id: str | None = None, limit: int = Query(default=100, ge=1, le=500)) -> list[ApplicationOut]:
    return [service.application_out(a) for a in await repository.list_for(session, scope(caller, bank_id), status, limit)]


@router.get("/applications/{application_id}", response_model=ApplicationOut, responses=problems(404))
async def get_application(application_id: str, caller: BankCaller, session: Session) -> ApplicationOut:
    app = await repository.get(session, application_id, scope(caller, None))
    if app is None:
        raise not_found(service.APPLICATION, application_id)
    return service.application_out(app)
