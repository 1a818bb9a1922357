"""Partner banks → lending: ``POST /v1/subjects:lookup`` (ID number → subject, kind, grade) and
the disclosure log for the county."""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from common.auth import Principal, Role, require_roles
from common.db import Session
from common.errors import ProblemError, field_error, problems
from common.i18n import Text
from common.idempotency import Idempotency
from common.pii import id_number_problem, normalize_id_number
from lending.banks.service import calling_bank
from lending.disclosures import registry_client, repository
from lending.disclosures.log import entry
from lending.disclosures.schemas import DisclosureOut, LookupIn, LookupOut
from lending.subjects.service import consents_to_lending, no_consent, refused

router = APIRouter(prefix="/v1", tags=["subjects"], responses=problems(401, 403, 422))
BankCaller = Annotated[Principal, Depends(require_roles(Role.bank))]
Admin = Annotated[Principal, Depends(require_roles(Role.admin))]
# The county reads the whole log; a household reads its own part (who saw its grade: 知情权).
AdminOrSelf = Annotated[Principal, Depends(require_roles(Role.household))]


@router.post("/subjects:lookup", response_model=LookupOut,
             responses=problems(404, 409, s404="unknown-subject", s403="no-consent (scope lending)",
                                s422="invalid id_number"))
async def lookup(body: LookupIn, bank: BankCaller, guard: Idempotency, session: Session, request: Request) -> Response:
    if guard.replay:
        return guard.replay
    bank_id = calling_bank(bank)
    problem = id_number_problem(body.id_number)
    if problem:
        raise field_error("id_number", problem)
    # The caller gate has already refused a deactivated bank, so the registry is never asked for it.
    # Ask the registry before this request touches its own database: no connection (nor, on SQLite,
    # the write lock) is held while waiting on another service.
    found = await registry_client.lookup(request.app.state.registry_client, normalize_id_number(body.id_number),
                                         request.app.state.service_credential.authorization(), bank.caller_id)
    if found is None:
        raise ProblemError(404, Text("Unknown subject", "信用主体不存在"),
                           Text("no subject is registered with this ID number", "没有登记该身份证号的信用主体"),
                           type="unknown-subject")
    known = await repository.consent_and_line(session, found["subject_id"])
    consent = found.get("consent")  # if the registry says, it has the last word
    if (consent is not None and not consents_to_lending(consent)) or (
            consent is None and refused(known.consent_lending)):
        # Logged as an attempt (no grade shown), in its own transaction: the refusal rolls this one back.
        request.app.state.disclosures.record(bank_id, found["subject_id"], None, "lookup-refused",
                                             body.purpose)
        raise no_consent(found["subject_id"])
    has_line = known.status is not None
    out = LookupOut(subject_id=found["subject_id"], kind=found.get("kind") or (known.kind if has_line else "household"),
                    grade=known.grade if has_line else None, masked_name=found.get("masked_name"),
                    credit_line_status=known.status if has_line else "none")
    await repository.add_many(session, [entry(bank_id, out.subject_id, out.grade, "lookup", body.purpose)])
    return await guard.remember(session, 200, out.model_dump(mode="json"))


@router.get("/disclosures", response_model=list[DisclosureOut])
async def disclosures(who: AdminOrSelf, session: Session, subject_id: str | None = None, bank_id: str | None = None,
                      limit: int = Query(default=100, ge=1, le=1000)) -> list[DisclosureOut]:
    if who.role == Role.household and (bank_id or not who.is_self(subject_id)):
        raise ProblemError(403, Text("Forbidden", "无权访问"),
                           Text("a household reads its own disclosures only", "农户只能查看自己的信息披露记录"), type="forbidden",
                           errors=[{"field": "query.subject_id", "message": Text("not your own", "不是您本人的")}])
    if subject_id:
        rows = await repository.for_subject(session, subject_id, limit)
    elif bank_id:
        rows = await repository.for_bank(session, bank_id, limit)
    else:
        raise field_error("query.subject_id", Text("name a subject_id or a bank_id", "须指明 subject_id 或 bank_id"))
    return [DisclosureOut(bank_id=r.bank_id, subject_id=r.subject_id, grade=r.grade, channel=r.channel,
                          purpose=r.purpose, disclosed_at=r.disclosed_at) for r in rows]
